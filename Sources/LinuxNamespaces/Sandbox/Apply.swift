import CNamespaces
import Glibc

extension Sandbox {
    /// Applies this sandbox to the calling process and returns, as Perl's
    /// `Sys::Linux::Namespace->setup()` and chromite's `create_*ns` do: the namespaces are
    /// created and joined, the id maps written, then the mounts (`/proc`, the private `/tmp`,
    /// `mounts`, `newRoot`), hostname, domain name, `lo`, credentials and privileges are set up,
    /// all through the same plan `spawn(_:)` carries out in a child.
    ///
    /// Pid and time namespaces hold only children, so with a created one or a joined pid
    /// namespace this process forks, as chromite's `create_pidns` does: the caller's code goes on in the child,
    /// inside them, and this process stays outside, passes every signal it can catch on
    /// (`SandboxProcess/waitPassingOnSignals()`) and exits with the child's status. With a new
    /// pid namespace and `PIDOne.initProcess`, that child is an init (pid 1: it reaps every
    /// orphan, passes signals on and exits with the status) and the caller's code goes on in
    /// its child, pid 2. With `PIDOne.command`, the caller's code is pid 1 itself. What was
    /// forked dies with the process outside (`PR_SET_PDEATHSIG`). Unlike a spawned child, this
    /// process stays dumpable: it is the caller's own code that goes on inside.
    ///
    /// ```swift
    /// var sandbox = Sandbox(create: [.user, .mount, .pid, .uts, .network])
    /// sandbox.userMapping = .root
    /// sandbox.privateTmp = true
    /// sandbox.hostname = "box"
    /// try sandbox.apply()      // from here on: pid 2 of a new pid namespace, root, lo up
    /// ```
    ///
    /// The caller must be single-threaded (a Swift program before it starts any thread, task or
    /// Dispatch queue); a multithreaded one uses `spawn(_:)`. Not in place: `persist`,
    /// `parentDeathSignal`, a `session` other than `.inherit`, and maps other than one line of
    /// the caller's own ids (`.root`, `.currentUser`, `.user`, without joins).
    /// - Throws: `SandboxError`, with nothing changed when the configuration is wrong. A step
    ///   that fails is thrown after the steps before it took effect: this process may then be
    ///   in some of the namespaces, and should exit.
    public func apply() throws(SandboxError) {
        var prepared = try prepareInPlace(for: "apply")
        defer { prepared.close() }
        do throws(StepFailure) {
            guard try prepared.carryOut() else { return }
        } catch {
            throw SandboxError(report: error.report, pid: ProcessID(rawValue: getpid()), command: SandboxCommand(""), sandbox: self, mounts: prepared.lowered.mounts)
        }
        // The side left outside: the caller's code goes on in the child.
        exit(prepared.waitForChild())
    }

    /// Everything `apply()` checks and prepares before it changes anything.
    func prepareInPlace(for caller: String) throws(SandboxError) -> InPlacePlan {
        let threads = currentThreadCount()
        guard threads == 1 else {
            throw SandboxError(invalid: caller,
                "this process has \(threads) threads; the kernel lets only a single-threaded process create or enter user and mount namespaces, and a fork of it may run only async-signal-safe code",
                hint: "use Sandbox.spawn for a command, or Sandbox.run(entryPoint:input:environment:) for a closure")
        }
        let (uid, gid, mapping) = try checked(nil)
        if let (field, detail) = notInPlace(mapping, uid: uid, gid: gid) {
            throw SandboxError(invalid: field, detail, hint: "use Sandbox.spawn, which starts a child for it")
        }
        let handles = try openJoins()
        let geometry = ProcessGeometry(self, mode: .apply)
        var channels = PlanChannels()
        do throws(SandboxError) {
            if geometry.forkForChildren { channels.errors = try SpawnPipe() }
        } catch {
            for handle in handles { try? handle.close() }
            throw error
        }
        let lowered = lower(nil, mode: .apply, geometry: geometry, mapping: mapping, uid: uid, gid: gid,
            handles: handles, channels: channels, searchPath: "")
        return InPlacePlan(lowered: lowered, handles: handles, channels: channels)
    }

    /// The field that keeps the sandbox from being applied in place, and why; nil when none.
    private func notInPlace(_ mapping: ResolvedMapping?, uid: uid_t, gid: gid_t) -> (String, String)? {
        if !persist.isEmpty { return ("persist", "persisting binds the namespaces from outside them") }
        if parentDeathSignal != nil { return ("parentDeathSignal", "in place, the sandbox is the caller: there is no parent to die") }
        if session != .inherit { return ("session", "in place, the caller keeps its session") }
        if let mapping, !writesOwnMaps(mapping, uid: uid, gid: gid) {
            return ("userMapping", "only one line of the caller's own ids, without joins, can be written from inside (user_namespaces(7))")
        }
        return nil
    }
}

/// A failed step of a plan carried out in place, as the C side reported it.
struct StepFailure: Error {
    var report: cn_report

    /// A failure of this process's own fork (or pidfd) around the plan, with errno.
    static func fork() -> StepFailure {
        var report = cn_report()
        report.step = Int32(CN_STEP_FORK.rawValue)
        report.error = errno
        return StepFailure(report: report)
    }
}

/// A checked, lowered sandbox that this process applies to itself (`Sandbox.apply()`,
/// `forkIntoNamespaces`).
struct InPlacePlan {
    var lowered: LoweredPlan
    let handles: [NamespaceHandle]
    var channels: PlanChannels
    /// The child the caller's code goes on in (pid and time namespaces), from the side left
    /// outside.
    private(set) var child: SandboxProcess?

    /// Closes the joins' fds and the pipes.
    func close() {
        for handle in handles { try? handle.close() }
        var channels = channels
        channels.closeAll()
    }

    /// Carries the plan out. Returns false where the caller's code goes on (this process, or
    /// the child forked into pid and time namespaces), true in the process left outside them,
    /// whose `child` is then set and whose set-up succeeded.
    mutating func carryOut() throws(StepFailure) -> Bool {
        var failure = cn_report()
        guard withExtendedLifetime(lowered.arena, { withUnsafePointer(to: lowered.plan) { cn_enter_in_place($0, &failure) } }) == 0 else {
            throw StepFailure(report: failure)
        }
        guard lowered.geometry.forkForChildren else {
            try setUp(Int32(CN_IN_PLACE_ENVIRONMENT.rawValue | CN_IN_PLACE_PRIVILEGES.rawValue))
            return false
        }
        // The caller's mask, for the code that goes on; while the outside waits, the signals it
        // passes on are blocked (from before the fork: none may end it meanwhile).
        var callerMask = sigset_t()
        pthread_sigmask(SIG_SETMASK, nil, &callerMask)
        SandboxProcess.takeBackChildSignal()
        SandboxProcess.blockPassedOnSignals()
        let outside = getpid()
        let parentPidfd = cn_pidfd_open(outside, 0)
        defer { if parentPidfd >= 0 { Glibc.close(parentPidfd) } }
        fflush(nil)
        let first = fork()
        guard first != 0 else {
            insideFirstFork(callerMask, parentPidfd: parentPidfd)
            return false
        }
        guard first > 0 else {
            pthread_sigmask(SIG_SETMASK, &callerMask, nil)
            throw StepFailure.fork()
        }
        let pidfd = cn_pidfd_open(first, 0)
        guard pidfd >= 0 else {
            let failed = StepFailure.fork()
            kill(first, SIGKILL)
            waitpid(first, nil, 0)
            throw failed
        }
        child = SandboxProcess(pid: ProcessID(rawValue: first), pidfd: pidfd, statusFD: -1, restoresForeground: false)
        channels.errors?.closeWrite()
        // A failure report, or end of file once the caller's code goes on inside.
        if let errors = channels.errors?.readEnd, let report = readValue(errors, as: cn_report.self, initial: cn_report()) {
            child?.killAndReap()
            throw StepFailure(report: report)
        }
        return true
    }

    /// Waits for the child (passing signals on) and returns the status a shell would report.
    func waitForChild() -> Int32 {
        guard let child else { return 125 }
        return (try? child.waitPassingOnSignals().shellStatus) ?? 125
    }

    /// The first process inside pid and time namespaces: sets up, then goes on as the caller's
    /// code, or becomes the init whose child does. Failures go to the outside on the error pipe.
    private mutating func insideFirstFork(_ callerMask: sigset_t, parentPidfd: Int32) {
        channels.errors?.closeRead()
        // Killed with the outside (which passes every other signal on), and not left behind
        // if it is gone already.
        _ = cn_set_parent_death_signal(SIGKILL)
        var parent = pollfd(fd: parentPidfd, events: Int16(POLLIN), revents: 0)
        if parentPidfd >= 0 && poll(&parent, 1, 0) != 0 { _exit(125) }
        let initProcess = lowered.plan.run_init != 0 && getpid() == 1
        reportingFailures { () throws(StepFailure) in
            try setUp(Int32(CN_IN_PLACE_ENVIRONMENT.rawValue | (initProcess ? 0 : CN_IN_PLACE_PRIVILEGES.rawValue)))
        }
        if initProcess {
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_SETMASK, &all, nil)
            let second = fork()
            if second == 0 {
                // Pid 2: ends with the init, which ends with the outside.
                _ = cn_set_parent_death_signal(SIGKILL)
                reportingFailures { () throws(StepFailure) in try setUp(Int32(CN_IN_PLACE_PRIVILEGES.rawValue)) }
            } else {
                if second < 0 { report(StepFailure.fork()) }
                channels.errors?.closeWrite()
                withExtendedLifetime(lowered.arena) { withUnsafePointer(to: lowered.plan) { cn_become_init($0, second) } }
            }
        }
        var mask = callerMask
        pthread_sigmask(SIG_SETMASK, &mask, nil)
        // The set-up is done: end of file for the outside once every copy is closed.
        channels.errors?.closeWrite()
    }

    private func setUp(_ parts: Int32) throws(StepFailure) {
        var failure = cn_report()
        guard withExtendedLifetime(lowered.arena, { withUnsafePointer(to: lowered.plan) { cn_set_up_in_place($0, parts, &failure) } }) == 0 else {
            throw StepFailure(report: failure)
        }
    }

    /// Runs `body`; a failure goes to the outside on the error pipe and ends this process.
    private func reportingFailures(_ body: () throws(StepFailure) -> Void) {
        do throws(StepFailure) { try body() } catch { report(error) }
    }

    private func report(_ failure: StepFailure) -> Never {
        var report = failure.report
        if let fd = channels.errors?.writeEnd { _ = write(fd, &report, MemoryLayout<cn_report>.size) }
        _exit(failure.report.step == Int32(CN_STEP_EXEC.rawValue) ? 126 : 125)
    }
}

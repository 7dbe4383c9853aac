import CNamespaces
import Glibc

extension Sandbox {
    /// Runs `command` in this sandbox instead of the calling process, as unshare(1) and
    /// nsenter(1) do, and never returns.
    ///
    /// Where nothing in the sandbox needs a parent, the calling process itself creates and
    /// enters the namespaces and executes the command: no child, no wait. The command keeps
    /// this process's pid, parent and terminal, and its exit status or signal is the process's.
    /// A new time namespace too: the command enters it as it executes (Linux 6.2). A sandbox
    /// that joins namespaces and has a pid namespace (it applies to children only) is entered
    /// here too; then the command's process is forked, waited for, and this process exits with
    /// its status, as `nsenter` does. Either way the caller must be
    /// single-threaded (the kernel lets only such a process create or enter a user or mount
    /// namespace), and the sandbox must have no persisted namespaces, no parent-death signal,
    /// `session` `.inherit` and, for a new user namespace, a one-line map of the caller's own
    /// ids (`.root`, `.currentUser`, `.user`) and no joins.
    ///
    /// Otherwise it spawns the command (`spawn(_:)`), waits for it, and exits with the status
    /// a shell would report: the exit status, or 128 + the signal that ended it. While it waits,
    /// no signal ends this process: each it can catch is passed on to the command
    /// (`SandboxProcess/waitPassingOnSignals()`), and an ignored SIGCHLD is set back to its
    /// default first (`SandboxProcess/takeBackChildSignal()`). In every case stdio's
    /// buffers (what `print` wrote into a pipe) are flushed first.
    ///
    /// ```swift
    /// var sandbox = Sandbox(create: [.user, .network])
    /// sandbox.userMapping = .root
    /// try sandbox.execute(SandboxCommand("ip", ["-o", "link"]))   // only lo, as root
    /// ```
    /// - Throws: `SandboxError`, with nothing changed when the configuration is wrong. A step
    ///   that fails in place (a mount, the execve) is thrown after the steps before it took
    ///   effect: this process may then be in some of the namespaces, and should exit.
    public func execute(_ command: SandboxCommand) throws(SandboxError) -> Never {
        let (uid, gid, mapping) = try checked(command)
        // What this program wrote and stdio still buffers (print into a pipe) goes out before the
        // command's output: execve would drop it, and a parent's exit would write it after.
        fflush(nil)
        if runsInPlace(mapping, uid: uid, gid: gid) { try executeInPlace(command, mapping, uid: uid, gid: gid) }
        SandboxProcess.takeBackChildSignal()
        SandboxProcess.blockPassedOnSignals()
        let process = try spawnValidated(command, uid: uid, gid: gid, mapping: mapping)
        exit(try process.waitPassingOnSignals().shellStatus)
    }

    /// Whether the calling process can do the set-up itself (see `execute(_:)`).
    func runsInPlace(_ mapping: ResolvedMapping?, uid: uid_t, gid: gid_t) -> Bool {
        guard persist.isEmpty, parentDeathSignal == nil, session == .inherit else { return false }
        // Creating pid or time namespaces without joins, spawn clones straight into them: in
        // place would only add an unshare. Joins make spawn fork a copy that enters them and
        // then forks again; in place that copy is this process.
        if hasChildOnlyNamespaces {
            guard !joins.isEmpty, pidfdOpenWorks else { return false }
        }
        // Maps of other ids are written from outside (by a parent, or newuidmap); after a join,
        // /proc/self may not show this process (a joined mount namespace's /proc).
        if let mapping, !writesOwnMaps(mapping, uid: uid, gid: gid) { return false }
        return currentThreadCount() == 1
    }

    /// Whether the command's process must be forked into a namespace that applies to children
    /// only (`childOnlyNamespaces`).
    private var hasChildOnlyNamespaces: Bool {
        !childOnlyNamespaces.isEmpty
    }

    /// The plan of `execute(_:)` carried out by this process; returns only by throwing.
    private func executeInPlace(_ command: SandboxCommand, _ mapping: ResolvedMapping?, uid: uid_t, gid: gid_t) throws(SandboxError) -> Never {
        let searchPath = try searchPath(for: command)
        let handles = try openJoins()
        defer { for handle in handles { try? handle.close() } }
        let forks = hasChildOnlyNamespaces
        var channels = PlanChannels()
        defer { channels.errors?.closeBoth() }
        channels.errors = forks ? try SpawnPipe() : nil
        channels.status = runsInit ? try SpawnPipe() : nil
        var lowered = lower(command, mode: .execute, geometry: ProcessGeometry(self, mode: .execute), mapping: mapping,
            uid: uid, gid: gid, handles: handles, channels: channels, searchPath: searchPath)
        let mounts = lowered.mounts
        // Blocked from before the fork (the command gets the mask filled in above), and passed
        // on while we wait.
        if forks { SandboxProcess.blockPassedOnSignals() }
        var failure = cn_report()
        let pid = withExtendedLifetime(lowered.arena) { cn_exec_in_place(&lowered.plan, &failure) }
        guard pid > 0 else {
            channels.status?.closeBoth()
            throw SandboxError(report: failure, pid: ProcessID(rawValue: getpid()), command: command, sandbox: self, mounts: mounts)
        }
        let pidfd = try openPidfd(ofChild: pid)
        channels.errors?.closeWrite()
        channels.status?.closeWrite()
        let process = SandboxProcess(pid: ProcessID(rawValue: pid), pidfd: pidfd, statusFD: channels.status?.readEnd ?? -1, restoresForeground: false)
        // A failure report, or end of file once the command is executed.
        if let report = readValue(channels.errors!.readEnd, as: cn_report.self, initial: cn_report()) {
            process.killAndReap()
            throw SandboxError(report: report, pid: ProcessID(rawValue: pid), command: command, sandbox: self, mounts: mounts)
        }
        exit(try process.waitPassingOnSignals().shellStatus)
    }
}

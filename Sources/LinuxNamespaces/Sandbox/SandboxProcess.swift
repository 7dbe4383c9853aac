import CNamespaces
import Glibc
import Synchronization
import SystemPackage

/// A running sandbox: the process `spawn` started, its pidfd, its namespaces, and how it ends.
///
/// With a new pid namespace and the default `PIDOne.initProcess`, `pid` is the sandbox's init
/// (pid 1 inside) and the command is its child; `wait()` still reports the command's own exit,
/// which the init passes back exactly. Joining a pid namespace, `pid` is the command itself
/// (the caller's own child, though another process forked it inside); with a new time
/// namespace, a supervisor outside it whose death takes the command along. Call `wait()` once
/// the command should be done: until then the process stays a zombie after it exits.
public final class SandboxProcess: Sendable {
    /// The process `spawn` created, in the caller's pid namespace.
    public let pid: ProcessID
    /// A pidfd for `pid`: it cannot be confused with a later process that reuses the number.
    public let pidfd: FileDescriptor
    private let statusFD: Int32
    private let restoresForeground: Bool
    private let state = Mutex<State>(State())
    /// Set once the process is reaped: its pid may name another process from then on.
    private let reaped = Atomic<Bool>(false)

    private struct State {
        // Pairs, not a dictionary: see SandboxCommand.descriptorPairs.
        var namespaces: [(NamespaceKind, NamespaceID)] = []
        var termination: Termination?
    }

    init(pid: ProcessID, pidfd: Int32, statusFD: Int32, restoresForeground: Bool) {
        self.pid = pid
        self.pidfd = FileDescriptor(rawValue: pidfd)
        self.statusFD = statusFD
        // Read only once the supervisor has exited, after its last write: never wait on it.
        if statusFD >= 0 { _ = fcntl(statusFD, F_SETFL, O_NONBLOCK) }
        self.restoresForeground = restoresForeground
    }

    deinit {
        close(pidfd.rawValue)
        if statusFD >= 0 { close(statusFD) }
    }

    /// The ids of the sandbox's namespaces that were created or joined, as the child saw them
    /// right before it executed the command.
    public var namespaces: [NamespaceKind: NamespaceID] {
        let pairs = state.withLock { $0.namespaces }
        var table: [NamespaceKind: NamespaceID] = [:]
        for (kind, id) in pairs { table[kind] = id }
        return table
    }

    /// The file that names the sandbox's namespace of `kind`. For pid and time, the
    /// `*_for_children` file: the namespace the command is in, whether `pid` is the command,
    /// its init, or a supervisor left outside it.
    public func namespacePath(_ kind: NamespaceKind) -> String {
        let suffix = kind == .pid || kind == .time ? "_for_children" : ""
        return "/proc/\(pid.rawValue)/ns/\(kind.procName)\(suffix)"
    }

    func setNamespaces(_ ids: [(NamespaceKind, NamespaceID)]) {
        state.withLock { $0.namespaces = ids }
    }

    /// Sends `signal` to the process through its pidfd, or with kill(2) where a seccomp profile
    /// refuses pidfd_send_signal (ENOSYS; the process is our unreaped child, so its pid cannot
    /// name another). An init or supervisor passes every signal it can catch on to the command
    /// but SIGCHLD.
    /// - Throws: `SandboxError` (`.wait`), e.g. ESRCH once it has been waited for.
    /// The corresponding system call is pidfd_send_signal(2).
    public func signal(_ signal: Int32) throws(SandboxError) {
        let gone = reaped.load(ordering: .acquiring)
        guard !gone, cn_signal_child(pidfd.rawValue, pid.rawValue, signal) == 0 else {
            throw SandboxError(.wait, .signal(Signal(rawValue: signal)), errno: gone ? .noSuchProcess : .current,
                detail: "cannot signal process \(pid)")
        }
    }

    /// Waits until the command ends and returns how; later calls return the same value. Any
    /// number of threads and tasks may wait at once, and read `namespaces` meanwhile: the
    /// wait blocks in poll(2) on the pidfd, holding no lock, and reaps once it is readable.
    /// - Throws: `SandboxError` (`.wait`) if the process was reaped elsewhere (for example with
    ///   SIGCHLD ignored).
    /// The corresponding system calls are poll(2) and waitid(2) with P_PIDFD.
    public func wait() throws(SandboxError) -> Termination {
        while true {
            if let termination = try reapIfExited() { return termination }
            var ready = pollfd(fd: pidfd.rawValue, events: Int16(POLLIN), revents: 0)
            _ = poll(&ready, 1, -1)  // EINTR: look again
        }
    }

    /// Waits without blocking a thread: the pidfd is watched by the one epoll thread of the
    /// process (`Readiness`), so a thousand awaited sandboxes cost no thread each.
    ///
    /// Cancelling the awaiting task detaches: the wait throws `SandboxError` with errno
    /// `.canceled` and the process runs on, still ours to `signal(_:)` and await again.
    /// (`Sandbox.run` kills the process instead: it must not outlive the call.)
    /// - Throws: `SandboxError` (`.wait`), as `wait()`, or with errno `.canceled`.
    public func wait() async throws(SandboxError) -> Termination {
        while true {
            if let termination = try reapIfExited() { return termination }
            if try await Readiness.shared.wait(pidfd.rawValue, for: EPOLLIN.rawValue) == .cancelled {
                if let termination = try reapIfExited() { return termination }
                throw .waitCancelled(pid)
            }
        }
    }

    /// Waits as `wait() async` does, but a cancelled task does not stop it (for a process just
    /// killed, which ends at once).
    func waitIgnoringCancellation() async throws(SandboxError) -> Termination {
        while true {
            if let termination = try reapIfExited() { return termination }
            _ = try await Readiness.shared.wait(pidfd.rawValue, for: EPOLLIN.rawValue, cancellable: false)
        }
    }

    /// The termination if the process has ended, reaping it the first time; nil while it runs.
    /// Never blocks: waitid with WNOHANG, and the supervisor's report was written before it
    /// exited (the status pipe is non-blocking).
    private func reapIfExited() throws(SandboxError) -> Termination? {
        try state.withLock { state throws(SandboxError) -> Termination? in
            if let termination = state.termination { return termination }
            var code: Int32 = 0
            var status: Int32 = 0
            let waited = cn_wait_pidfd(pidfd.rawValue, 1, &code, &status)
            if waited == 1 { return nil }
            if waited == 0 { reaped.store(true, ordering: .releasing) }
            guard waited == 0 else {
                throw SandboxError(.wait, .wait, errno: .current, detail: "cannot wait for process \(pid)",
                    hint: "something else reaped it: is SIGCHLD ignored in this process?")
            }
            var termination: Termination = code == CLD_EXITED ? .exited(status) : .signaled(Signal(rawValue: status))
            // A supervisor reports the command's own wait status before it exits, or why it
            // could not wait for it.
            if statusFD >= 0, let reported = readValue(statusFD, as: Int32.self, initial: 0) {
                if reported == CN_STATUS_WAIT_FAILED {
                    let error = readValue(statusFD, as: Int32.self, initial: 0).map(Errno.init(rawValue:))
                    if restoresForeground { takeBackTerminal() }
                    throw SandboxError(.wait, .initWait, errno: error,
                        detail: "the supervisor of the command (the sandbox's init) could not wait for it and ended it")
                }
                termination = Termination(waitStatus: reported)
            }
            if restoresForeground { takeBackTerminal() }
            state.termination = termination
            return termination
        }
    }

    /// The signals `waitPassingOnSignals()` passes on, as tini and dumb-init do: every signal a
    /// process can catch but SIGCHLD (and glibc's own two).
    public static var passedOnSignals: [Int32] {
        var set = sigset_t()
        cn_passed_on_signals(&set)
        return (1...64).filter { sigismember(&set, $0) == 1 }
    }

    /// Blocks `passedOnSignals` in the calling thread, as `waitPassingOnSignals()` does, for a
    /// caller that will wait so: called before `Sandbox/spawn(_:)`, no signal can end the caller
    /// while the command starts. A command with `SandboxCommand/inheritsSignalMask` still gets
    /// the mask the thread had before this call.
    public static func blockPassedOnSignals() {
        _ = cn_block_passed_on_signals()
    }

    /// Sets SIGCHLD back to its default action if the caller ignores it (a supervisor may start
    /// us so): the kernel would then reap our children itself, and `wait()` lose the command's
    /// status (SA_NOCLDWAIT likewise); a handler stays. For a program that spawns and waits:
    /// call it before `Sandbox/spawn(_:)`. The corresponding system call is sigaction(2).
    public static func takeBackChildSignal() {
        cn_take_back_child_signal()
    }


    /// Waits as `wait()` does, as a command-line tool that runs the command for its user must:
    /// `passedOnSignals` are blocked in the calling thread, so that no signal ends this process
    /// while the command runs on. Each is passed on to the process (through its pidfd, or
    /// kill(2) without pidfd_send_signal), but one a terminal sent to our process group when
    /// the process is in that group (it had it). SIGTSTP, SIGTTIN and SIGTTOU then stop this
    /// thread too, so that a shell's job control sees the job stopped; SIGCONT is passed on. The
    /// signals stay blocked afterwards: for a program that exits with the command's status
    /// next (unshare --fork blocks SIGINT and SIGTERM likewise). Other threads should block
    /// them as well, or a signal may end the process through them.
    /// - Throws: `SandboxError` (`.wait`), as `wait()`.
    public func waitPassingOnSignals() throws(SandboxError) -> Termination {
        _ = cn_wait_passing_on_signals(pidfd.rawValue, pid.rawValue)
        return try wait()
    }

    /// Kills the whole sandbox and reaps it; for failed set-ups.
    func killAndReap() {
        _ = cn_pidfd_send_signal(pidfd.rawValue, SIGKILL, 0)
        var code: Int32 = 0
        var status: Int32 = 0
        _ = cn_wait_pidfd(pidfd.rawValue, 0, &code, &status)
        reaped.store(true, ordering: .releasing)
        state.withLock { $0.termination = .signaled(.kill) }
    }

    /// Makes the caller's process group the terminal's foreground group again.
    private func takeBackTerminal() {
        guard isatty(0) == 1 else { return }
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGTTOU)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        tcsetpgrp(0, getpgrp())
        pthread_sigmask(SIG_SETMASK, &old, nil)
    }
}

/// Runs `body` on a new detached thread.
func runOnNewThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    if started == 0 {
        pthread_detach(thread)
    } else {
        Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
    }
}

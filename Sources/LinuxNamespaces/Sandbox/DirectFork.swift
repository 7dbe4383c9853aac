import CNamespaces
import Glibc

/// For programs that know they are single-threaded (a command-line tool's synchronous `main`
/// before it starts any thread): forks a child, applies `sandbox` to it (`Sandbox.apply()`:
/// namespaces, maps, mounts, hostname, lo, credentials; pid and time namespaces through one
/// more fork, with an init for a new pid namespace) and runs `body` there, the direct form of
/// Perl's `Sys::Linux::Namespace->run`. `body`'s return value is the child's exit status.
///
/// With `terminateChildAfter` (Perl's `term_child`), any signal this process can catch that
/// comes while it waits ends the child: SIGTERM at once, SIGKILL when it still runs after
/// that grace period; this process goes on and returns how the child ended. Without it, a
/// signal acts on this process as it would anyway.
///
/// ```swift
/// var sandbox = Sandbox(create: [.user, .pid, .mount, .network])
/// sandbox.userMapping = .root
/// let ending = try forkIntoNamespaces(sandbox, terminateChildAfter: .seconds(2)) {
///     print(getpid())   // 2: the init is pid 1
///     return 0
/// }
/// ```
///
/// - Throws: `SandboxError`: `.configuration` for what `Sandbox.apply()` refuses, or when the
///   process has more than one thread (use `Sandbox.spawn` or
///   `Sandbox.run(entryPoint:input:environment:)` there); a step that failed in the child,
///   which is gone then; `.clone` when fork fails.
/// - Returns: how the child ended.
public func forkIntoNamespaces(
    _ sandbox: Sandbox, terminateChildAfter grace: Duration? = nil, _ body: () -> Int32
) throws(SandboxError) -> Termination {
    var prepared = try sandbox.prepareInPlace(for: "forkIntoNamespaces")
    defer { prepared.close() }
    // The child's failed step, if one fails; end of file once `body` runs.
    var failures = try SpawnPipe()
    defer { failures.closeBoth() }
    // With term_child, a signal from the fork on is held until the wait below takes it.
    var callerMask = sigset_t()
    pthread_sigmask(SIG_SETMASK, nil, &callerMask)
    if grace != nil {
        var passedOn = sigset_t()
        cn_passed_on_signals(&passedOn)
        pthread_sigmask(SIG_BLOCK, &passedOn, nil)
    }
    defer { pthread_sigmask(SIG_SETMASK, &callerMask, nil) }
    fflush(nil)
    let child = fork()
    guard child >= 0 else { throw SandboxError(.clone, .fork, errno: .current, detail: "cannot fork") }
    if child == 0 {
        pthread_sigmask(SIG_SETMASK, &callerMask, nil)
        failures.closeRead()
        do throws(StepFailure) {
            if try prepared.carryOut() {
                failures.closeWrite()
                _exit(prepared.waitForChild())
            }
        } catch {
            var report = error.report
            _ = write(failures.writeEnd, &report, MemoryLayout<cn_report>.size)
            _exit(125)
        }
        failures.closeWrite()
        let status = body()
        fflush(nil)
        _exit(status)
    }
    failures.closeWrite()
    // The plan's own pipes are the child's: ours would keep it from seeing their end.
    prepared.channels.closeAll()
    let report = readValue(failures.readEnd, as: cn_report.self, initial: cn_report())
    if let grace, report == nil {
        let pidfd = cn_pidfd_open(child, 0)
        if pidfd >= 0 {
            let (seconds, attoseconds) = grace.components
            _ = cn_wait_terminating_on_signal(pidfd, Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000))
            close(pidfd)
        }
    }
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    if let report {
        throw SandboxError(report: report, pid: ProcessID(rawValue: child), command: SandboxCommand(""), sandbox: sandbox, mounts: prepared.lowered.mounts)
    }
    return Termination(waitStatus: status)
}

/// `forkIntoNamespaces(_:terminateChildAfter:_:)` with a sandbox that creates `kinds`, maps
/// ids with `mapping` (only maps of the caller's own ids: `.root`, `.currentUser`, `.user`) and
/// sets up nothing else: no `/proc`, `lo` left down, and `body` itself pid 1 of a new pid
/// namespace (`PIDOne.command`).
///
/// - Throws: `SandboxError`, as that function does.
/// - Returns: how the child ended.
public func forkIntoNamespaces(
    _ kinds: NamespaceSet, mapping: UserMapping? = nil, _ body: () -> Int32
) throws(SandboxError) -> Termination {
    var sandbox = Sandbox(create: kinds)
    sandbox.userMapping = mapping
    sandbox.pidOne = .command
    sandbox.procMount = .none
    sandbox.loopbackUp = false
    return try forkIntoNamespaces(sandbox, body)
}

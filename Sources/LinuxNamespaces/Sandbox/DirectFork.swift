import Glibc

/// For programs that know they are single-threaded (a command-line tool's synchronous `main`
/// before it starts any thread): forks a child into new namespaces and runs `body` there, the
/// direct form of Perl's `Sys::Linux::Namespace->run`. `body`'s return value is the child's
/// exit status.
///
/// The child unshares `kinds`, writes its own id maps for `mapping` (only maps of the caller's
/// own ids: `.root`, `.currentUser`, `.user`), and forks once more when a pid or time namespace
/// is new, so that `body` runs inside it (as pid 1 of a new pid namespace).
///
/// - Throws: `SandboxError` (`.configuration`) when the process has more than one thread —
///   use `Sandbox.spawn` or `Sandbox.run(entryPoint:input:environment:)` there — or when the mapping needs
///   helpers; (`.clone`) when fork fails.
/// - Returns: how the child ended. A failing namespace step ends it with status 125 and a
///   message on its standard error.
public func forkIntoNamespaces(
    _ kinds: NamespaceSet, mapping: UserMapping? = nil, _ body: () -> Int32
) throws(SandboxError) -> Termination {
    let threads = currentThreadCount()
    guard threads == 1 else {
        throw SandboxError(invalid: "forkIntoNamespaces",
            "this process has \(threads) threads; forking it and running Swift code in the child is not safe",
            hint: "use Sandbox.spawn for a command, or Sandbox.run(entryPoint:input:environment:) for a closure")
    }
    if mapping != nil && !kinds.contains(.user) {
        throw SandboxError(invalid: "mapping", "id maps need a new user namespace", hint: "add .user to the kinds")
    }
    let resolved = try mapping.map { m throws(SandboxError) in try m.resolve(uid: geteuid(), gid: getegid()) }
    if resolved?.useHelpers == true {
        throw SandboxError(invalid: "mapping", "this mapping needs newuidmap, which the direct form does not run",
            hint: "use Sandbox.spawn or Sandbox.run(entryPoint:input:environment:)")
    }
    fflush(nil)
    let child = fork()
    guard child >= 0 else { throw SandboxError(.clone, .fork, errno: .current, detail: "cannot fork") }
    if child == 0 {
        do {
            try unshare(kinds)
            if let resolved {
                try writeIDMaps(of: .current, uidMap: resolved.uidMap, gidMap: resolved.gidMap, setgroups: resolved.setgroups)
            }
        } catch {
            writeAll(2, Array("forkIntoNamespaces: \(error)\n".utf8))
            _exit(125)
        }
        if !kinds.intersection([.pid, .time]).isEmpty {
            // pid and time namespaces hold only children: run body in one, wait, pass its status on.
            let inner = fork()
            if inner < 0 { _exit(125) }
            if inner > 0 {
                var status: Int32 = 0
                while waitpid(inner, &status, 0) < 0 && errno == EINTR {}
                let termination = Termination(waitStatus: status)
                _exit(termination.shellStatus)
            }
        }
        let status = body()
        fflush(nil)
        _exit(status)
    }
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    return Termination(waitStatus: status)
}

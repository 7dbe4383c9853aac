import CNamespaces
import Glibc

extension Sandbox {
    /// Runs `command` in this sandbox instead of the calling process, as unshare(1) and
    /// nsenter(1) do, and never returns.
    ///
    /// Where nothing in the sandbox needs a parent, the calling process itself creates and
    /// enters the namespaces and executes the command: no child, no wait. The command keeps
    /// this process's pid, parent and terminal, and its exit status or signal is the process's.
    /// That needs a single-threaded caller (the kernel lets only such a process create or enter
    /// a user or mount namespace) and a sandbox with no pid or time namespace (both apply to
    /// children only), no persisted namespaces, no parent-death signal, `session` `.inherit`
    /// and, for a new user namespace, a one-line map of the caller's own ids (`.root`,
    /// `.currentUser`, `.user`) and no joins.
    ///
    /// Otherwise it spawns the command (`spawn(_:)`), waits for it, and exits with the status
    /// a shell would report: the exit status, or 128 + the signal that ended it.
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
        try validate(command)
        try validateEnvironment()
        let (uid, gid) = (geteuid(), getegid())
        let mapping = try userMapping.map { m throws(SandboxError) in try m.resolve(uid: uid, gid: gid) }
        if runsInPlace(mapping, uid: uid, gid: gid) { try executeInPlace(command, mapping) }
        let process = try spawn(command)
        exit(try process.wait().shellStatus)
    }

    /// Whether the calling process can become the command itself (see `execute(_:)`).
    func runsInPlace(_ mapping: ResolvedMapping?, uid: uid_t, gid: gid_t) -> Bool {
        let kinds = create.union(NamespaceSet(joins.map(\.kind)))
        guard kinds.intersection([.pid, .time]).isEmpty, persist.isEmpty, parentDeathSignal == nil,
            session == .inherit
        else { return false }
        // Maps of other ids are written from outside (by a parent, or newuidmap); after a join,
        // /proc/self may not show this process (a joined mount namespace's /proc).
        if let mapping, !joins.isEmpty || !mapping.writableFromInside(uid: uid, gid: gid) { return false }
        return currentThreadCount() == 1
    }

    /// The plan of `execute(_:)` carried out by this process; returns only by throwing.
    private func executeInPlace(_ command: SandboxCommand, _ mapping: ResolvedMapping?) throws(SandboxError) -> Never {
        let searchPath = try searchPath(for: command)
        let handles = try openJoins()
        defer { for handle in handles { try? handle.close() } }
        let arena = CArena()
        var plan = cn_plan()
        plan.unshare_user = create.contains(.user) ? 1 : 0
        plan.unshare_flags = create.subtracting(.user).rawValue
        fillJoins(&plan, handles)
        (plan.ready_fd, plan.go_fd, plan.error_fd, plan.status_fd, plan.persist_go_fd) = (-1, -1, -1, -1, -1)
        plan.parent_ends = (-1, -1, -1, -1, -1)
        plan.parent_pidfd = -1
        fillCredentials(&plan, mapping: mapping)
        if let mapping { fillOwnMaps(&plan, arena, mapping) }
        let mounts = effectiveMounts
        fillEnvironment(&plan, arena, mounts: mounts)
        fillProcess(&plan, arena, command, searchPath: searchPath)
        var failure = cn_report()
        withExtendedLifetime(arena) { _ = cn_exec_in_place(&plan, &failure) }
        throw SandboxError(report: failure, pid: ProcessID(rawValue: getpid()), command: command, sandbox: self, mounts: mounts)
    }
}

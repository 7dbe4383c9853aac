import CNamespaces

/// Which namespaces the clone itself creates, which the child creates later, and whether it must
/// fork again, derived from what a sandbox creates and joins.
///
/// Without joins, clone3 creates everything at once (one system call; a new pid namespace makes
/// the child its pid 1), except a time namespace: its offsets must be written before any process
/// is inside, so the child unshares it and forks. With joins, the child enters them first with
/// the caller's privileges, then creates its user namespace, so that every new namespace is
/// owned by the user namespace the sandbox ends up in (youki's create-or-join order).
struct ProcessGeometry {
    var cloneFlags: NamespaceSet
    var unshareUser: Bool
    var unshareFlags: NamespaceSet
    var forkForChildren: Bool
    var mayHaveSupervisor: Bool

    init(_ sandbox: Sandbox) {
        let create = sandbox.create
        let joined = NamespaceSet(sandbox.joins.map(\.kind))
        if joined.isEmpty {
            // The command as pid 1 and a time namespace: both must come from the same late fork.
            let latePID = create.contains(.time) && sandbox.pidOne == .command ? create.intersection(.pid) : []
            cloneFlags = create.subtracting(.time).subtracting(latePID)
            unshareUser = false
            unshareFlags = create.intersection(.time).union(latePID)
        } else {
            cloneFlags = []
            unshareUser = create.contains(.user)
            unshareFlags = create.subtracting(.user)
        }
        forkForChildren = !unshareFlags.union(joined).intersection([.pid, .time]).isEmpty
        mayHaveSupervisor = forkForChildren || (create.contains(.pid) && sandbox.pidOne == .initProcess)
    }

    func fill(_ plan: inout cn_plan) {
        plan.clone_flags = cloneFlags.rawValue
        plan.unshare_user = unshareUser ? 1 : 0
        plan.unshare_flags = unshareFlags.rawValue
        plan.fork_for_children = forkForChildren ? 1 : 0
    }
}

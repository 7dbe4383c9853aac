import CNamespaces
import Glibc

/// Which namespaces the clone itself creates, which the child creates later, and whether it must
/// fork again, derived from what a sandbox creates and joins.
///
/// Without joins, clone3 creates everything at once (one system call; a new pid namespace makes
/// the child its pid 1), except a time namespace: its offsets must be written before any process
/// is inside, so the child unshares it, writes them and executes, which takes it inside (Linux
/// 6.2; older kernels need a fork, see `execEntersTimeNamespace`). With joins, the child enters them first with
/// the caller's privileges, then creates its user namespace, so that every new namespace is
/// owned by the user namespace the sandbox ends up in (youki's create-or-join order). In place
/// (`execute`, `apply`) there is no clone: this process unshares everything, as with joins.
struct ProcessGeometry {
    var cloneFlags: NamespaceSet
    var unshareUser: Bool
    var unshareFlags: NamespaceSet
    var forkForChildren: Bool
    /// execve(2) takes the command into the new time namespace: no fork for it.
    var execEntersTime: Bool
    /// The command's process is the caller's own child (the fork into pid and time namespaces
    /// made with CLONE_PARENT), and the child that forked it leaves: no supervisor between.
    var forkAsSibling: Bool
    var runInit: Bool
    var mayHaveSupervisor: Bool

    /// `kernelEntersTimeAtExec`: whether the kernel moves a process into its new time namespace at
    /// execve (a parameter for the tests of older kernels' geometry).
    init(_ sandbox: Sandbox, mode: LaunchMode = .spawn, kernelEntersTimeAtExec: Bool = execEntersTimeNamespace) {
        let create = sandbox.create
        let joined = sandbox.joinedKinds
        execEntersTime = mode != .apply && kernelEntersTimeAtExec
        // A namespace owned by someone else is created after the child took the owner's ids.
        if joined.isEmpty && mode == .spawn && sandbox.userNamespaceOwner == nil {
            // The command as pid 1 and a time namespace that needs a fork: both must come from
            // the same late fork.
            let latePID = create.contains(.time) && !execEntersTime && sandbox.pidOne == .command ? create.intersection(.pid) : []
            cloneFlags = create.subtracting(.time).subtracting(latePID)
            unshareUser = false
            unshareFlags = create.intersection(.time).union(latePID)
        } else {
            cloneFlags = []
            unshareUser = create.contains(.user)
            unshareFlags = create.subtracting(.user)
        }
        let forkedInto = sandbox.forkIntoJoinedNamespaces ? joined : []
        forkForChildren = !unshareFlags.intersection(Sandbox.forkedKinds(execEntersTime)).union(forkedInto.intersection(.pid)).isEmpty
        runInit = sandbox.runsInit
        // The caller then holds the command's process by a pidfd it opens itself. Not into a
        // time namespace before Linux 6.2: that fork must be a copy (see enters_time_namespace
        // in child.c), so it cannot tell when the command has been executed; the child stays
        // and supervises.
        let time = create.contains(.time) && !execEntersTime
        forkAsSibling = mode == .spawn && forkForChildren && !runInit && !time && pidfdOpenWorks
        mayHaveSupervisor = runInit || (forkForChildren && !forkAsSibling)
    }

    func fill(_ plan: inout cn_plan) {
        plan.clone_flags = cloneFlags.rawValue
        plan.unshare_user = unshareUser ? 1 : 0
        plan.unshare_flags = unshareFlags.rawValue
        plan.fork_for_children = forkForChildren ? 1 : 0
        plan.exec_enters_time = execEntersTime ? 1 : 0
        plan.fork_as_sibling = forkAsSibling ? 1 : 0
        plan.run_init = runInit ? 1 : 0
    }
}

/// Whether pidfd_open(2) works here (Linux 5.3; a seccomp filter may refuse it).
let pidfdOpenWorks: Bool = {
    let fd = cn_pidfd_open(getpid(), 0)
    if fd >= 0 { close(fd) }
    return fd >= 0
}()

extension Sandbox {
    /// The kinds of the namespaces this sandbox joins.
    var joinedKinds: NamespaceSet { NamespaceSet(joins.map(\.kind)) }

    /// The kinds of the namespaces the command ends up in that are not the caller's.
    var createdOrJoined: NamespaceSet { create.union(joinedKinds) }

    /// The namespaces that the command's process must be forked into (they apply to children
    /// only): a created pid namespace and a joined one unless `forkIntoJoinedNamespaces` is off,
    /// a created time namespace where execve does not enter it (`execEntersTimeNamespace`).
    /// Never a joined time namespace: setns(2) moves the caller itself (as nsenter, no fork).
    var childOnlyNamespaces: NamespaceSet {
        create.intersection(Sandbox.forkedKinds(execEntersTimeNamespace))
            .union(forkIntoJoinedNamespaces ? joinedKinds.intersection(.pid) : [])
    }

    /// The kinds of namespace that a process creates for its children only and enters by a
    /// fork: pid, and time unless execve enters it.
    static func forkedKinds(_ execEntersTime: Bool) -> NamespaceSet {
        execEntersTime ? .pid : [.pid, .time]
    }

    /// Whether an init runs as pid 1 of a new pid namespace, with the command as its child.
    var runsInit: Bool { create.contains(.pid) && pidOne == .initProcess }
}

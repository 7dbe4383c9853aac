import CNamespaces
import Glibc
import SystemPackage

/// Moves the calling process (or, for net, uts, ipc and cgroup in a multithreaded process, the
/// calling thread) into the namespace `fd` refers to.
///
/// - Parameters:
///   - fd: an open namespace file (`/proc/PID/ns/KIND` or a bind mount of one).
///   - kind: the kind `fd` must be; a file of another kind is refused before setns(2) is
///     called. Nil accepts any kind.
/// - Throws: `NamespaceError` (`.inspect`) for a wrong kind or a file that is not a namespace,
///   (`.setns`) when the kernel refuses, including our explanation for a multithreaded process
///   entering a user or mount namespace.
/// The corresponding system call is setns(2).
public func setNamespace(_ fd: FileDescriptor, kind: NamespaceKind? = nil) throws(NamespaceError) {
    let actual = try namespaceKind(of: fd, path: nil, expecting: kind)
    try setNamespace(fd, checkedKind: actual, path: nil)
}

/// Moves the calling process into the namespace the file at `path` refers to.
///
/// - Parameters:
///   - path: `/proc/PID/ns/KIND`, or a file a namespace is bind-mounted on.
///   - kind: the kind the file must be, or nil for any.
/// - Throws: `NamespaceError` as `setNamespace(_:kind:)` does, and (`.open`) when the file
///   cannot be opened.
/// The corresponding system call is setns(2).
public func enterNamespace(path: FilePath, kind: NamespaceKind? = nil) throws(NamespaceError) {
    let handle = try NamespaceHandle.open(path: path, expecting: kind)
    defer { try? handle.close() }
    try setNamespace(handle.fileDescriptor, checkedKind: handle.kind, path: path)
}

/// Moves the calling process into namespaces of process `pid`.
///
/// Kinds the caller already shares with `pid` are skipped: entering one's own user namespace
/// is an error for the kernel, and a no-op for everything else. Every namespace file is opened
/// before the first move, so a target that exits half-way cannot leave the caller half-moved
/// by a failed open. Where the kernel has it (Linux 5.8), all kinds are entered at once through
/// a pidfd, atomically; otherwise one by one, in the order nsenter(1) uses: kinds that the
/// caller's own privileges allow, then the user namespace, then the rest.
///
/// This does not change uid, gid or groups, unlike nsenter(1) entering a user namespace.
///
/// - Parameters:
///   - pid: the target process.
///   - kinds: which of its namespaces to enter; `.all` for every one that differs from ours.
/// - Returns: the kinds actually entered (those that differed).
/// - Throws: `NamespaceError` naming the kind that failed.
/// The corresponding system calls are pidfd_open(2) and setns(2).
@discardableResult
public func enterNamespaces(of pid: ProcessID, _ kinds: NamespaceSet) throws(NamespaceError)
    -> NamespaceSet
{
    var handles: [NamespaceHandle] = []
    defer { for handle in handles { try? handle.close() } }
    for kind in kinds.kinds {
        let handle = try NamespaceHandle.open(kind, of: pid)
        handles.append(handle)
    }
    // A namespace we are already in: skip it (the kernel refuses to re-enter the own user ns).
    var pending: [NamespaceHandle] = []
    for handle in handles {
        let theirs = try handle.id()
        let ours = try? NamespaceID(handle.kind)
        if theirs != ours { pending.append(handle) }
    }
    let entering = NamespaceSet(pending.map(\.kind))
    if entering.isEmpty { return [] }
    if entering.contains(.user) || entering.contains(.mount),
        let error = multithreadedError(.setns, kinds: entering)
    {
        throw error
    }
    if enterThroughPidfd(pid, entering) { return entering }

    // One by one, in two passes as nsenter(1) does: first what our own privileges allow, then
    // the user namespace (which may grant the rest), then whatever failed in the first pass.
    var failed: [NamespaceHandle] = []
    let user = pending.first { $0.kind == .user }
    for handle in pending where handle.kind != .user {
        do { try handle.enter() } catch { failed.append(handle) }
    }
    try user?.enter()
    for handle in failed { try handle.enter() }
    return entering
}

/// setns(pidfd, kinds): all at once. False when the kernel has no pidfd setns or refused;
/// the caller then goes kind by kind and reports the precise failure. Nothing has changed then:
/// a pidfd setns is all or nothing.
private func enterThroughPidfd(_ pid: ProcessID, _ kinds: NamespaceSet) -> Bool {
    let pidfd = cn_pidfd_open(pid.rawValue, 0)
    guard pidfd >= 0 else { return false }
    defer { Glibc.close(pidfd) }
    return cn_setns(pidfd, kinds.rawValue) == 0
}

/// setns on a descriptor whose kind is known, with the multithreading check and hints.
func setNamespace(_ fd: FileDescriptor, checkedKind kind: NamespaceKind, path: FilePath?)
    throws(NamespaceError)
{
    if kind == .user || kind == .mount,
        let error = multithreadedError(.setns, kinds: NamespaceSet(kind), path: path)
    {
        throw error
    }
    guard cn_setns(fd.rawValue, kind.cloneFlag) == 0 else {
        let errno = Errno.current
        var hint: String?
        switch errno {
        case .notPermitted:
            hint = "entering a \(kind) namespace needs CAP_SYS_ADMIN over its owner user namespace"
                + (kind == .user ? "" : "; enter that user namespace first")
        case .invalidArgument where kind == .user:
            hint = "a process cannot re-enter the user namespace it is in, nor an ancestor of it"
        case .invalidArgument where kind == .pid:
            hint = "a pid namespace can only be entered if it is the caller's or a descendant of it"
        default: break
        }
        throw NamespaceError(
            .setns, kinds: NamespaceSet(kind), path: path, errno: errno,
            detail: "the kernel refused", hint: hint)
    }
}

import Glibc

/// Lists the namespaces of the system that the caller can see, as `lsns(8)` does.
///
/// Namespaces are found, in this order of precedence, as:
/// 1. the namespaces of every process: `/proc/[0-9]*/ns/KIND`, each link read once. Processes
///    that exit meanwhile or whose namespaces the caller may not read (ptrace access mode) are
///    skipped. Threads are not visited: a thread that alone unshared a namespace is not seen.
/// 2. namespaces bind-mounted on files (`query.includeBindMounts`): the `nsfs` entries of
///    `/proc/self/mountinfo`, as `lsns` and `ip netns` see them; their process count is 0.
/// 3. namespaces that only open files keep (`query.includeOpenFiles`): `/proc/PID/fd/N` links
///    that read `KIND:[INODE]`, and network namespaces only a socket keeps (SIOCGSKNS).
/// 4. owners and parents nothing else holds: always for the namespaces no process is in (as
///    `lsns`), for all with `query.includeAncestors`.
///
/// Parents and owners are asked once per namespace, never per process, and process details
/// are read once per distinct lowest process: the cost grows with the number of processes
/// (one readlink(2) per process and kind) plus a few calls per namespace.
///
/// The result is sorted by `id`, that is by inode number, as `lsns` sorts. The initial
/// namespaces have the lowest numbers and come first; after them the order is not creation
/// order, as the kernel reuses the numbers of namespaces that are gone.
///
/// ```swift
/// let mine = try listNamespaces(NamespaceQuery(task: .current))
/// ```
///
/// - Parameter query: which kinds, which task, which sources, how much detail.
/// - Returns: one `NamespaceInfo` per namespace.
/// - Throws: `NamespaceError` (`.inspect`) when `/proc` cannot be read, or when `query.task`
///   is set and that process does not exist or its namespaces cannot be read.
/// The corresponding command is `lsns -o NS,TYPE,PATH,NPROCS,PID,PPID,COMMAND,UID,USER,NSFS,PNS,ONS`.
public func listNamespaces(_ query: NamespaceQuery = NamespaceQuery()) throws(NamespaceError)
    -> [NamespaceInfo]
{
    let kinds = query.kinds.kinds
    var wanted: Set<NamespaceID>?
    if let task = query.task { wanted = try namespaceIDs(of: task, kinds: kinds) }
    var scan = ProcessScan(kinds: kinds, wanted: wanted, readOpenFiles: query.includeOpenFiles)
    try scan.run()
    var table = scan.table
    for mount in namespaceMounts(of: query.kinds) where wanted?.contains(mount.id) ?? true {
        if query.includeBindMounts {
            table.insert(NamespaceInfo(kind: mount.kind, id: mount.id, origin: .bindMount))
        }
        table.noteMount(mount.mountPoint, of: mount.id)
    }
    // Namespaces only a socket holds have no path: they are asked through the descriptor
    // SIOCGSKNS gave, kept open until the end.
    var descriptors: [NamespaceID: Int32] = [:]
    defer { for fd in descriptors.values { close(fd) } }
    for held in scan.held {
        if let descriptor = held.descriptor {
            if table.contains(held.id) || descriptors[held.id] != nil {
                close(descriptor)
                continue
            }
            descriptors[held.id] = descriptor
            table.insert(NamespaceInfo(kind: held.kind, id: held.id, origin: .socket))
        } else {
            var info = NamespaceInfo(kind: held.kind, id: held.id, origin: .openFile)
            info.pathText = "/proc/\(held.pid)/fd/\(held.fd)"
            table.insert(info)
        }
    }
    if query.resolveRelations || table.entries.contains(where: { $0.processCount == 0 }) {
        resolveRelations(
            in: &table, addingAncestors: query.includeAncestors, kinds: query.kinds, descriptors: descriptors,
            onlyUnheld: !query.resolveRelations)
    }
    if query.resolveProcessDetails { resolveProcessDetails(in: &table, parentPIDs: query.resolveParentPIDs) }
    if query.resolveNetworkIDs && query.kinds.contains(.network) {
        resolveNetworkIDs(in: &table, descriptors: descriptors)
    }
    return table.entries.sorted { $0.id < $1.id }
}

/// The ids of the namespaces of `kinds` that `task` is in.
private func namespaceIDs(of task: ProcessID, kinds: [NamespaceKind]) throws(NamespaceError)
    -> Set<NamespaceID>
{
    var ids = Set<NamespaceID>()
    for kind in kinds {
        do {
            ids.insert(try NamespaceID(kind, of: task))
        } catch {
            // A kind this kernel lacks (no /proc/PID/ns/time before 5.6) while the process exists.
            if error.errno == .noSuchFileOrDirectory, access(task.procDirectory, F_OK) == 0 { continue }
            var error = error
            error.detail = "cannot read the namespaces of the task"
            error.hint = error.errno == .permissionDenied
                ? "reading another process's namespaces needs ptrace access to it: the same user, or CAP_SYS_PTRACE"
                : "check the pid; the process may be gone"
            throw error
        }
    }
    return ids
}

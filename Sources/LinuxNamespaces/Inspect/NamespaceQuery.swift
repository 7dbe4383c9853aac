/// What `listNamespaces(_:)` lists and how much it finds out about each namespace.
///
/// The defaults list what `lsns(8)` lists, with every column filled in:
///
/// ```swift
/// for namespace in try listNamespaces(NamespaceQuery(kinds: .network)) {
///     print(namespace.id, namespace.processCount, namespace.command ?? "")
/// }
/// ```
///
/// Turning off what a caller does not print saves system calls: `resolveRelations` opens each
/// namespace once; `resolveProcessDetails` reads three files of each namespace's lowest process.
///
/// The corresponding `lsns` options are `--type` and `--task`; `lsns --persistent` is the
/// listing filtered to `processCount == 0`.
public struct NamespaceQuery: Sendable, Hashable {
    /// The kinds to list (`lsns --type`). Default: all.
    public var kinds: NamespaceSet
    /// When set, only the namespaces this process is in (`lsns --task`). Their process counts
    /// still count every process of the system.
    public var task: ProcessID?
    /// Whether to list namespaces no process is in but that are bind-mounted on a file
    /// (persistent namespaces, `nsfs` entries of `/proc/self/mountinfo`). Default: true.
    public var includeBindMounts: Bool
    /// Whether to list namespaces that only an open file descriptor or a socket keeps alive,
    /// found by reading every process's `/proc/PID/fd` links (a socket's namespace is asked
    /// with SIOCGSKNS on a copy of it, which needs ptrace access to its process). Default: false,
    /// as it reads one link per open file of the system (`nsbox ls` turns it on, as lsns master
    /// scans them; util-linux 2.38 does not).
    public var includeOpenFiles: Bool
    /// Whether to add the owners and parents of listed namespaces that nothing visible holds,
    /// so that an ownership tree has no gaps (`lsns --tree`). Needs `resolveRelations`.
    /// Default: false.
    public var includeAncestors: Bool
    /// Whether to find each namespace's parent and owner (the PNS and ONS columns). Default:
    /// true.
    public var resolveRelations: Bool
    /// Whether to read the parent pid, uid, user name and command of each namespace's lowest
    /// process. Default: true.
    public var resolveProcessDetails: Bool
    /// Whether `resolveProcessDetails` also reads the parent pid (`/proc/PID/stat`, one more
    /// file per process). Default: true.
    public var resolveParentPIDs: Bool
    /// Whether to ask the id the network subsystem gives each network namespace
    /// (`NamespaceInfo.networkID`, over a netlink route socket). Default: true.
    public var resolveNetworkIDs: Bool

    /// A query for the namespaces of `kinds`, of every process or only of `task`.
    public init(kinds: NamespaceSet = .all, task: ProcessID? = nil) {
        self.kinds = kinds
        self.task = task
        self.includeBindMounts = true
        self.includeOpenFiles = false
        self.includeAncestors = false
        self.resolveRelations = true
        self.resolveProcessDetails = true
        self.resolveParentPIDs = true
        self.resolveNetworkIDs = true
    }
}

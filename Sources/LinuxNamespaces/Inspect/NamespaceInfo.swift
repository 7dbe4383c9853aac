import Glibc
import SystemPackage

/// One namespace of the system, as `lsns(8)` describes it: its kind and id, how many processes
/// are in it, the lowest of them, and the namespaces it hangs from.
///
/// `listNamespaces(_:)` returns these. The process fields (`pid`, `parentPID`, `uid`,
/// `userName`, `command`) describe the lowest-numbered process in the namespace; they are nil
/// for a namespace no process is in (kept alive by a bind mount or an open file) and for a
/// process that exited while the list was being made.
public struct NamespaceInfo: Sendable, Hashable, Codable {
    /// How the listing came to know a namespace.
    public enum Origin: String, Sendable, Hashable, Codable {
        /// A process is in it: `/proc/PID/ns/KIND`.
        case process
        /// No process is in it; a namespace file is bind-mounted on a path (a persistent
        /// namespace, as `unshare --net=FILE` or `ip netns add` make).
        case bindMount
        /// No process is in it and nothing mounts it; a process holds it open
        /// (`/proc/PID/fd/N`).
        case openFile
        /// No process is in it, nothing mounts it or holds it open as a file; a socket a
        /// process holds belongs to it (a network namespace, found with SIOCGSKNS).
        case socket
        /// Nothing visible holds it; it is the owner or parent of a namespace that was listed.
        case relation
    }

    /// The kind: the TYPE column.
    public var kind: NamespaceKind
    /// The nsfs device and inode: the NS column is `id.inode`.
    public var id: NamespaceID
    /// How many processes are in it (threads are not counted): the NPROCS column.
    public var processCount: Int
    /// The lowest-numbered process in it: the PID column.
    public var pid: ProcessID?
    /// The parent of `pid`: the PPID column.
    public var parentPID: ProcessID?
    /// The owner of `/proc/PID` for `pid`, which is the process's effective uid (root for a
    /// process that is not dumpable), in the caller's user namespace: the UID column. For a
    /// namespace no process is in, the uid that created its user namespace (for a user
    /// namespace, itself), as `NS_GET_OWNER_UID` reports it; nil when that is not known.
    public var uid: uid_t?
    /// The name of `uid` in the password database: the USER column.
    public var userName: String?
    /// The command line of `pid`, arguments joined by spaces, or its `comm` name when the
    /// command line is empty (kernel threads): the COMMAND column.
    public var command: String?
    /// A path that names this namespace and can be opened: `/proc/PID/ns/KIND` while a process
    /// is in it, else its first bind mount, else `/proc/PID/fd/N` of a process holding it open;
    /// nil when nothing visible holds it (`origin == .relation`) or only a socket does. The
    /// PATH column.
    public var path: FilePath? {
        get { pathText.map { FilePath($0) } }
        set { pathText = newValue?.string }
    }
    /// The paths this namespace is bind-mounted on, as `/proc/self/mountinfo` lists them: the
    /// NSFS column.
    public var mountPoints: [FilePath] {
        get { mountPointTexts.map { FilePath($0) } }
        set { mountPointTexts = newValue.map(\.string) }
    }
    /// `path` and `mountPoints` as text: the listing fills and prints them as strings, and the
    /// Codable form stays `"path": "/proc/1/ns/net"` (FilePath's own is its byte storage).
    var pathText: String?
    var mountPointTexts: [String]
    /// The parent namespace, for pid and user namespaces only; nil for the other kinds and
    /// when the parent is outside the caller's reach (the caller's own top namespace has none
    /// it may see). The PNS column.
    public var parentID: NamespaceID?
    /// The user namespace that owns this one (for a user namespace, its parent); nil when it is
    /// outside the caller's reach. The ONS column.
    public var ownerID: NamespaceID?
    /// The id the network subsystem gives this network namespace as seen from the caller's
    /// (RTM_GETNSID, what `ip netns list-id` shows): -1 when none is assigned, nil for the
    /// other kinds or when it could not be asked. The NETNSID column.
    public var networkID: Int32?
    /// How the listing found it.
    public var origin: Origin

    /// A namespace description; every field but the kind and id has a default.
    public init(
        kind: NamespaceKind, id: NamespaceID, processCount: Int = 0, pid: ProcessID? = nil,
        parentPID: ProcessID? = nil, uid: uid_t? = nil, userName: String? = nil,
        command: String? = nil, path: FilePath? = nil, mountPoints: [FilePath] = [],
        parentID: NamespaceID? = nil, ownerID: NamespaceID? = nil, networkID: Int32? = nil,
        origin: Origin = .process
    ) {
        self.kind = kind
        self.id = id
        self.processCount = processCount
        self.pid = pid
        self.parentPID = parentPID
        self.uid = uid
        self.userName = userName
        self.command = command
        self.pathText = path?.string
        self.mountPointTexts = mountPoints.map(\.string)
        self.parentID = parentID
        self.ownerID = ownerID
        self.networkID = networkID
        self.origin = origin
    }

    enum CodingKeys: String, CodingKey {
        case kind, id, processCount, pid, parentPID, uid, userName, command
        case pathText = "path", mountPointTexts = "mountPoints"
        case parentID, ownerID, networkID, origin
    }
}

extension NamespaceInfo: CustomStringConvertible {
    /// One line in the order of `lsns`' default columns: `4026532290 net 1 1234 root sleep 60`.
    public var description: String {
        let fields: [String] = [
            id.description, kind.procName, String(processCount),
            pid.map { String($0.rawValue) } ?? "-", userName ?? uid.map { String($0) } ?? "-",
            command ?? pathText ?? "",
        ]
        return fields.joined(separator: " ")
    }
}

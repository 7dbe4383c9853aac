import CNamespaces

/// One of the eight kinds of Linux namespace.
///
/// Each kind isolates one resource: mount points, process ids, network devices, and so on.
/// See namespaces(7).
public enum NamespaceKind: String, CaseIterable, Sendable, Hashable, Codable {
    /// Control group root directory: cgroup_namespaces(7).
    case cgroup
    /// System V IPC and POSIX message queues: ipc_namespaces(7).
    case ipc
    /// Mount points: mount_namespaces(7).
    case mount
    /// Network devices, stacks, ports: network_namespaces(7).
    case network
    /// Process ids: pid_namespaces(7).
    case pid
    /// Boot and monotonic clocks: time_namespaces(7).
    case time
    /// User and group ids and capabilities: user_namespaces(7).
    case user
    /// Hostname and NIS domain name: uts_namespaces(7).
    case uts

    /// The `CLONE_NEW*` flag that creates or names this kind in clone(2), unshare(2) and setns(2).
    public var cloneFlag: Int32 {
        switch self {
        case .cgroup: CN_CLONE_NEWCGROUP
        case .ipc: CN_CLONE_NEWIPC
        case .mount: CN_CLONE_NEWNS
        case .network: CN_CLONE_NEWNET
        case .pid: CN_CLONE_NEWPID
        case .time: CN_CLONE_NEWTIME
        case .user: CN_CLONE_NEWUSER
        case .uts: CN_CLONE_NEWUTS
        }
    }

    /// The file name of this kind under `/proc/PID/ns/` (`mnt`, `net`, ...), as lsns(8) prints it.
    public var procName: String {
        switch self {
        case .mount: "mnt"
        case .network: "net"
        default: rawValue
        }
    }

    /// The order in which kinds are created or joined: the user namespace first, because it
    /// grants the capabilities the others need; the mount namespace last, because joining it
    /// changes which `/proc` later paths resolve in (youki's `ORDERED_NAMESPACES`).
    public static let applicationOrder: [NamespaceKind] = [
        .user, .pid, .time, .uts, .ipc, .network, .cgroup, .mount,
    ]

    /// Parses the names users type: `net`/`network`, `mnt`/`mount`/`ns`, `user`, `pid`, `uts`,
    /// `ipc`, `cgroup`, `time`, in any letter case, with or without a `CLONE_NEW` prefix.
    /// Returns nil for anything else.
    public init?(name: String) {
        var key = name.lowercased()
        if key.hasPrefix("clone_new") { key.removeFirst("clone_new".count) }
        switch key {
        case "cgroup": self = .cgroup
        case "ipc": self = .ipc
        case "mnt", "mount", "ns": self = .mount
        case "net", "network": self = .network
        case "pid": self = .pid
        case "time": self = .time
        case "user": self = .user
        case "uts": self = .uts
        default: return nil
        }
    }

    /// The kind whose `CLONE_NEW*` flag is `flag`, as `NS_GET_NSTYPE` returns it; nil if none.
    public init?(cloneFlag flag: Int32) {
        guard let kind = NamespaceKind.allCases.first(where: { $0.cloneFlag == flag }) else {
            return nil
        }
        self = kind
    }

    /// The names `init(name:)` accepts, for error messages and help text.
    public static let acceptedNames = "cgroup, ipc, mnt (mount), net (network), pid, time, user, uts"
}

extension NamespaceKind: CustomStringConvertible {
    /// The kind's `/proc/PID/ns/` name.
    public var description: String { procName }
}

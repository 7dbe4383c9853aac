import LinuxNamespaces

/// A column of `nsbox ls`, with the names and meaning `lsns(8)` gives it.
enum ListColumn: String, CaseIterable {
    case ns = "NS", type = "TYPE", path = "PATH", nprocs = "NPROCS", pid = "PID", ppid = "PPID"
    case command = "COMMAND", uid = "UID", user = "USER", netnsid = "NETNSID", nsfs = "NSFS"
    case pns = "PNS", ons = "ONS"

    /// `lsns`' default columns; with `-t net` NETNSID and NSFS before COMMAND.
    static func defaults(network: Bool) -> [ListColumn] {
        network ? [.ns, .type, .nprocs, .pid, .user, .netnsid, .nsfs, .command] : [.ns, .type, .nprocs, .pid, .user, .command]
    }

    /// `lsns NS`' default columns: one row per process.
    static let processDefaults: [ListColumn] = [.pid, .ppid, .user, .command]

    /// The column named `name`, in any case, as lsns matches names.
    init?(name: some StringProtocol) { self.init(rawValue: name.uppercased()) }

    /// Parses `-o NS,TYPE,...`; a leading `+` adds to `defaults`, as lsns.
    static func parse(_ list: String, defaults: [ListColumn]) throws -> [ListColumn] {
        var text = Substring(list)
        var columns: [ListColumn] = []
        if text.hasPrefix("+") {
            columns = defaults
            text = text.dropFirst()
        }
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let column = ListColumn(name: name) else {
                throw Failure(message: "unknown column '\(name)' in --output: use a comma-separated list of \(known)")
            }
            columns.append(column)
        }
        return columns
    }

    /// Every name, comma-separated.
    static var known: String { allCases.map(\.rawValue).joined(separator: ",") }

    /// What `-H` says of the column (lsns' words).
    var help: String {
        switch self {
        case .ns: "namespace identifier (inode number)"
        case .type: "kind of namespace"
        case .path: "path to the namespace"
        case .nprocs: "number of processes in the namespace"
        case .pid: "lowest PID in the namespace"
        case .ppid: "PPID of the PID"
        case .command: "command line of the PID"
        case .uid: "UID of the PID"
        case .user: "username of the PID"
        case .netnsid: "namespace ID as used by network subsystem"
        case .nsfs: "nsfs mountpoint (usually used network subsystem)"
        case .pns: "parent namespace identifier (inode number)"
        case .ons: "owner namespace identifier (inode number)"
        }
    }

    /// lsns' width hint: a column whose widest cell is wider than its heading is made at least
    /// this wide.
    var widthHint: Int {
        switch self {
        case .ns, .pns, .ons: 10
        case .type, .nprocs, .pid, .ppid: 5
        default: 0
        }
    }

    /// Whether the column is right-aligned in the table.
    var isRightAligned: Bool {
        switch self {
        case .ns, .nprocs, .pid, .ppid, .uid, .netnsid, .pns, .ons: true
        default: false
        }
    }

    /// Whether the column is a JSON number and a number in `--filter` (NETNSID, which can read
    /// "unassigned", is text in both, as in lsns).
    var isNumeric: Bool { isRightAligned && self != .netnsid }

    /// The lower-case JSON key.
    var key: String { rawValue.lowercased() }

    /// Whether the column needs owners and parents resolved.
    var needsRelations: Bool { self == .pns || self == .ons }

    /// Whether the column needs the lowest process's details read.
    var needsProcessDetails: Bool {
        switch self {
        case .ppid, .command, .uid, .user: true
        default: false
        }
    }

    /// The cell for `namespace`, nil when empty. A namespace no process is in has no PID,
    /// PPID or COMMAND and the uid that created its user namespace, as lsns shows it; several
    /// NSFS mount points are joined by `separator` (a line break: a multi-line cell).
    func value(of namespace: NamespaceInfo, nsfsSeparator separator: String) -> String? {
        switch self {
        case .ns: return String(namespace.id.inode)
        case .type: return namespace.kind.procName
        case .path: return namespace.path?.string
        case .nprocs: return String(namespace.processCount)
        case .pid: return namespace.pid.map { String($0.rawValue) }
        case .ppid: return namespace.parentPID.map { String($0.rawValue) }
        case .command: return namespace.command
        case .uid: return namespace.uid.map { String($0) }
        case .user: return namespace.userName ?? namespace.uid.map { String($0) }
        case .netnsid:
            guard namespace.kind == .network, let id = namespace.networkID else { return nil }
            return id >= 0 ? String(id) : id == -1 ? "unassigned" : nil
        case .nsfs:
            var paths: [String] = []
            for path in namespace.mountPoints.map(\.string) where !paths.contains(path) { paths.append(path) }
            return paths.isEmpty ? nil : paths.joined(separator: separator)
        case .pns: return String(namespace.parentID?.inode ?? 0)
        case .ons: return String(namespace.ownerID?.inode ?? 0)
        }
    }

    /// The cell for a process of `lsns NS`, nil when empty; the namespace's own columns come
    /// from `namespace`.
    func value(of member: NamespaceMember, in namespace: NamespaceInfo, nsfsSeparator: String) -> String? {
        switch self {
        case .pid: return String(member.pid.rawValue)
        case .ppid: return member.parentPID.map { String($0.rawValue) }
        case .command: return member.command
        case .uid: return member.uid.map { String($0) }
        case .user: return member.userName ?? member.uid.map { String($0) }
        case .path: return "/proc/\(member.pid.rawValue)/ns/\(namespace.kind.procName)"
        default: return value(of: namespace, nsfsSeparator: nsfsSeparator)
        }
    }
}

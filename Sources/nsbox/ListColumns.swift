import LinuxNamespaces

/// A column of `nsbox ls`, with the names and meaning `lsns(8)` gives it.
enum ListColumn: String, CaseIterable {
    case ns = "NS", type = "TYPE", path = "PATH", nprocs = "NPROCS", pid = "PID", ppid = "PPID"
    case command = "COMMAND", uid = "UID", user = "USER", nsfs = "NSFS", pns = "PNS", ons = "ONS"

    /// `lsns`' default columns.
    static let defaults: [ListColumn] = [.ns, .type, .nprocs, .pid, .user, .command]

    /// Parses `-o NS,TYPE,...` (case-insensitive; a leading `+` adds to the defaults, as lsns).
    static func parse(_ list: String) throws -> [ListColumn] {
        var text = Substring(list)
        var columns: [ListColumn] = []
        if text.hasPrefix("+") {
            columns = defaults
            text = text.dropFirst()
        }
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let column = ListColumn(rawValue: name.uppercased()) else {
                let known = allCases.map(\.rawValue).joined(separator: ",")
                throw Failure(message: "unknown column '\(name)' in --output: use a comma-separated list of \(known)")
            }
            columns.append(column)
        }
        return columns
    }

    /// Whether the column is a number, right-aligned in the table and a JSON number.
    var isNumeric: Bool {
        switch self {
        case .ns, .nprocs, .pid, .ppid, .uid, .pns, .ons: return true
        default: return false
        }
    }

    /// The lower-case JSON key.
    var key: String { rawValue.lowercased() }

    /// Whether the column needs owners and parents resolved.
    var needsRelations: Bool { self == .pns || self == .ons }

    /// Whether the column needs the lowest process's details read.
    var needsProcessDetails: Bool {
        switch self {
        case .ppid, .command, .uid, .user: return true
        default: return false
        }
    }

    /// The value for `namespace`, nil when unknown. PNS and ONS are 0 when there is none,
    /// as `lsns` prints them.
    func value(of namespace: NamespaceInfo) -> String? {
        switch self {
        case .ns: return String(namespace.id.inode)
        case .type: return namespace.kind.procName
        case .path: return namespace.path
        case .nprocs: return String(namespace.processCount)
        case .pid: return namespace.pid.map { String($0.rawValue) }
        case .ppid: return namespace.parentPID.map { String($0.rawValue) }
        case .command: return namespace.command
        case .uid: return namespace.uid.map { String($0) }
        case .user: return namespace.userName ?? namespace.uid.map { String($0) }
        case .nsfs: return namespace.mountPoints.isEmpty ? nil : namespace.mountPoints.joined(separator: ",")
        case .pns: return String(namespace.parentID?.inode ?? 0)
        case .ons: return String(namespace.ownerID?.inode ?? 0)
        }
    }
}

/// A set of namespace kinds, whose raw value is the union of their `CLONE_NEW*` flags.
///
/// ```swift
/// try unshare([.user, .network])
/// ```
public struct NamespaceSet: OptionSet, Sendable, Hashable {
    /// The union of `CLONE_NEW*` flags.
    public let rawValue: Int32

    /// A set from a union of `CLONE_NEW*` flags; bits that are not namespace flags are dropped.
    public init(rawValue: Int32) {
        self.rawValue = rawValue & NamespaceKind.allCases.reduce(0) { $0 | $1.cloneFlag }
    }

    /// A set holding exactly one kind.
    public init(_ kind: NamespaceKind) { self.init(rawValue: kind.cloneFlag) }

    /// A set of the given kinds.
    public init<S: Sequence>(_ kinds: S) where S.Element == NamespaceKind {
        self.init(rawValue: kinds.reduce(0) { $0 | $1.cloneFlag })
    }

    /// Control group namespace.
    public static let cgroup = NamespaceSet(.cgroup)
    /// IPC namespace.
    public static let ipc = NamespaceSet(.ipc)
    /// Mount namespace.
    public static let mount = NamespaceSet(.mount)
    /// Network namespace.
    public static let network = NamespaceSet(.network)
    /// PID namespace.
    public static let pid = NamespaceSet(.pid)
    /// Time namespace.
    public static let time = NamespaceSet(.time)
    /// User namespace.
    public static let user = NamespaceSet(.user)
    /// UTS namespace.
    public static let uts = NamespaceSet(.uts)
    /// All eight kinds.
    public static let all = NamespaceSet(NamespaceKind.allCases)

    /// The kinds in this set, in `NamespaceKind.applicationOrder`.
    public var kinds: [NamespaceKind] {
        NamespaceKind.applicationOrder.filter { contains(NamespaceSet($0)) }
    }

    /// Whether the set holds `kind`.
    public func contains(_ kind: NamespaceKind) -> Bool { contains(NamespaceSet(kind)) }

    /// Parses a comma-separated list of kind names (`"user,net,mnt"`), as `NamespaceKind(name:)`
    /// reads each one. Throws `NamespaceError` naming the first unknown name.
    public init(parsing list: String) throws(NamespaceError) {
        var set = NamespaceSet()
        for name in list.split(separator: ",", omittingEmptySubsequences: true) {
            guard let kind = NamespaceKind(name: String(name)) else {
                throw NamespaceError(
                    .parse, detail: "unknown namespace kind '\(name)'",
                    hint: "use one of: \(NamespaceKind.acceptedNames)")
            }
            set.insert(NamespaceSet(kind))
        }
        self = set
    }
}

extension NamespaceSet: CustomStringConvertible {
    /// The kinds' `/proc/PID/ns/` names, comma-separated (`user,net`).
    public var description: String { kinds.map(\.procName).joined(separator: ",") }
}

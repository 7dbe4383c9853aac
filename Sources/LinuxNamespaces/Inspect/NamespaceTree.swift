/// Namespaces arranged as a forest: under each user namespace the namespaces it owns
/// (`lsns --tree=owner`), or under each pid or user namespace its children
/// (`lsns --tree=parent`).
///
/// A namespace whose owner or parent is nil, or not among the namespaces given, is a root.
/// List with `NamespaceQuery.includeAncestors` to get a tree without such gaps.
///
/// ```swift
/// var query = NamespaceQuery()
/// query.includeAncestors = true
/// let tree = NamespaceTree(try listNamespaces(query), by: .owner)
/// for (depth, namespace) in tree.depthFirst() {
///     print(String(repeating: "  ", count: depth) + namespace.description)
/// }
/// ```
///
/// The corresponding command is `lsns --tree=owner` (or `--tree=parent`).
public struct NamespaceTree: Sendable {
    /// Which relation makes the branches.
    public enum Relation: String, Sendable, Hashable, Codable, CaseIterable {
        /// A user namespace above the namespaces it owns, including its child user namespaces
        /// (`NamespaceInfo.ownerID`).
        case owner
        /// A pid or user namespace above its children (`NamespaceInfo.parentID`); the other
        /// kinds have no parent and are roots.
        case parent
    }

    /// The relation the tree is built from.
    public let relation: Relation
    /// The namespaces with no owner (or parent) among those given, in the order given.
    public let roots: [NamespaceInfo]
    private let branches: [NamespaceID: [NamespaceInfo]]

    /// Arranges `namespaces` by `relation`; children keep the order of `namespaces`
    /// (`listNamespaces(_:)` sorts by inode number).
    public init(_ namespaces: [NamespaceInfo], by relation: Relation = .owner) {
        let known = Set(namespaces.map(\.id))
        var roots: [NamespaceInfo] = []
        var branches: [NamespaceID: [NamespaceInfo]] = [:]
        for namespace in namespaces {
            let above = relation == .owner ? namespace.ownerID : namespace.parentID
            if let above, above != namespace.id, known.contains(above) {
                branches[above, default: []].append(namespace)
            } else {
                roots.append(namespace)
            }
        }
        self.relation = relation
        self.roots = roots
        self.branches = branches
    }

    /// The namespaces directly below namespace `id`: those it owns, or its children.
    public func children(of id: NamespaceID) -> [NamespaceInfo] { branches[id] ?? [] }

    /// Every namespace once, each followed by those below it, with its depth (0 for a root).
    public func depthFirst() -> [(depth: Int, namespace: NamespaceInfo)] {
        var rows: [(depth: Int, namespace: NamespaceInfo)] = []
        var pending = roots.reversed().map { (depth: 0, namespace: $0) }
        while let row = pending.popLast() {
            rows.append(row)
            pending += children(of: row.namespace.id).reversed().map { (row.depth + 1, $0) }
        }
        return rows
    }
}

import ArgumentParser
import Glibc
import LinuxNamespaces

/// `nsbox ls`: the namespaces of the system, like `lsns(8)`.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List namespaces, like lsns.",
        discussion: """
            Columns: \(ListColumn.allCases.map(\.rawValue).joined(separator: ", ")) \
            (default: \(ListColumn.defaults.map(\.rawValue).joined(separator: ","))). PNS and ONS \
            are 0 where there is no parent or owner, or it is out of reach; in JSON an unknown \
            value is null. Namespaces no process is in but that are bind-mounted on a file \
            (persistent, `nsbox names`) are listed with NPROCS 0.

            Examples:
              nsbox ls
              nsbox ls -t net -t user
              nsbox ls -p 1234 --json
              nsbox ls --tree=owner -o NS,TYPE,NPROCS,COMMAND
            """)

    @Option(name: [.customShort("t"), .long], help: "Only namespaces of this kind (repeatable): \(NamespaceKind.acceptedNames).")
    var type: [String] = []
    @Option(name: [.customShort("p"), .long], help: "Only the namespaces of this process.")
    var task: Int32?
    @Option(name: [.customShort("o"), .long], help: "Comma-separated columns; '+LIST' adds to the defaults.")
    var output: String?
    @Flag(name: .customLong("output-all"), help: "Every column.")
    var outputAll = false
    @Flag(name: [.customShort("J"), .long], help: "JSON output: {\"namespaces\": [...]}.")
    var json = false
    @Flag(name: [.customShort("r"), .long], help: "Raw output: one space between columns, special characters as \\xHH.")
    var raw = false
    @Flag(name: [.customShort("l"), .long], help: "List output (the default; with --tree, flat again).")
    var list = false
    @Flag(name: [.customShort("n"), .long], help: "No heading line.")
    var noheadings = false
    @Flag(name: [.customShort("u"), .long], help: "Accepted for lsns compatibility; nsbox never truncates.")
    var notruncate = false
    @Option(name: [.customShort("T"), .long], help: "Tree by 'owner' (user namespaces above what they own) or 'parent'.")
    var tree: String?
    @Argument(help: "Only the namespace with this inode number.")
    var namespace: UInt64?

    func run() throws {
        if getenv("NSBOX_PRINT_PLAN") != nil {
            // What the parser made of the words (the tests compare FastList with argument-parser).
            printLine("ls type=\(type) task=\(String(describing: task)) output=\(String(describing: output)) "
                + "outputAll=\(outputAll) json=\(json) raw=\(raw) list=\(list) noheadings=\(noheadings) "
                + "notruncate=\(notruncate) tree=\(String(describing: tree)) namespace=\(String(describing: namespace))")
            return
        }
        var query = NamespaceQuery(kinds: try kinds())
        if let task { query.task = ProcessID(rawValue: task) }
        let columns = outputAll ? ListColumn.allCases : try output.map(ListColumn.parse) ?? ListColumn.defaults
        let relation = try treeRelation()
        query.resolveRelations = relation != nil || columns.contains(where: \.needsRelations)
        query.resolveProcessDetails = columns.contains(where: \.needsProcessDetails)
        query.includeAncestors = relation != nil && namespace == nil && task == nil
        var namespaces: [NamespaceInfo]
        do { namespaces = try listNamespaces(query) } catch { throw Failure(error) }
        if let namespace { namespaces = namespaces.filter { $0.id.inode == namespace } }
        let rows: [(depth: Int, last: [Bool], namespace: NamespaceInfo)]
        if let relation {
            rows = treeRows(NamespaceTree(namespaces, by: relation))
        } else {
            rows = namespaces.map { (0, [], $0) }
        }
        if json {
            printLine(ListRendering.json(columns: columns, tree: relation.map { NamespaceTree(namespaces, by: $0) }, flat: namespaces))
        } else {
            let text = ListRendering.table(
                columns: columns, rows: rows.map { ($0.last, $0.namespace) },
                raw: raw, headings: !noheadings)
            if !text.isEmpty { printLine(text) }
        }
    }

    private func kinds() throws -> NamespaceSet {
        if type.isEmpty { return .all }
        var kinds: NamespaceSet = []
        for name in type {
            guard let kind = NamespaceKind(name: name) else {
                throw Failure(message: "unknown namespace type '\(name)' in --type: use one of \(NamespaceKind.acceptedNames)")
            }
            kinds.insert(NamespaceSet(kind))
        }
        return kinds
    }

    private func treeRelation() throws -> NamespaceTree.Relation? {
        guard let tree, !list else { return nil }
        guard let relation = NamespaceTree.Relation(rawValue: tree) else {
            throw Failure(message: "unknown tree '\(tree)' in --tree: use owner or parent")
        }
        return relation
    }

    /// The tree's rows, each with, per level above it, whether that ancestor was the last
    /// child (which decides between `│ ` and blanks) and whether it is the last itself.
    private func treeRows(_ tree: NamespaceTree) -> [(depth: Int, last: [Bool], namespace: NamespaceInfo)] {
        var rows: [(depth: Int, last: [Bool], namespace: NamespaceInfo)] = []
        func visit(_ node: NamespaceInfo, _ last: [Bool]) {
            rows.append((last.count, last, node))
            let children = tree.children(of: node.id)
            for (index, child) in children.enumerated() where child.id != node.id {
                visit(child, last + [index == children.count - 1])
            }
        }
        for root in tree.roots { visit(root, []) }
        return rows
    }
}

import ArgumentParser
import Glibc
import LinuxNamespaces

/// `nsbox ls`: the namespaces of the system, like `lsns(8)` of util-linux master.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List namespaces, like lsns.",
        discussion: """
            Columns: \(ListColumn.known) (default: NS,TYPE,NPROCS,PID,USER,COMMAND; with -t net \
            also NETNSID,NSFS; with a namespace argument PID,PPID,USER,COMMAND). Namespaces no \
            process is in are listed too: bind-mounted on a file (persistent, `nsbox names`), \
            held by an open fd, or only by a socket; they have NPROCS 0 and no PID or COMMAND. \
            Without --list, -o or --output-all, COMMAND draws the process tree, as lsns. \
            --filter takes lsns' expressions (scols-filter(5)): column names, numbers, "strings", \
            == != < <= > >= =~ !~ && || ! (or eq ne lt le gt ge and or not) and parentheses.

            Examples:
              nsbox ls
              nsbox ls -t net -t user
              nsbox ls -p 1234 --json
              nsbox ls -Q 'TYPE == "net" && NPROCS > 1'
              nsbox ls --tree=owner -o NS,TYPE,NPROCS,COMMAND
            """)

    @Option(name: [.customShort("t"), .long], help: "Only namespaces of this kind (repeatable): mnt, net, ipc, user, pid, uts, cgroup, time.")
    var type: [String] = []
    @Option(name: [.customShort("p"), .long], help: "Only the namespaces of this process.")
    var task: Int32?
    @Option(name: [.customShort("o"), .long], help: "Comma-separated columns; '+LIST' adds to the defaults.")
    var output: String?
    @Flag(name: .customLong("output-all"), help: "Every column.")
    var outputAll = false
    @Option(name: [.customShort("Q"), .long], help: "Only the namespaces the expression is true for (see below).")
    var filter: String?
    @Flag(name: [.customShort("P"), .long], help: "Only namespaces no process is in (persistent, held by an fd or a socket).")
    var persistent = false
    @Flag(name: [.customShort("J"), .long], help: "JSON output: {\"namespaces\": [...]}.")
    var json = false
    @Flag(name: [.customShort("r"), .long], help: "Raw output: one space between columns, special characters as \\xHH.")
    var raw = false
    @Flag(name: [.customShort("l"), .long], help: "List output: no tree.")
    var list = false
    @Flag(name: [.customShort("n"), .long], help: "No heading line.")
    var noheadings = false
    @Flag(name: [.customShort("u"), .long], help: "Accepted for lsns compatibility; nsbox never truncates.")
    var notruncate = false
    @Flag(name: [.customShort("W"), .long], help: "No multi-line cells: NSFS paths joined by commas.")
    var nowrap = false
    @Flag(name: [.customShort("H"), .customLong("list-columns")], help: "List the columns and exit.")
    var listColumns = false
    @Option(name: [.customShort("T"), .long], help: "Tree by 'owner' (the default of a bare -T), 'parent' or 'process'.")
    var tree: String?
    @Argument(help: "Only the processes of the namespace with this inode number, one row each.")
    var namespace: UInt64?

    func run() throws {
        if getenv("NSBOX_PRINT_PLAN") != nil {
            // What the parser made of the words (the tests compare FastList with argument-parser).
            printLine("ls type=\(type) task=\(String(describing: task)) output=\(String(describing: output)) "
                + "outputAll=\(outputAll) filter=\(String(describing: filter)) persistent=\(persistent) "
                + "json=\(json) raw=\(raw) list=\(list) noheadings=\(noheadings) notruncate=\(notruncate) "
                + "nowrap=\(nowrap) listColumns=\(listColumns) tree=\(String(describing: tree)) "
                + "namespace=\(String(describing: namespace))")
            return
        }
        try checkExclusive()
        if listColumns { return print(columnList()) }
        let kinds = try self.kinds()
        let filter = try parsedFilter()
        var relation = try treeRelation()
        // lsns' defaults: the process tree unless --list, -T or --output-all.
        var columns: [ListColumn]
        let defaults = namespace != nil ? ListColumn.processDefaults : ListColumn.defaults(network: !type.isEmpty && kinds.contains(.network))
        if outputAll {
            columns = ListColumn.allCases
        } else {
            columns = try output.map { try ListColumn.parse($0, defaults: defaults) } ?? defaults
            if relation == nil && !list { relation = .process }
        }
        let wanted = columns + (filter?.holders.compactMap { ListColumn(name: $0) } ?? [])
        var query = NamespaceQuery(kinds: kinds)
        query.includeOpenFiles = true  // fds and sockets, as lsns master
        let byRelation = relation == .owner || relation == .parent
        // A tree by owner or parent shows the task's namespaces under all their ancestors, each
        // counted in full (lsns): the whole system is listed, then cut down.
        var taskIDs: Set<NamespaceID>?
        if let task, byRelation {
            taskIDs = try namespaceIDs(of: ProcessID(rawValue: task), kinds: kinds)
        } else if let task {
            query.task = ProcessID(rawValue: task)
        }
        query.resolveRelations = byRelation || wanted.contains(where: \.needsRelations)
        query.resolveProcessDetails = relation == .process || wanted.contains(where: \.needsProcessDetails)
        query.resolveParentPIDs = relation == .process || wanted.contains(.ppid)
        query.resolveNetworkIDs = wanted.contains(.netnsid)
        query.includeAncestors = byRelation && namespace == nil
        let namespaces: [NamespaceInfo]
        do { namespaces = try listNamespaces(query) } catch { throw Failure(error) }
        let separator = nowrap || raw ? "," : "\n"
        var table = ListTable(
            name: "namespaces",
            columns: columns.map {
                .init(heading: $0.rawValue, rightAligned: $0.isRightAligned, numeric: $0.isNumeric, widthHint: $0.widthHint, multiLine: $0 == .nsfs)
            })
        if let namespace {
            guard let info = namespaces.first(where: { $0.id.inode == namespace }) else {
                throw Failure(message: "namespace \(namespace) not found: give the inode number nsbox ls shows in NS")
            }
            try addProcessRows(of: info, to: &table, columns: columns, filter: filter, separator: separator, tree: relation == .process)
        } else {
            let persistent = self.persistent
            try addNamespaceRows(
                namespaces, shown: { (!persistent || $0.processCount == 0) && taskIDs?.contains($0.id) ?? true },
                to: &table, columns: columns, filter: filter, separator: separator, relation: relation)
        }
        if let relation {
            let treeColumn: ListColumn = relation == .process ? .command : .ns
            table.treeColumn = columns.firstIndex(of: treeColumn)
        }
        if json { return print(table.json()) }
        print(raw ? table.raw(headings: !noheadings) : table.aligned(headings: !noheadings))
    }

    private func print(_ text: String) {
        if !text.isEmpty { printLine(text) }
    }

    /// lsns' pairs of options that exclude each other.
    private func checkExclusive() throws {
        for (a, b, on) in [("--json", "--raw", json && raw), ("--persistent", "--task", persistent && task != nil),
                           ("--list", "--tree", list && tree != nil), ("--task", "a namespace argument", task != nil && namespace != nil)]
        where on {
            throw Failure(message: "\(a) and \(b) exclude each other: give one")
        }
    }

    /// One row per namespace of `namespaces` that `shown` lets through, as lsns adds them: by
    /// owner or parent (`-T owner|parent`), each after its owner or parent (shown first, as a
    /// root, when it was not yet; in a parent tree a namespace with no parent brings its owner
    /// first) and under it; else under the row of its lowest process's parent when that is the
    /// lowest process of a row before it (the process tree lsns draws by default).
    private func addNamespaceRows(
        _ namespaces: [NamespaceInfo], shown: (NamespaceInfo) -> Bool, to table: inout ListTable, columns: [ListColumn],
        filter: ListFilter?, separator: String, relation: TreeRelation?
    ) throws {
        var rowOfNamespace: [NamespaceID: Int] = [:]
        var rowOfProcess: [Int32: Int] = [:]
        var visited = Set<NamespaceID>()
        let byID = Dictionary(namespaces.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        func add(_ namespace: NamespaceInfo, parent: Int?) throws {
            if let filter, try !matches(filter, { namespaceCell($0, namespace, separator) }) { return }
            table.rows.append(.init(cells: columns.map { $0.value(of: namespace, nsfsSeparator: separator) }, parent: parent))
            rowOfNamespace[namespace.id] = table.rows.count - 1
            if let pid = namespace.pid?.rawValue { rowOfProcess[pid] = table.rows.count - 1 }
        }
        func related(_ id: NamespaceID?, of namespace: NamespaceInfo) -> NamespaceInfo? {
            guard let id, id != namespace.id else { return nil }
            return byID[id]
        }
        func show(_ namespace: NamespaceInfo) throws {
            guard visited.insert(namespace.id).inserted else { return }
            let owner = related(namespace.ownerID, of: namespace), parent = related(namespace.parentID, of: namespace)
            let above = relation == .owner ? owner : parent
            if let first = above ?? (relation == .parent ? owner : nil) { try show(first) }
            try add(namespace, parent: above.flatMap { rowOfNamespace[$0.id] })
        }
        for namespace in namespaces where shown(namespace) {
            switch relation {
            case .owner?, .parent?: try show(namespace)
            default: try add(namespace, parent: namespace.parentPID.flatMap { rowOfProcess[$0.rawValue] })
            }
        }
    }

    /// `lsns NS`: one row per process in the namespace, under its parent when that is in it too.
    private func addProcessRows(
        of namespace: NamespaceInfo, to table: inout ListTable, columns: [ListColumn], filter: ListFilter?,
        separator: String, tree: Bool
    ) throws {
        let members: [NamespaceMember]
        do { members = try listProcesses(in: namespace.id, kind: namespace.kind) } catch { throw Failure(error) }
        var rowOfProcess: [Int32: Int] = [:]
        for member in members {
            if let filter, try !matches(filter, { memberCell($0, member, namespace, separator) }) { continue }
            table.rows.append(.init(
                cells: columns.map { $0.value(of: member, in: namespace, nsfsSeparator: separator) },
                parent: tree ? member.parentPID.flatMap { rowOfProcess[$0.rawValue] } : nil))
            rowOfProcess[member.pid.rawValue] = table.rows.count - 1
        }
    }

    private func namespaceCell(_ name: String, _ namespace: NamespaceInfo, _ separator: String) -> (type: ListFilter.ValueType, value: String?) {
        let column = ListColumn(name: name)!
        return (column.isNumeric ? .number : .string, column.value(of: namespace, nsfsSeparator: separator))
    }

    private func memberCell(_ name: String, _ member: NamespaceMember, _ namespace: NamespaceInfo, _ separator: String) -> (type: ListFilter.ValueType, value: String?) {
        let column = ListColumn(name: name)!
        return (column.isNumeric ? .number : .string, column.value(of: member, in: namespace, nsfsSeparator: separator))
    }

    private func matches(_ filter: ListFilter, _ column: (String) -> (type: ListFilter.ValueType, value: String?)) throws -> Bool {
        do { return try filter.matches(column) } catch { throw Failure(message: "cannot apply --filter: \(error.message)") }
    }

    /// The `--filter` expression, its column names checked.
    private func parsedFilter() throws -> ListFilter? {
        guard let filter else { return nil }
        let parsed: ListFilter
        do { parsed = try ListFilter(parsing: filter) } catch {
            throw Failure(message: "invalid --filter '\(filter)': \(error.message)")
        }
        for name in parsed.holders where ListColumn(name: name) == nil {
            throw Failure(message: "unknown column '\(name)' in --filter: use one of \(ListColumn.known), or quote a text (\"\(name)\")")
        }
        return parsed
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

    /// How rows hang together: lsns' `-T` relations.
    enum TreeRelation: String { case owner, parent, process }

    private func treeRelation() throws -> TreeRelation? {
        guard let tree else { return nil }
        guard let relation = TreeRelation(rawValue: tree) else {
            throw Failure(message: "unknown tree '\(tree)' in --tree: use owner, parent or process")
        }
        return relation
    }

    /// The ids of `task`'s namespaces of `kinds`; the library's error when it cannot be read.
    private func namespaceIDs(of task: ProcessID, kinds: NamespaceSet) throws -> Set<NamespaceID> {
        var ids = Set<NamespaceID>()
        for kind in kinds.kinds {
            if let id = try? NamespaceID(kind, of: task) { ids.insert(id) }
        }
        if ids.isEmpty {
            do { _ = try listNamespaces(NamespaceQuery(kinds: kinds, task: task)) } catch { throw Failure(error) }
        }
        return ids
    }

    /// `-H`: lsns' table of columns (HOLDER, TYPE, DESCRIPTION, no headings).
    private func columnList() -> String {
        var table = ListTable(name: "lsns-columns", columns: [
            .init(heading: "HOLDER", rightAligned: true, numeric: false, widthHint: 0),
            .init(heading: "TYPE", rightAligned: false, numeric: false, widthHint: 0),
            .init(heading: "DESCRIPTION", rightAligned: false, numeric: false, widthHint: 0),
        ])
        for column in ListColumn.allCases {
            table.rows.append(.init(cells: [column.rawValue, column.isNumeric ? "<integer>" : "<string>", column.help]))
        }
        return json ? table.json() : raw ? table.raw(headings: false) : table.aligned(headings: false)
    }
}

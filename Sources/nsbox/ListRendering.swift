/// What `nsbox ls` prints, made the way libsmartcols prints lsns' tables: rows with cells and
/// an optional parent row; aligned, raw (`-r`) or JSON (`-J`).
struct ListTable {
    /// One column: heading, JSON key, alignment, JSON number or string.
    struct Column {
        var heading: String
        var rightAligned: Bool
        var numeric: Bool
        /// libsmartcols' width hint (lsns' whint): see `aligned`.
        var widthHint: Int
        /// Whether a line break in a cell starts another line (NSFS); elsewhere it is `\x0a`.
        var multiLine = false
        var key: String { heading.lowercased() }
    }

    /// A row: its cells (nil for empty) and the index of its parent row, which comes earlier.
    struct Row {
        var cells: [String?]
        var parent: Int?
    }

    /// The JSON name of the table: `namespaces`.
    var name: String
    var columns: [Column]
    var rows: [Row] = []
    /// The column that draws the tree (`├─`); nil prints the rows flat, in order.
    var treeColumn: Int?

    /// The rows in printing order with, per row, whether it and each ancestor is the last of
    /// its siblings: a tree depth first, else as added.
    private func ordered() -> [(index: Int, last: [Bool])] {
        guard treeColumn != nil else { return rows.indices.map { ($0, []) } }
        var children = [[Int]](repeating: [], count: rows.count)
        var roots: [Int] = []
        for (index, row) in rows.enumerated() {
            if let parent = row.parent { children[parent].append(index) } else { roots.append(index) }
        }
        var result: [(index: Int, last: [Bool])] = []
        func visit(_ index: Int, _ last: [Bool]) {
            result.append((index, last))
            for (position, child) in children[index].enumerated() {
                visit(child, last + [position == children[index].count - 1])
            }
        }
        for root in roots { visit(root, []) }
        return result
    }

    /// The table as lsns prints it: aligned columns, a right-aligned column padded on the left,
    /// the last one not padded; a multi-line cell (NSFS) continues on lines of its own. A table
    /// without rows prints nothing, not even the headings (libsmartcols).
    func aligned(headings: Bool) -> String {
        if rows.isEmpty { return "" }
        var lines: [[String]] = []
        if headings { lines.append(columns.map(\.heading)) }
        for (index, last) in ordered() {
            var cells = rows[index].cells.map { $0 ?? "" }
            if let tree = treeColumn { cells[tree] = Self.treePrefix(last) + cells[tree] }
            let split = cells.enumerated().map { column, cell in
                (columns[column].multiLine ? cell.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) : [cell])
                    .map(Self.safeEncoded)
            }
            let height = split.map(\.count).max() ?? 1
            for line in 0..<height { lines.append(split.map { line < $0.count ? $0[line] : "" }) }
        }
        // libsmartcols (master): the widest cell; the heading's width (1 without headings) when
        // that is not wider; else the width hint when that is wider.
        var widths = columns.map { _ in 0 }
        for line in lines.dropFirst(headings ? 1 : 0) {
            for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        for (index, column) in columns.enumerated() {
            let minimum = headings ? column.heading.count : 1
            if widths[index] <= minimum {
                widths[index] = minimum
            } else if widths[index] < column.widthHint {
                widths[index] = column.widthHint
            }
        }
        return lines.map { line in
            var fields: [String] = []
            for (index, cell) in line.enumerated() {
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                let right = columns[index].rightAligned && index != treeColumn
                fields.append(right ? pad + cell : index == line.count - 1 ? cell : cell + pad)
            }
            var text = fields.joined(separator: " ")
            while text.last == " " { text.removeLast() }
            return text
        }.joined(separator: "\n")
    }

    /// `-r`: one space between cells, each escaped; a multi-line cell joined with commas.
    func raw(headings: Bool) -> String {
        if rows.isEmpty { return "" }
        var lines: [String] = []
        if headings { lines.append(columns.map(\.heading).joined(separator: " ")) }
        for (index, last) in ordered() {
            var cells = rows[index].cells.map { $0 ?? "" }
            if let tree = treeColumn { cells[tree] = Self.treePrefix(last) + cells[tree] }
            lines.append(cells.map(Self.escaped).joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    /// `-J`: libsmartcols' layout (three spaces a level, `},{` between objects), children
    /// nested under `children` when the table is a tree; an empty cell is null.
    func json() -> String {
        func indent(_ level: Int) -> String { String(repeating: "   ", count: level) }
        var children = [[Int]](repeating: [], count: rows.count)
        var roots: [Int] = []
        for (index, row) in rows.enumerated() {
            if treeColumn != nil, let parent = row.parent { children[parent].append(index) } else { roots.append(index) }
        }
        func array(_ items: [Int], level: Int) -> String {
            guard !items.isEmpty else { return "" }
            return indent(level) + items.map { object($0, level: level) }.joined(separator: ",") + "\n"
        }
        func object(_ index: Int, level: Int) -> String {
            var fields = columns.enumerated().map { column, info -> String in
                let value = rows[index].cells[column].flatMap { $0.isEmpty ? nil : $0 }
                let rendered = value.map { info.numeric ? $0 : jsonString($0) } ?? "null"
                return indent(level + 1) + jsonString(info.key) + ": " + rendered
            }
            if !children[index].isEmpty {
                fields.append(indent(level + 1) + "\"children\": [\n" + array(children[index], level: level + 2) + indent(level + 1) + "]")
            }
            return "{\n" + fields.joined(separator: ",\n") + "\n" + indent(level) + "}"
        }
        // libsmartcols leaves an empty line in an empty array.
        return "{\n" + indent(1) + jsonString(name) + ": [\n" + (roots.isEmpty ? "\n" : array(roots, level: 2)) + indent(1) + "]\n}"
    }

    /// `├─`, `└─` and `│ ` before a tree node.
    static func treePrefix(_ last: [Bool]) -> String {
        guard let own = last.last else { return "" }
        return last.dropLast().map { $0 ? "  " : "│ " }.joined() + (own ? "└─" : "├─")
    }

    /// libsmartcols' escaping of a cell in aligned output (mbs_safe_encode): control bytes,
    /// and a backslash that starts `\x`, as `\xHH`; the rest as it is.
    static func safeEncoded(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "\\") }) else { return text }
        var result: [UInt8] = []
        let bytes = Array(text.utf8)
        for (index, byte) in bytes.enumerated() {
            let backslashX = byte == UInt8(ascii: "\\") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "x")
            if byte < 0x20 || byte == 0x7f || backslashX {
                let hex = String(byte, radix: 16)
                result += Array(("\\x" + (hex.count == 1 ? "0" + hex : hex)).utf8)
            } else {
                result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// `lsns --raw` escaping: space, backslash, control and non-ASCII bytes as `\xHH`.
    static func escaped(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if byte <= 0x20 || byte >= 0x7f || byte == UInt8(ascii: "\\") {
                let hex = String(byte, radix: 16)
                result += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return result
    }
}

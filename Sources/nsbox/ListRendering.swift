import LinuxNamespaces

/// How `nsbox ls` prints: an aligned table (optionally a tree), raw lines, or JSON.
enum ListRendering {
    /// The aligned table, or with `raw` one space between fields. `last` holds, per tree
    /// level of the row, whether that node is the last of its siblings.
    static func table(columns: [ListColumn], rows: [(last: [Bool], namespace: NamespaceInfo)], raw: Bool, headings: Bool) -> String {
        var cells: [[String]] = []
        if headings { cells.append(columns.map(\.rawValue)) }
        for row in rows {
            cells.append(columns.enumerated().map { index, column in
                let value = column.value(of: row.namespace) ?? ""
                if raw { return escaped(value) }
                return index == 0 ? treePrefix(row.last) + value : value
            })
        }
        if raw { return cells.map { $0.joined(separator: " ") }.joined(separator: "\n") }
        let isTree = rows.contains { !$0.last.isEmpty }
        var widths = columns.map(\.rawValue.count)
        for line in cells {
            for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return cells.map { line in
            var fields: [String] = []
            for (index, cell) in line.enumerated() {
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                let rightAligned = columns[index].isNumeric && !(index == 0 && isTree)
                if rightAligned {
                    fields.append(pad + cell)
                } else {
                    fields.append(index == line.count - 1 ? cell : cell + pad)
                }
            }
            return fields.joined(separator: " ")
        }.joined(separator: "\n")
    }

    /// `├─`, `└─` and `│ ` before a tree node.
    static func treePrefix(_ last: [Bool]) -> String {
        guard let own = last.last else { return "" }
        return last.dropLast().map { $0 ? "  " : "│ " }.joined() + (own ? "└─" : "├─")
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

    /// `{"namespaces": [...]}`, nested under `children` when a tree is given.
    static func json(columns: [ListColumn], tree: NamespaceTree?, flat: [NamespaceInfo]) -> String {
        func object(_ namespace: NamespaceInfo) -> String {
            var fields = columns.map { column -> (String, String) in
                guard let value = column.value(of: namespace) else { return (column.key, "null") }
                return (column.key, column.isNumeric ? value : jsonString(value))
            }
            if let tree {
                let children = tree.children(of: namespace.id).filter { $0.id != namespace.id }
                if !children.isEmpty { fields.append(("children", "[" + children.map(object).joined(separator: ", ") + "]")) }
            }
            return jsonObject(fields)
        }
        let top = tree?.roots ?? flat
        return "{\"namespaces\": [" + top.map(object).joined(separator: ",\n") + "]}"
    }
}

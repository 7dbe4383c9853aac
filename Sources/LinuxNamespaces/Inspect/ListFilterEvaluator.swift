import Glibc

/// Evaluates a parsed filter on one row with libsmartcols' typing rules (filter-expr.c,
/// filter-param.c): a comparison is made in the type of its non-column side (float before
/// number when the sides differ), operands are cast to it, an empty number never compares true,
/// an empty string sorts first.
struct ListFilterEvaluator {
    typealias Node = ListFilter.Node
    typealias ValueType = ListFilter.ValueType

    /// One operand: a typed value; `empty` for a cell with nothing in it.
    struct Value {
        var type: ValueType
        var string: String?
        var number: UInt64 = 0
        var float: Double = 0
        var boolean = false
        var empty = false
    }

    let column: (String) -> (type: ValueType, value: String?)
    /// Each column read once per row.
    private var fetched: [String: Value] = [:]

    init(column: @escaping (String) -> (type: ValueType, value: String?)) { self.column = column }

    /// The truth of `node`: a comparison's result, or for a lone operand whether it is non-empty
    /// and not zero, false or "".
    mutating func truth(of node: Node) throws(ListFilterError) -> Bool {
        switch node {
        case .and(let left, let right):
            guard try truth(of: left) else { return false }
            return try truth(of: right)
        case .or(let left, let right):
            if try truth(of: left) { return true }
            return try truth(of: right)
        case .not(let operand): return try !truth(of: operand)
        case .compare(let comparison, let left, let right):
            let type = guessType(left, right)
            let (l, r) = (try cast(left, to: type), try cast(right, to: type))
            return compare(comparison, l, r)
        case .match(let left, let pattern, let negated):
            let type = guessType(left, .string(pattern.text))
            guard type == .string else {
                throw ListFilterError("=~ and !~ match text: compare \(describe(left)) with a quoted regular expression only where it is a column or text")
            }
            let text = try cast(left, to: .string).string ?? ""
            return pattern.matches(text) != negated
        default:
            let value = try operand(node)
            if value.empty { return false }
            switch value.type {
            case .string: return !(value.string ?? "").isEmpty
            case .number: return value.number != 0
            case .float: return value.float != 0
            case .boolean: return value.boolean
            }
        }
    }

    /// The value of a leaf: a column's cell in the column's type, or a literal.
    private mutating func operand(_ node: Node) throws(ListFilterError) -> Value {
        switch node {
        case .holder(let name):
            if let value = fetched[name] { return value }
            let (type, text) = column(name)
            var value = Value(type: .string, string: text, empty: text == nil)
            try convert(&value, to: type, what: name)
            fetched[name] = value
            return value
        case .string(let text): return Value(type: .string, string: text)
        case .number(let number): return Value(type: .number, number: number)
        case .float(let float, _): return Value(type: .float, float: float)
        case .boolean(let boolean): return Value(type: .boolean, boolean: boolean)
        default: return Value(type: .boolean, boolean: try truth(of: node))
        }
    }

    /// `node` as `type`. A copy made to change type is empty only for a string without text
    /// (libsmartcols' copy_param), so an empty number column cast to text reads "0".
    private mutating func cast(_ node: Node, to type: ValueType) throws(ListFilterError) -> Value {
        var value = try operand(node)
        if value.type == type { return value }
        if value.type != .string { value.empty = false }
        try convert(&value, to: type, what: describe(node))
        return value
    }

    private func convert(_ value: inout Value, to type: ValueType, what: String) throws(ListFilterError) {
        guard value.type != type else { return }
        switch value.type {
        case .string:
            let text = value.string
            switch type {
            case .number:
                guard let number = text.map({ UInt64($0) }) ?? 0 else {
                    throw ListFilterError("cannot compare \(what) as a number: its value '\(text ?? "")' is not one")
                }
                value.number = number
            case .float:
                guard let float = text.map({ Double($0) }) ?? 0 else {
                    throw ListFilterError("cannot compare \(what) as a number: its value '\(text ?? "")' is not one")
                }
                value.float = float
            case .boolean:
                // "1", "true" in any case, or a yes (rpmatch(3) in the C locale: y or Y first).
                let text = text ?? ""
                value.boolean = text == "1" || text.lowercased() == "true" || text.first == "y" || text.first == "Y"
            case .string: break
            }
            value.string = nil
        case .number:
            switch type {
            case .string: value.string = String(value.number)
            case .float: value.float = Double(value.number)
            case .boolean: value.boolean = value.number > 0
            case .number: break
            }
        case .float:
            switch type {
            case .string: value.string = formatFloat(value.float)
            case .number: value.number = value.float >= 18446744073709551615.0 ? .max : UInt64(max(value.float, 0))
            case .boolean: value.boolean = value.float > 0
            case .float: break
            }
        case .boolean:
            switch type {
            case .string: value.string = value.boolean ? "true" : "false"
            case .number: value.number = value.boolean ? 1 : 0
            case .float: value.float = value.boolean ? 1 : 0
            case .boolean: break
            }
        }
        value.type = type
    }

    private func compare(_ comparison: ListFilter.Comparison, _ left: Value, _ right: Value) -> Bool {
        let order: Int
        switch left.type {
        case .string:
            // strcmp, with a missing text before any text.
            switch (left.string, right.string) {
            case (nil, nil): order = 0
            case (nil, _): order = -1
            case (_, nil): order = 1
            case (let l?, let r?):
                order = l.utf8.elementsEqual(r.utf8) ? 0 : l.utf8.lexicographicallyPrecedes(r.utf8) ? -1 : 1
            }
        default:
            if left.empty || right.empty { return false }
            switch left.type {
            case .number: order = left.number == right.number ? 0 : left.number < right.number ? -1 : 1
            case .float:
                if left.float.isNaN || right.float.isNaN { return comparison == .notEqual }
                order = left.float == right.float ? 0 : left.float < right.float ? -1 : 1
            default: order = left.boolean == right.boolean ? 0 : !left.boolean ? -1 : 1
            }
        }
        switch comparison {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        }
    }

    /// The type a comparison of `left` and `right` is made in.
    private func guessType(_ left: Node, _ right: Node) -> ValueType {
        let l = type(of: left), r = type(of: right)
        if l == r { return l }
        var type = l
        if case .holder = left, !isHolder(right) { type = r }
        if type == .number && (l == .float || r == .float) { type = .float }
        return type
    }

    private func isHolder(_ node: Node) -> Bool {
        if case .holder = node { return true }
        return false
    }

    private func type(of node: Node) -> ValueType {
        switch node {
        case .holder(let name): return column(name).type
        case .string: return .string
        case .number: return .number
        case .float: return .float
        default: return .boolean
        }
    }

    private func describe(_ node: Node) -> String {
        if case .holder(let name) = node { return "column \(name)" }
        return "'\(ListFilter(root: node).description)'"
    }

    /// `%Lg`: six significant digits, no trailing zeros.
    private func formatFloat(_ float: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([float]) { vsnprintf(&buffer, buffer.count, "%g", $0) }
        return String(cString: buffer)
    }
}

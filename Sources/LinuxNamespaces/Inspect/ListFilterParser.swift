/// A recursive-descent parser for filter expressions with libsmartcols' grammar (its bison
/// rules): `and`/`or` one level, left to right; comparisons and matches one level above, left
/// to right; `!` on the operand that follows it; parentheses; the right side of `=~`/`!~` a
/// quoted string.
struct ListFilterParser {
    typealias Node = ListFilter.Node
    private let tokens: [ListFilterToken]
    private var position = 0
    private var nodes = 0
    private var depth = 0
    /// The column names met, each once, in order.
    private(set) var holders: [String] = []

    /// How deep parentheses and `!` may nest (bison's stack in libsmartcols holds 256).
    static let maximumDepth = 200

    init(tokens: [ListFilterToken]) { self.tokens = tokens }

    /// The whole expression.
    mutating func parse() throws(ListFilterError) -> Node {
        let node = try logical()
        guard current.kind == .end else { throw unexpected("an operator or the end") }
        return node
    }

    private var current: ListFilterToken { tokens[position] }

    private mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    /// Counts one more operand or operator against libsmartcols' limit.
    private mutating func count() throws(ListFilterError) {
        nodes += 1
        guard nodes <= ListFilter.maximumNodes else {
            throw ListFilterError("the expression has more than \(ListFilter.maximumNodes) operands and operators")
        }
    }

    private mutating func logical() throws(ListFilterError) -> Node {
        var left = try comparison()
        while current.kind == .and || current.kind == .or {
            let isAnd = current.kind == .and
            advance()
            let right = try comparison()
            try count()
            left = isAnd ? .and(left, right) : .or(left, right)
        }
        return left
    }

    private mutating func comparison() throws(ListFilterError) -> Node {
        var left = try unary()
        while true {
            switch current.kind {
            case .compare(let comparison):
                advance()
                let right = try unary()
                try count()
                left = .compare(comparison, left, right)
            case .match(let negated):
                let operatorOffset = current.offset
                advance()
                guard case .string(let text) = try unary() else {
                    throw ListFilterError("the right side of \(negated ? "!~" : "=~") at offset \(operatorOffset) must be a quoted regular expression")
                }
                try count()
                left = .match(left, try ListFilterPattern(text), negated: negated)
            default:
                return left
            }
        }
    }

    private mutating func unary() throws(ListFilterError) -> Node {
        guard current.kind == .not else { return try primary() }
        advance()
        try deeper()
        defer { depth -= 1 }
        let operand = try unary()
        try count()
        return .not(operand)
    }

    private mutating func primary() throws(ListFilterError) -> Node {
        let token = current
        switch token.kind {
        case .open:
            advance()
            try deeper()
            defer { depth -= 1 }
            let inner = try logical()
            guard current.kind == .close else { throw unexpected("')' to close the '(' at offset \(token.offset)") }
            advance()
            return inner
        case .holder(let name):
            if !holders.contains(name) { holders.append(name) }
            advance()
            try count()
            return .holder(name)
        case .string(let text): advance(); try count(); return .string(text)
        case .number(let value): advance(); try count(); return .number(value)
        case .float(let value, let text): advance(); try count(); return .float(value, text)
        case .boolean(let value): advance(); try count(); return .boolean(value)
        default: throw unexpected("a column name, a number, a quoted string, '!' or '('")
        }
    }

    private mutating func deeper() throws(ListFilterError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw ListFilterError("parentheses and '!' nest deeper than \(Self.maximumDepth) levels")
        }
    }

    private func unexpected(_ expected: String) -> ListFilterError {
        let found: String
        switch current.kind {
        case .end: found = "end of the expression"
        case .open: found = "'('"
        case .close: found = "')'"
        case .and: found = "'and'"
        case .or: found = "'or'"
        case .not: found = "'!'"
        case .compare(let comparison): found = "'\(comparison.rawValue)'"
        case .match(let negated): found = negated ? "'!~'" : "'=~'"
        case .boolean(let value): found = "'\(value)'"
        case .number(let value): found = "number \(value)"
        case .float(_, let text): found = "number \(text)"
        case .string(let text): found = "string \"\(text)\""
        case .holder(let name): found = "column \(name)"
        }
        return ListFilterError("unexpected \(found) at offset \(current.offset): expected \(expected)")
    }
}

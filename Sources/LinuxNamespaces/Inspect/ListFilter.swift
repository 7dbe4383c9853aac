import Glibc

/// A filter expression as `lsns --filter` takes it (scols-filter(5)): column names, numbers,
/// quoted strings, `true`/`false`, the comparisons `==` `!=` `<` `<=` `>` `>=` (or `eq` `ne`
/// `lt` `le` `gt` `ge`), `=~`/`!~` against a quoted POSIX extended regular expression, `&&`
/// `||` `!` (or `and` `or` `not`) and parentheses.
///
/// As in libsmartcols, `and` and `or` bind equally and from the left, the comparisons bind
/// tighter, `!` tightest; a comparison is made in the type of its literal side (a column
/// against a column in the left one's type), and a column with no value makes every number
/// comparison false.
///
/// ```swift
/// let filter = try ListFilter(parsing: #"NPROCS > 1 && TYPE == "net""#)
/// let keep = try filter.matches { name in
///     name == "NPROCS" ? (.number, "3") : (.string, "net")
/// }
/// ```
///
/// The corresponding command is `lsns -Q EXPR`.
public struct ListFilter: Sendable, Equatable, CustomStringConvertible {
    /// A comparison operator and its word spelling.
    public enum Comparison: String, Sendable, CaseIterable {
        /// `==` or `eq`.
        case equal = "=="
        /// `!=` or `ne`.
        case notEqual = "!="
        /// `<` or `lt`.
        case less = "<"
        /// `<=` or `le`.
        case lessOrEqual = "<="
        /// `>` or `gt`.
        case greater = ">"
        /// `>=` or `ge`.
        case greaterOrEqual = ">="

        /// The word spelling: `eq`, `ne`, `lt`, `le`, `gt`, `ge`.
        var word: String {
            switch self {
            case .equal: "eq"
            case .notEqual: "ne"
            case .less: "lt"
            case .lessOrEqual: "le"
            case .greater: "gt"
            case .greaterOrEqual: "ge"
            }
        }
    }

    /// The type of a column's values, which decides how it compares.
    public enum ValueType: Sendable, Equatable {
        /// Text, compared byte by byte (strcmp); lsns' default.
        case string
        /// An unsigned 64-bit integer: lsns' NS, NPROCS, PID, PPID, UID, PNS, ONS.
        case number
        /// A floating-point number.
        case float
        /// `true` or `false`; text reads as true when it is `1`, `true` or starts with `y`.
        case boolean
    }

    indirect enum Node: Equatable, Sendable {
        case holder(String), string(String), number(UInt64), boolean(Bool)
        /// A float and its text (`N.N`), which renders back as written.
        case float(Double, String)
        case not(Node), and(Node, Node), or(Node, Node), compare(Comparison, Node, Node)
        case match(Node, ListFilterPattern, negated: Bool)
    }

    /// The longest expression libsmartcols takes, in bytes.
    static let maximumLength = 1024
    /// The most operands and operators in one expression.
    static let maximumNodes = 256

    let root: Node?
    /// The column names the expression uses, each once, in the order written.
    public let holders: [String]

    /// Parses `text`; an empty text is a filter that keeps everything.
    /// - Throws: `ListFilterError` naming what is wrong and where.
    public init(parsing text: String) throws(ListFilterError) {
        guard text.utf8.count <= Self.maximumLength else {
            throw ListFilterError("the expression is \(text.utf8.count) bytes long: at most \(Self.maximumLength)")
        }
        if text.isEmpty {
            root = nil
            holders = []
            return
        }
        var parser = ListFilterParser(tokens: try ListFilterLexer.tokens(of: text))
        root = try parser.parse()
        holders = parser.holders
    }

    init(root: Node?) {
        self.root = root
        holders = []
    }

    /// Whether a row passes: `column` gives, for a name in `holders`, the column's type and the
    /// row's text in it (nil when the cell is empty).
    /// - Throws: `ListFilterError` when a cell cannot be read as the type a comparison needs
    ///   (`USER == 5` on a user name that is not a number), as libsmartcols fails then.
    public func matches(_ column: (String) -> (type: ValueType, value: String?)) throws(ListFilterError) -> Bool {
        guard let root else { return true }
        return try withoutActuallyEscaping(column) { (column) throws(ListFilterError) -> Bool in
            var evaluator = ListFilterEvaluator(column: column)
            return try evaluator.truth(of: root)
        }
    }

    /// The expression fully parenthesised, in the symbol spellings; it parses back to an equal filter.
    public var description: String {
        func render(_ node: Node) -> String {
            switch node {
            case .holder(let name): return name
            case .string(let text): return text.contains("\"") ? "'\(text)'" : "\"\(text)\""
            case .number(let value): return String(value)
            case .float(_, let text): return text
            case .boolean(let value): return String(value)
            // A binary operand brings its own parentheses: none added, no deeper nesting.
            case .not(let operand): return "!" + render(operand)
            case .and(let left, let right): return "(\(render(left)) && \(render(right)))"
            case .or(let left, let right): return "(\(render(left)) || \(render(right)))"
            case .compare(let comparison, let left, let right):
                return "(\(render(left)) \(comparison.rawValue) \(render(right)))"
            case .match(let left, let pattern, let negated):
                return "(\(render(left)) \(negated ? "!~" : "=~") \(render(.string(pattern.text))))"
            }
        }
        return root.map(render) ?? ""
    }
}

/// Why a filter expression was refused or could not be applied: one line.
public struct ListFilterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public var message: String
    init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// A compiled POSIX extended regular expression (regcomp(3), `REG_EXTENDED | REG_NOSUB`), as
/// libsmartcols compiles the right side of `=~`; equal when the patterns are.
final class ListFilterPattern: @unchecked Sendable, Equatable {
    let text: String
    // regexec(3) on a compiled pattern is thread-safe; the storage never moves.
    private let compiled: UnsafeMutablePointer<regex_t>

    /// The longest pattern, and the largest `{N}` bound, libsmartcols takes.
    static let maximumLength = 256, maximumRepeat = 1024

    init(_ text: String) throws(ListFilterError) {
        guard text.utf8.count <= Self.maximumLength else {
            throw ListFilterError("the pattern '\(text)' is longer than \(Self.maximumLength) bytes")
        }
        if Self.isUnsafe(Array(text.utf8)) {
            throw ListFilterError("the pattern '\(text)' repeats a repetition ('a++', '(a+)*') or a bound above \(Self.maximumRepeat): regcomp would need too much memory")
        }
        guard !text.utf8.contains(0) else { throw ListFilterError("the pattern holds a NUL byte") }
        // Compiled before any stored property is set: a throw then runs no deinit.
        let pattern = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let status = regcomp(pattern, text, REG_EXTENDED | REG_NOSUB)
        guard status == 0 else {
            var message = [CChar](repeating: 0, count: 256)
            _ = message.withUnsafeMutableBufferPointer { regerror(status, pattern, $0.baseAddress, $0.count) }
            pattern.deallocate()
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ListFilterError("the pattern '\(text)' is not a regular expression: \(reason)")
        }
        self.text = text
        compiled = pattern
    }

    deinit {
        regfree(compiled)
        compiled.deallocate()
    }

    func matches(_ text: String) -> Bool { regexec(compiled, text, 0, nil, 0) == 0 }

    static func == (left: ListFilterPattern, right: ListFilterPattern) -> Bool { left.text == right.text }

    /// libsmartcols' guard against patterns whose NFA grows huge: `a++`, `(a+)*`, `{,99999}`.
    private static func isUnsafe(_ pattern: [UInt8]) -> Bool {
        let plus = UInt8(ascii: "+"), star = UInt8(ascii: "*")
        for index in 0..<max(pattern.count - 1, 0) {
            let byte = pattern[index], next = pattern[index + 1]
            if (byte == plus || byte == star) && (next == plus || next == star) { return true }
            if byte == UInt8(ascii: ")") && (next == plus || next == star) {
                for back in stride(from: index - 1, through: 0, by: -1) {
                    if pattern[back] == UInt8(ascii: "(") { break }
                    if pattern[back] == plus || pattern[back] == star { return true }
                }
            }
            if byte == UInt8(ascii: "{") {
                var digits = 0 as UInt64, inNumber = false
                for inner in pattern[(index + 1)...] {
                    if inner == UInt8(ascii: "}") { break }
                    if inner >= 0x30 && inner <= 0x39 {
                        digits = digits &* 10 &+ UInt64(inner - 0x30)
                        inNumber = true
                        if digits > UInt64(maximumRepeat) { return true }
                    } else if inNumber {
                        digits = 0
                        inNumber = false
                    }
                }
            }
        }
        return false
    }
}

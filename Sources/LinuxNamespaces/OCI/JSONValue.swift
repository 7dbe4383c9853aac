/// A JSON value, as RFC 8259 defines it, read without Foundation.
///
/// ```swift
/// let value = try JSONValue(parsing: #"{"hostname": "box", "ids": [0, 1000]}"#)
/// value["hostname"]?.string          // "box"
/// value["ids"]?.array?.count         // 2
/// ```
///
/// Objects are dictionaries: the parser refuses a key that appears twice in one object, so
/// nothing is silently dropped. Numbers keep their literal text, so that a caller decides how
/// to read them (`JSONNumber.int64`, `JSONNumber.double`) and can refuse `1.0` where an
/// integer is wanted.
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as written.
    case number(JSONNumber)
    /// A string, with its escapes decoded.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; its keys are unique.
    case object([String: JSONValue])

    /// Parses a complete JSON text (one value, optionally surrounded by whitespace).
    /// - Throws: `JSONSyntaxError` with the byte offset, line and column of the first error.
    public init(parsing text: String) throws(JSONSyntaxError) {
        self = try JSONParser.parse(Array(text.utf8))
    }

    /// Parses a complete JSON text from UTF-8 bytes; a leading byte order mark is skipped, as
    /// RFC 8259 section 8.1 allows.
    /// - Throws: `JSONSyntaxError`, also for bytes that are not UTF-8.
    public init(parsing bytes: [UInt8]) throws(JSONSyntaxError) {
        self = try JSONParser.parse(bytes)
    }

    /// The member `key` of an object; nil for a missing key or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, if this is one.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The elements, if this is an array.
    public var array: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The members, if this is an object.
    public var object: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// What kind of value this is, for messages: `an object`, `a string`, `null`, ...
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON number as written in the text (`-12`, `3.5e2`), valid by RFC 8259's grammar.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal text.
    public let literal: String

    /// A number from its literal; the parser has checked the grammar.
    init(literal: String) { self.literal = literal }

    /// Whether the literal is an integer: no fraction and no exponent.
    public var isInteger: Bool { !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) }

    /// The value, when the literal is an integer that fits in 64 bits.
    public var int64: Int64? { isInteger ? Int64(literal) : nil }

    /// The value as the nearest `Double`.
    public var double: Double { Double(literal) ?? .nan }

    /// The literal text.
    public var description: String { literal }
}

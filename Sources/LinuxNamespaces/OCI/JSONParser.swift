/// A strict RFC 8259 parser: one value, whitespace around it, nothing else. It refuses what
/// lenient parsers let through and would otherwise be read differently by another tool:
/// comments, trailing commas, single quotes, leading zeros, unescaped control characters,
/// invalid UTF-8, lone surrogates in `\u` escapes, and a key given twice in one object.
struct JSONParser {
    /// How deep arrays and objects may nest; deeper input is refused instead of overflowing
    /// the stack.
    static let maximumDepth = 512

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses `bytes` as one JSON text.
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes)
        // A byte order mark may be ignored: RFC 8259 section 8.1.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.error("unexpected \(parser.describeCurrent()) after the JSON value")
        }
        return value
    }

    // MARK: Values

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard let byte = current else { throw error("unexpected end of input; expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        default: throw error("unexpected \(describeCurrent()); expected a value")
        }
    }

    private mutating func parseLiteral(_ word: String) throws(JSONSyntaxError) {
        let start = index
        for expected in word.utf8 {
            guard current == expected else {
                throw error("invalid literal; expected '\(word)'", at: start)
            }
            index += 1
        }
        if let byte = current, isLetterOrDigit(byte) {
            throw error("invalid literal; expected '\(word)'", at: start)
        }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        var members: [String: JSONValue] = [:]
        if try open(closing: "}") { return .object(members) }
        repeat {
            guard current == UInt8(ascii: "\"") else {
                throw error(current == nil
                    ? "unexpected end of input; expected a string key"
                    : "expected a string key in double quotes, found \(describeCurrent())")
            }
            let keyStart = index
            let key = try parseString()
            if let earlier = members.index(forKey: key) {
                // Keys compare by canonical equivalence (the dictionary's), not bytes: say so
                // where the two spellings differ, since they print alike.
                let earlierKey = members[earlier].key
                throw error(earlierKey.utf8.elementsEqual(key.utf8)
                    ? "duplicate key \(quoted(key)) in one object"
                    : "key \(quoted(key)) (\(scalars(key))) is the earlier key \(quoted(earlierKey)) (\(scalars(earlierKey))) "
                        + "in another Unicode normalization, which this reader takes for the same key; spell them alike",
                    at: keyStart)
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else {
                throw error("expected ':' after the key \(quoted(key)), found \(describeCurrent())")
            }
            index += 1
            skipWhitespace()
            members[key] = try parseValue()
        } while try !close("}", after: "an object member")
        return .object(members)
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        var elements: [JSONValue] = []
        if try open(closing: "]") { return .array(elements) }
        repeat {
            elements.append(try parseValue())
        } while try !close("]", after: "an array element")
        return .array(elements)
    }

    /// Steps over the opening bracket; true when the container is empty and already closed.
    private mutating func open(closing: Unicode.Scalar) throws(JSONSyntaxError) -> Bool {
        try enterNesting()
        index += 1
        skipWhitespace()
        guard current == UInt8(ascii: closing) else { return false }
        index += 1
        depth -= 1
        return true
    }

    /// After an element: steps over a comma (false) or the closing bracket (true).
    private mutating func close(_ closing: Unicode.Scalar, after what: String) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        switch current {
        case UInt8(ascii: ","):
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: closing) { throw error("trailing comma before '\(closing)'") }
            return false
        case UInt8(ascii: closing):
            index += 1
            depth -= 1
            return true
        default:
            throw error("expected ',' or '\(closing)' after \(what), found \(describeCurrent())")
        }
    }

    private mutating func enterNesting() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw error("arrays and objects nest deeper than \(Self.maximumDepth) levels")
        }
    }

    // MARK: Numbers

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONNumber {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, isDigit(first) else {
            throw error("expected a digit after '-', found \(describeCurrent())")
        }
        index += 1
        if first == UInt8(ascii: "0"), let next = current, isDigit(next) {
            throw error("a number cannot have a leading zero", at: index - 1)
        }
        skipDigits()
        if current == UInt8(ascii: ".") {
            index += 1
            guard let digit = current, isDigit(digit) else {
                throw error("expected a digit after the decimal point, found \(describeCurrent())")
            }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let digit = current, isDigit(digit) else {
                throw error("expected a digit in the exponent, found \(describeCurrent())")
            }
            skipDigits()
        }
        if let byte = current, isLetterOrDigit(byte) || byte == UInt8(ascii: ".") {
            throw error("unexpected \(describeCurrent()) in a number")
        }
        return JSONNumber(literal: String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { index += 1 }
    }

    // MARK: Strings

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else { throw error("unexpected end of input in a string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0..<0x20:
                throw error("unescaped control character \(hex(byte)) in a string; write it as \\u\(hex4(UInt32(byte)))")
            case 0x20..<0x80:
                utf8.append(byte)
                index += 1
            default:
                let length = try validUTF8Sequence()
                utf8.append(contentsOf: bytes[index..<index + length])
                index += length
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONSyntaxError) {
        let start = index
        index += 1  // backslash
        guard let byte = current else { throw error("unexpected end of input in an escape") }
        index += 1
        let simple: UInt8?
        switch byte {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default:
            throw error("invalid escape '\\\(describe(byte, quoted: false))'; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX", at: start)
        }
        if let simple {
            utf8.append(simple)
            return
        }
        var scalar = try parseHex4(escapeStart: start)
        if (0xDC00...0xDFFF).contains(scalar) {
            throw error("lone low surrogate \\u\(hex4(scalar)) without a high surrogate before it", at: start)
        }
        if (0xD800...0xDBFF).contains(scalar) {
            // A character outside the basic plane is a pair: \uD83D\uDE00.
            guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("high surrogate \\u\(hex4(scalar)) is not followed by a \\u low surrogate", at: start)
            }
            let lowStart = index
            index += 2
            let low = try parseHex4(escapeStart: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error("high surrogate \\u\(hex4(scalar)) is followed by \\u\(hex4(low)), not a low surrogate", at: lowStart)
            }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        utf8.append(contentsOf: Array(String(Unicode.Scalar(scalar)!).utf8))
    }

    private mutating func parseHex4(escapeStart: Int) throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = hexValue(byte) else {
                throw error("\\u needs four hex digits", at: escapeStart)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence at `index` (Unicode table 3-7): no overlong
    /// forms, no encoded surrogates, nothing above U+10FFFF.
    private func validUTF8Sequence() throws(JSONSyntaxError) -> Int {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw error("invalid UTF-8: byte \(hex(lead)) cannot start a character")
        }
        for offset in 1..<length {
            let position = index + offset
            let range = offset == 1 ? secondRange : 0x80...0xBF
            guard position < bytes.count, range.contains(bytes[position]) else {
                throw error("invalid UTF-8: the character starting with byte \(hex(lead)) is malformed")
            }
        }
        return length
    }

    // MARK: Helpers

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current,
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
        {
            index += 1
        }
    }

    private func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(message, at: offset ?? index, in: bytes)
    }

    /// The byte at `index` for a message: `'x'`, `byte 0xFF` or `end of input`.
    private func describeCurrent() -> String {
        guard let byte = current else { return "end of input" }
        return describe(byte, quoted: true)
    }

    private func describe(_ byte: UInt8, quoted: Bool) -> String {
        guard (0x21..<0x7F).contains(byte) else { return "byte \(hex(byte))" }
        let character = String(decoding: [byte], as: UTF8.self)
        return quoted ? "'\(character)'" : character
    }
}

private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

private func isLetterOrDigit(_ byte: UInt8) -> Bool {
    isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
}

private func hexValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return "0x" + (digits.count < 2 ? "0" : "") + digits
}

/// A text's Unicode scalars as `U+XXXX` words: two normalizations of a name print alike.
func scalars(_ text: String) -> String {
    text.unicodeScalars.map { "U+" + hex4($0.value) }.joined(separator: " ")
}

/// Four or more upper-case hex digits, for `\u` escapes and `U+` code points.
func hex4(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// `"text"` with quotes and backslashes escaped, for messages.
func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case _ where scalar.value < 0x20: result += "\\u" + hex4(scalar.value)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

/// A token of a filter expression (scols-filter(5)), with the byte offset where it starts.
struct ListFilterToken: Equatable {
    enum Kind: Equatable {
        case open, close, and, or, not, compare(ListFilter.Comparison), match(negated: Bool)
        case boolean(Bool), number(UInt64), float(Double, String), string(String), holder(String), end
    }
    var kind: Kind
    var offset: Int
}

/// Splits a filter expression into tokens as libsmartcols' scanner does: keywords in lower or
/// upper case only (`and`, `AND`), holders `[a-zA-Z][a-zA-Z_.%:/-0-9]*`, strings in double or
/// single quotes on one line, unsigned integers (with `K`...`Y` or `KiB`...`YiB` for powers of
/// 1024) and `N.N` floats. What the scanner would skip silently (a stray byte) is an error here.
struct ListFilterLexer {
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    /// Every token, ending with `.end`.
    static func tokens(of text: String) throws(ListFilterError) -> [ListFilterToken] {
        var lexer = ListFilterLexer(text)
        var tokens: [ListFilterToken] = []
        repeat { tokens.append(try lexer.next()) } while tokens.last?.kind != .end
        return tokens
    }

    private static let keywords: [String: ListFilterToken.Kind] = {
        var words: [String: ListFilterToken.Kind] = [
            "and": .and, "or": .or, "not": .not, "true": .boolean(true), "false": .boolean(false),
        ]
        for comparison in ListFilter.Comparison.allCases { words[comparison.word] = .compare(comparison) }
        for (word, kind) in words { words[word.uppercased()] = kind }
        return words
    }()

    private func peek(_ ahead: Int = 0) -> UInt8? {
        index + ahead < bytes.count ? bytes[index + ahead] : nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a }
    private static func isHolderByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || "_.%:/-".utf8.contains(byte)
    }

    mutating func next() throws(ListFilterError) -> ListFilterToken {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0a { index += 1 }
        let start = index
        func token(_ kind: ListFilterToken.Kind, length: Int) -> ListFilterToken {
            index += length
            return ListFilterToken(kind: kind, offset: start)
        }
        guard let byte = peek() else { return ListFilterToken(kind: .end, offset: start) }
        let second = peek(1)
        switch byte {
        case UInt8(ascii: "("): return token(.open, length: 1)
        case UInt8(ascii: ")"): return token(.close, length: 1)
        case UInt8(ascii: "&") where second == UInt8(ascii: "&"): return token(.and, length: 2)
        case UInt8(ascii: "|") where second == UInt8(ascii: "|"): return token(.or, length: 2)
        case UInt8(ascii: "="):
            if second == UInt8(ascii: "=") { return token(.compare(.equal), length: 2) }
            if second == UInt8(ascii: "~") { return token(.match(negated: false), length: 2) }
        case UInt8(ascii: "!"):
            if second == UInt8(ascii: "=") { return token(.compare(.notEqual), length: 2) }
            if second == UInt8(ascii: "~") { return token(.match(negated: true), length: 2) }
            return token(.not, length: 1)
        case UInt8(ascii: "<"):
            return second == UInt8(ascii: "=") ? token(.compare(.lessOrEqual), length: 2) : token(.compare(.less), length: 1)
        case UInt8(ascii: ">"):
            return second == UInt8(ascii: "=") ? token(.compare(.greaterOrEqual), length: 2) : token(.compare(.greater), length: 1)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            guard let close = bytes[(index + 1)...].firstIndex(where: { $0 == byte || $0 == 0x0a }), bytes[close] == byte else {
                throw ListFilterError("unterminated string at offset \(start): close it with \(Character(Unicode.Scalar(byte)))")
            }
            let text = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
            // libsmartcols trims the blanks around a string's text.
            let trimmed = text.drop { $0 == " " || $0 == "\t" || $0 == "\n" }
            let value = String(trimmed.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed())
            return token(.string(value), length: close - index + 1)
        default:
            if Self.isLetter(byte) {
                var end = index + 1
                while end < bytes.count, Self.isHolderByte(bytes[end]) { end += 1 }
                let word = String(decoding: bytes[index..<end], as: UTF8.self)
                return token(Self.keywords[word] ?? .holder(word), length: end - index)
            }
            if Self.isDigit(byte) { return try number() }
        }
        let shown = byte < 0x80 && byte >= 0x20 ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        throw ListFilterError("unexpected \(shown) at offset \(start): use a column name, a number, a quoted string, or an operator (== != < <= > >= =~ !~ && || ! and or not, parentheses)")
    }

    /// `N`, `N.N`, or `N` with a binary suffix (`4K`, `4KiB`).
    private mutating func number() throws(ListFilterError) -> ListFilterToken {
        let start = index
        var end = index
        while end < bytes.count, Self.isDigit(bytes[end]) { end += 1 }
        let digits = String(decoding: bytes[start..<end], as: UTF8.self)
        if end + 1 < bytes.count, bytes[end] == UInt8(ascii: "."), Self.isDigit(bytes[end + 1]) {
            var fractionEnd = end + 1
            while fractionEnd < bytes.count, Self.isDigit(bytes[fractionEnd]) { fractionEnd += 1 }
            index = fractionEnd
            let text = String(decoding: bytes[start..<fractionEnd], as: UTF8.self)
            return ListFilterToken(kind: .float(Double(text) ?? .infinity, text), offset: start)
        }
        let suffixes: [UInt8] = Array("KMGTPEZY".utf8)
        if end < bytes.count, let power = suffixes.firstIndex(of: bytes[end]) {
            var suffixEnd = end + 1
            if suffixEnd + 1 < bytes.count, bytes[suffixEnd] == UInt8(ascii: "i"), bytes[suffixEnd + 1] == UInt8(ascii: "B") {
                suffixEnd += 2
            }
            index = suffixEnd
            let text = String(decoding: bytes[start..<suffixEnd], as: UTF8.self)
            guard var value = UInt64(digits) else { throw ListFilterError("number '\(text)' is too large: at most 2^64-1") }
            for _ in 0...power {
                let (product, overflow) = value.multipliedReportingOverflow(by: 1024)
                guard !overflow else { throw ListFilterError("number '\(text)' is too large: at most 2^64-1") }
                value = product
            }
            return ListFilterToken(kind: .number(value), offset: start)
        }
        index = end
        // As strtoumax: a number past 2^64-1 reads as 2^64-1.
        return ListFilterToken(kind: .number(UInt64(digits) ?? .max), offset: start)
    }
}

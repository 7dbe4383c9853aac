// Codable values as JSON for typed entry points, without Foundation (the library reads JSON
// with its own parser already, and nsbox's start-up must not load more).

/// Encodes `value` as JSON text.
func encodeJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
    let root = JSONNode()
    try root.encode(value, path: [])
    var text = ""
    root.json.write(to: &text)
    return Array(text.utf8)
}

/// Decodes a `T` from JSON text.
func decodeJSON<T: Decodable>(_ type: T.Type = T.self, from bytes: [UInt8]) throws -> T {
    let value: JSONValue
    do {
        value = try JSONValue(parsing: bytes)
    } catch {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(error)"))
    }
    return try JSONReader(value: value, codingPath: []).decode(type)
}

extension JSONValue {
    /// Appends the value as compact JSON text.
    func write(to text: inout String) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .number(let number): text += number.literal
        case .string(let string): text += quoted(string)
        case .array(let elements):
            text += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { text += "," }
                element.write(to: &text)
            }
            text += "]"
        case .object(let members):
            text += "{"
            for (index, (key, member)) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { text += "," }
                text += quoted(key) + ":"
                member.write(to: &text)
            }
            text += "}"
        }
    }
}

/// A JSON value being built; containers share it by reference, as `Encoder` requires.
private final class JSONNode {
    enum Content { case value(JSONValue), object([String: JSONNode]), array([JSONNode]) }
    var content = Content.value(.null)

    var json: JSONValue {
        switch content {
        case .value(let value): value
        case .object(let members): .object(members.mapValues(\.json))
        case .array(let elements): .array(elements.map(\.json))
        }
    }

    /// Stores `value`: a number, string or boolean directly, anything else through its `encode(to:)`.
    func encode<T: Encodable>(_ value: T, path: [any CodingKey]) throws {
        if let primitive = try primitiveJSON(value, path: path) {
            content = .value(primitive)
        } else {
            try value.encode(to: NodeEncoder(node: self, codingPath: path))
        }
    }

    func member(_ key: String) -> JSONNode {
        guard case .object(var members) = content else { preconditionFailure("not an object") }
        let node = members[key] ?? JSONNode()
        members[key] = node
        content = .object(members)
        return node
    }

    func appended() -> JSONNode {
        guard case .array(var elements) = content else { preconditionFailure("not an array") }
        let node = JSONNode()
        elements.append(node)
        content = .array(elements)
        return node
    }

    var count: Int {
        if case .array(let elements) = content { return elements.count }
        return 0
    }
}

/// A key made of a string or an index, for coding paths and `superEncoder`.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

/// The JSON of a Bool, String or number; nil for anything else.
private func primitiveJSON<T>(_ value: T, path: [any CodingKey]) throws -> JSONValue? {
    switch value {
    case let value as Bool: return .bool(value)
    case let value as String: return .string(value)
    case let value as any BinaryInteger: return .number(JSONNumber(literal: "\(value)"))
    case let value as any BinaryFloatingPoint:
        let double = Double(value)
        guard double.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: path, debugDescription: "JSON has no \(double)"))
        }
        return .number(JSONNumber(literal: double == double.rounded() && abs(double) < 1e15 ? String(Int64(double)) : "\(double)"))
    default: return nil
    }
}

private struct NodeEncoder: Encoder {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([:]) }
        return KeyedEncodingContainer(KeyedNodeEncoder<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return UnkeyedNodeEncoder(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleNodeEncoder(node: node, codingPath: codingPath) }
}

private struct KeyedNodeEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: JSONNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).content = .value(.null) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try node.member(key.stringValue).encode(value, path: codingPath + [key])
    }
    mutating func nestedContainer<Nested: CodingKey>(keyedBy type: Nested.Type, forKey key: Key) -> KeyedEncodingContainer<Nested> {
        superEncoder(forKey: key).container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        superEncoder(forKey: key).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: node.member("super"), codingPath: codingPath + [AnyKey(stringValue: "super")])
    }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeEncoder: UnkeyedEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var count: Int { node.count }

    mutating func encodeNil() throws { node.appended().content = .value(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let key = AnyKey(intValue: count)
        try node.appended().encode(value, path: codingPath + [key])
    }
    mutating func nestedContainer<Nested: CodingKey>(keyedBy type: Nested.Type) -> KeyedEncodingContainer<Nested> {
        superEncoder().container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { superEncoder().unkeyedContainer() }
    mutating func superEncoder() -> any Encoder {
        let key = AnyKey(intValue: count)
        return NodeEncoder(node: node.appended(), codingPath: codingPath + [key])
    }
}

private struct SingleNodeEncoder: SingleValueEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .value(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.encode(value, path: codingPath) }
}

/// Reads a `JSONValue` as a `Decoder` and as each of its containers.
private struct JSONReader: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func mismatch<T>(_ type: T.Type) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected \(type), found \(value.typeDescription)"))
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is Bool.Type:
            guard case .bool(let bool) = value else { throw mismatch(type) }
            return bool as! T
        case is String.Type:
            guard case .string(let string) = value else { throw mismatch(type) }
            return string as! T
        case let integer as any FixedWidthInteger.Type:
            guard case .number(let number) = value, let parsed = integer.init(exactly: number) else { throw mismatch(type) }
            return parsed as! T
        case let floating as any BinaryFloatingPoint.Type:
            guard case .number(let number) = value else { throw mismatch(type) }
            return floating.init(number.double) as! T
        default:
            return try T(from: self)
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: JSONValue].self) }
        return KeyedDecodingContainer(KeyedReader<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([JSONValue].self) }
        return UnkeyedReader(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleReader(reader: self) }
}

extension FixedWidthInteger {
    /// The integer a JSON number's literal spells, if it is one that fits.
    fileprivate init?(exactly number: JSONNumber) {
        guard number.isInteger, let value = Self(number.literal) else { return nil }
        self = value
    }
}

private struct KeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]
    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }
    func reader(_ key: any CodingKey) throws -> JSONReader {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no member \(quoted(key.stringValue))"))
        }
        return JSONReader(value: value, codingPath: codingPath + [key])
    }
    func decodeNil(forKey key: Key) throws -> Bool { try reader(key).value == .null }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try reader(key).decode(type) }
    func nestedContainer<Nested: CodingKey>(keyedBy type: Nested.Type, forKey key: Key) throws -> KeyedDecodingContainer<Nested> {
        try reader(key).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try reader(key).unkeyedContainer() }
    func superDecoder() throws -> any Decoder { try reader(AnyKey(stringValue: "super")) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try reader(key) }
}

private struct UnkeyedReader: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next() throws -> JSONReader {
        let key = AnyKey(intValue: currentIndex)
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: codingPath + [key], debugDescription: "the array has \(elements.count) elements"))
        }
        currentIndex += 1
        return JSONReader(value: elements[currentIndex - 1], codingPath: codingPath + [key])
    }
    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }
    mutating func nestedContainer<Nested: CodingKey>(keyedBy type: Nested.Type) throws -> KeyedDecodingContainer<Nested> {
        try next().container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct SingleReader: SingleValueDecodingContainer {
    let reader: JSONReader
    var codingPath: [any CodingKey] { reader.codingPath }
    func decodeNil() -> Bool { reader.value == .null }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try reader.decode(type) }
}

/// A JSON value and the path it was found at, for reading a document with errors that name
/// the field: `linux.uidMappings[0].size: expected an integer from 0 to 4294967295, found -1`.
struct JSONField {
    let value: JSONValue
    /// `linux.namespaces[2].type`; empty for the document itself.
    let path: String

    init(_ value: JSONValue, path: String = "") {
        self.value = value
        self.path = path
    }

    /// An error about this field.
    func failure(_ detail: String) -> OCIConfigError { OCIConfigError(field: path, detail) }

    /// The path of member `key` under `path`.
    static func join(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_")
        }
        guard plain else { return path + "[\(quoted(key))]" }
        return path.isEmpty ? key : path + "." + key
    }

    /// The members, or a failure naming the type found.
    func object() throws(OCIConfigError) -> [String: JSONValue] {
        guard case .object(let members) = value else { throw failure("expected an object, found \(value.typeDescription)") }
        return members
    }

    /// Member `key` of this object; nil when missing or null (Go runtimes read null as absent).
    func member(_ key: String) throws(OCIConfigError) -> JSONField? {
        guard let member = try object()[key], member != .null else { return nil }
        return JSONField(member, path: Self.join(path, key))
    }

    /// The elements, each with its path `path[i]`.
    func array() throws(OCIConfigError) -> [JSONField] {
        guard case .array(let elements) = value else { throw failure("expected an array, found \(value.typeDescription)") }
        return elements.enumerated().map { JSONField($0.element, path: "\(path)[\($0.offset)]") }
    }

    func string() throws(OCIConfigError) -> String {
        guard case .string(let text) = value else { throw failure("expected a string, found \(value.typeDescription)") }
        return text
    }

    func strings() throws(OCIConfigError) -> [String] {
        var result: [String] = []
        for element in try array() { result.append(try element.string()) }
        return result
    }

    /// An integer in `range`, written without fraction or exponent (as Go's encoding/json
    /// reads into integer fields).
    func integer(in range: ClosedRange<Int64>) throws(OCIConfigError) -> Int64 {
        let expected = "expected an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .number(let number) = value else { throw failure("\(expected), found \(value.typeDescription)") }
        guard number.isInteger else { throw failure("\(expected), found \(number)") }
        guard let integer = number.int64, range.contains(integer) else { throw failure("\(number) is out of range; \(expected)") }
        return integer
    }

    func uint32() throws(OCIConfigError) -> UInt32 {
        UInt32(try integer(in: 0...Int64(UInt32.max)))
    }
}

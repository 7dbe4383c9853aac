/// An error that an entry point threw in the copy of the program that ran it, brought back to
/// the caller of `Sandbox.run(entryPoint:input:as:environment:)`.
///
/// It carries the error's description and type name, and, when the error is `Codable`, its
/// value, which `decode(_:)` turns back into the thrown error:
///
/// ```swift
/// do {
///     _ = try sandbox.run(entryPoint: "parse", input: text, as: Config.self)
/// } catch let error as EntryPointError {
///     if let invalid = error.decode(ParseError.self) { print("line", invalid.line) }
/// }
/// ```
public struct EntryPointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name the entry point is registered under.
    public var name: String
    /// The thrown error's type, as `String(reflecting:)` names it; empty when unknown.
    public var typeName: String
    /// The thrown error's description.
    public var message: String
    /// The thrown error as JSON, when its type is `Encodable`.
    public var json: [UInt8]?

    /// An error of entry point `name`.
    public init(name: String, typeName: String, message: String, json: [UInt8]? = nil) {
        self.name = name
        self.typeName = typeName
        self.message = message
        self.json = json
    }

    /// The thrown error as a `type`, when it was encoded and decodes as one.
    public func decode<E: Decodable>(_ type: E.Type) -> E? {
        json.flatMap { try? decodeJSON(type, from: $0) }
    }

    /// `entry point NAME: DESCRIPTION`.
    public var description: String { "entry point \(name): \(message)" }
}

extension EntryPointError {
    /// What the copy sends back about it.
    private struct Record: Codable {
        var type: String
        var description: String
        var value: String?
    }

    /// `thrown`, caught in the copy of the program.
    init(name: String, thrown: any Error) {
        let json = (thrown as? any Encodable).flatMap { try? encodeJSON($0) }
        self.init(name: name, typeName: String(reflecting: type(of: thrown)), message: "\(thrown)", json: json)
    }

    /// The record to send back.
    var record: [UInt8] {
        let record = Record(type: typeName, description: message, value: json.map { String(decoding: $0, as: UTF8.self) })
        return (try? encodeJSON(record)) ?? Array(message.utf8)
    }

    /// The error a copy reported: a record, or plain text (no entry point of that name).
    init(name: String, record bytes: [UInt8]) {
        guard let record = try? decodeJSON(Record.self, from: bytes) else {
            self.init(name: name, typeName: "", message: String(decoding: bytes, as: UTF8.self))
            return
        }
        self.init(name: name, typeName: record.type, message: record.description, json: record.value.map { Array($0.utf8) })
    }
}

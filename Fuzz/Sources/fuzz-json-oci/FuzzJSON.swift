// fuzz-json-oci: the strict JSON parser (`JSONValue(parsing:)`) and the OCI config reader
// (`OCIConfig(json:)`, `OCIConfig(parsing:)`, `validate()`, `command(arguments:)`).
//
// Checks: nothing crashes; a syntax error has a message, an offset inside the input and a
// line and column that agree with it; accepted input is UTF-8, nests at most 512 deep, and
// parses equal from bytes and from a String; a value written back out (by the serialiser
// below: the library has none) re-parses equal, byte for byte in strings and keys; an
// accepted OCIConfig keeps every rule of validate() (checked here on bytes), written out
// as a config.json reads back equal, and yields a command whose environment is its env list;
// every OCIConfigError has a non-empty, one-line description.
import FuzzSupport
import Glibc
import LinuxNamespaces

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let bytes = Array(input)

    let value: JSONValue
    do {
        value = try JSONValue(parsing: bytes)
    } catch {
        checkSyntaxError(error, bytes, input)
        // OCIConfig(parsing:) must fail the same way.
        do {
            _ = try OCIConfig(parsing: bytes)
            violated("OCIConfig(parsing:) accepted what JSONValue(parsing:) refuses", input)
        } catch {
            guard error.syntax != nil else { violated("OCIConfig error without the syntax error: \(error)", input) }
            checkOneLine(error.description, "OCIConfigError", input)
        }
        return 0
    }

    // Accepted: UTF-8 throughout, and the same from a String.
    guard let text = String(validating: bytes, as: UTF8.self) else {
        violated("JSONValue(parsing:) accepted bytes that are not UTF-8", input)
    }
    guard depth(value) <= 512 else { violated("accepted nesting deeper than 512", input) }
    do {
        let fromText = try JSONValue(parsing: text)
        guard same(fromText, value) else { violated("parsing the String differs from parsing the bytes", input) }
    } catch {
        violated("the String form of accepted bytes is refused: \(error)", input)
    }

    // Written out and read back: equal.
    for pretty in [false, true] {
        let written = serialise(value, pretty: pretty)
        do {
            let again = try JSONValue(parsing: Array(written.utf8))
            guard same(again, value) else { violated("re-serialised value differs: \(visible(written))", input) }
        } catch {
            violated("re-serialised value \(visible(written)) does not parse: \(error)", input)
        }
    }

    // The OCI reader on the value.
    do {
        let config = try OCIConfig(json: value)
        checkConfig(config, input)
        guard (try? OCIConfig(parsing: bytes)) == config else {
            violated("OCIConfig(parsing:) differs from OCIConfig(json:)", input)
        }
    } catch {
        checkOneLine(error.description, "OCIConfigError", input)
        guard !error.detail.isEmpty else { violated("OCIConfigError with an empty detail", input) }
        do {
            _ = try OCIConfig(parsing: bytes)
            violated("OCIConfig(parsing:) accepted what OCIConfig(json:) refuses", input)
        } catch let again {
            guard again == error else { violated("OCIConfig(parsing:) fails differently: \(again) / \(error)", input) }
        }
    }
    return 0
}

// MARK: JSON checks

func checkSyntaxError(_ error: JSONSyntaxError, _ bytes: [UInt8], _ input: UnsafeRawBufferPointer) {
    checkOneLine(error.description, "JSONSyntaxError", input)
    guard !error.message.isEmpty else { violated("empty syntax error message", input) }
    guard error.offset >= 0, error.offset <= bytes.count else {
        violated("syntax error offset \(error.offset) outside 0...\(bytes.count)", input)
    }
    let before = bytes[..<error.offset]
    let line = before.filter { $0 == 0x0A }.count + 1
    let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
    guard error.line == line, error.column == error.offset - lineStart + 1 else {
        violated("syntax error at byte \(error.offset) says line \(error.line) column \(error.column)", input)
    }
}

func depth(_ value: JSONValue) -> Int {
    switch value {
    case .array(let elements): 1 + (elements.map(depth).max() ?? 0)
    case .object(let members): 1 + (members.values.map(depth).max() ?? 0)
    default: 0
    }
}

/// Equality with strings and keys compared as UTF-8 bytes (Swift's `==` on String is
/// canonical equivalence, which would hide a changed byte).
func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x.literal == y.literal
    case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x), .object(let y)):
        guard x.count == y.count else { return false }
        let xs = x.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        let ys = y.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return zip(xs, ys).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && same($0.value, $1.value) }
    default: return false
    }
}

/// A JSON string literal; control characters, quote and backslash escaped, the rest as is.
func literal(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case _ where scalar.value < 0x20:
            let digits = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

func serialise(_ value: JSONValue, pretty: Bool, indent: String = "") -> String {
    let inner = indent + "  "
    let separator = pretty ? ",\n" + inner : ","
    let open = pretty ? "\n" + inner : ""
    let close = pretty ? "\n" + indent : ""
    switch value {
    case .null: return "null"
    case .bool(let flag): return flag ? "true" : "false"
    case .number(let number): return number.literal
    case .string(let text): return literal(text)
    case .array(let elements):
        if elements.isEmpty { return "[]" }
        return "[" + open + elements.map { serialise($0, pretty: pretty, indent: inner) }.joined(separator: separator) + close + "]"
    case .object(let members):
        if members.isEmpty { return "{}" }
        let parts = members.map { literal($0.key) + (pretty ? ": " : ":") + serialise($0.value, pretty: pretty, indent: inner) }
        return "{" + open + parts.joined(separator: separator) + close + "}"
    }
}

// MARK: OCI checks

func checkConfig(_ config: OCIConfig, _ input: UnsafeRawBufferPointer) {
    // validate() passed inside init; it must pass again.
    do { try config.validate() } catch { violated("an accepted config fails validate(): \(error)", input) }

    // The rules, on bytes.
    var kinds: [NamespaceKind: OCINamespace] = [:]
    for namespace in config.namespaces {
        guard kinds[namespace.kind] == nil else { violated("namespace type \(namespace.kind) twice", input) }
        kinds[namespace.kind] = namespace
        if let path = namespace.path {
            guard path.utf8.first == UInt8(ascii: "/") else { violated("relative namespace path \(visible(path))", input) }
        }
    }
    func created(_ kind: NamespaceKind) -> Bool { kinds[kind] != nil && kinds[kind]!.path == nil }
    if !config.uidMappings.isEmpty || !config.gidMappings.isEmpty {
        guard created(.user) else { violated("id maps without a created user namespace", input) }
        guard !config.uidMappings.isEmpty, !config.gidMappings.isEmpty else { violated("only one id map", input) }
        for lines in [config.uidMappings, config.gidMappings] {
            guard lines.count <= 340, lines.allSatisfy({ $0.count > 0 }) else { violated("bad id map \(lines)", input) }
            for (index, line) in lines.enumerated() {
                guard UInt64(line.inside) + UInt64(line.count) <= UInt64(UInt32.max),
                    UInt64(line.outside) + UInt64(line.count) <= UInt64(UInt32.max)
                else { violated("id map line past 4294967294: \(line)", input) }
                for other in lines[..<index] {
                    if line.insideRange.overlaps(other.insideRange) || line.outsideRange.overlaps(other.outsideRange) {
                        violated("overlapping id map lines \(line) and \(other)", input)
                    }
                }
            }
        }
    }
    if let hostname = config.hostname, !hostname.isEmpty {
        guard created(.uts) else { violated("hostname without a created uts namespace", input) }
        guard hostname.utf8.count <= 64, !hostname.utf8.contains(0) else { violated("bad hostname accepted", input) }
    }
    if config.timeOffsets != nil {
        guard created(.time) else { violated("timeOffsets without a created time namespace", input) }
    }
    var names: [String: [UInt8]] = [:]
    for entry in config.process.env ?? [] {
        guard let equals = entry.utf8.firstIndex(of: UInt8(ascii: "=")), equals != entry.utf8.startIndex else {
            violated("env entry \(visible(entry)) is not NAME=value", input)
        }
        // Two spellings of one name (canonically equivalent, other bytes) are refused.
        let name = Array(entry.utf8[..<equals])
        if let earlier = names[String(decoding: name, as: UTF8.self)], earlier != name {
            violated("env names \(visible(String(decoding: earlier, as: UTF8.self))) and \(visible(entry)) differ only in normalization", input)
        }
        names[String(decoding: name, as: UTF8.self)] = name
    }
    if let cwd = config.process.cwd {
        guard cwd.utf8.first == UInt8(ascii: "/") else { violated("relative cwd \(visible(cwd))", input) }
    }
    guard config.created == NamespaceSet(config.namespaces.filter { $0.path == nil }.map(\.kind)) else {
        violated("created set differs from the namespaces without a path", input)
    }

    // Written out as a config.json and read back: equal (but for linuxPath, "linux" now). The
    // serialiser knows these properties; a new one must be added to it (and counted here).
    let known: [(Any, Int)] = [(config, 13), (config.process, 7)]
    for (value, count) in known where Mirror(reflecting: value).children.count != count {
        violated("\(type(of: value)) has \(Mirror(reflecting: value).children.count) stored properties, the serialiser writes \(count): teach it the new one", input)
    }
    let written = serialise(config)
    do {
        var again = try OCIConfig(parsing: written)
        again.linuxPath = config.linuxPath
        again.bundle = config.bundle
        guard again == config else { violated("re-read config differs; written \(visible(written))", input) }
    } catch {
        violated("the written config \(visible(written)) is refused: \(error)", input)
    }

    // The command: never a crash; on success the process fields come through.
    do {
        let command = try config.command()
        guard let args = config.process.args, !args.isEmpty, !args[0].isEmpty else {
            violated("command() succeeded without process.args", input)
        }
        _ = command
        if let env = config.process.env {
            // Every NAME=value the command gets is one of the env entries, byte for byte, and
            // none is lost but for a name given twice (the last one wins).
            let entries = Set(env.map { Array($0.utf8) })
            guard let environment = command.environment, environment.count <= env.count, env.isEmpty == environment.isEmpty,
                environment.allSatisfy({ entries.contains(Array(($0.key + "=" + $0.value).utf8)) })
            else { violated("command environment \(String(describing: command.environment)) != env \(env)", input) }
        }
    } catch {
        checkOneLine(error.description, "OCIConfigError from command()", input)
        guard error.field.hasPrefix("process.args") else { violated("command() failed with \(error)", input) }
    }
    // With arguments given, a non-empty first word always gives a command.
    do { _ = try config.command(arguments: ["true"]) } catch {
        violated("command(arguments: [\"true\"]) failed: \(error)", input)
    }
}

/// A config.json holding exactly what OCIConfig reads (every stored property but `linuxPath`
/// and `bundle`, which come from where the document was read; a new property must be added
/// here, or the round trip below fails on the first input that sets it).
func serialise(_ config: OCIConfig) -> String {
    var top: [String] = ["\"ociVersion\": \"1.0.2\""]
    if let hostname = config.hostname { top.append("\"hostname\": " + literal(hostname)) }
    var process: [String] = []
    if let args = config.process.args { process.append("\"args\": " + strings(args)) }
    if let env = config.process.env { process.append("\"env\": " + strings(env)) }
    if let cwd = config.process.cwd { process.append("\"cwd\": " + literal(cwd)) }
    var user: [String] = []
    if let uid = config.process.uid { user.append("\"uid\": \(uid)") }
    if let gid = config.process.gid { user.append("\"gid\": \(gid)") }
    if !user.isEmpty { process.append("\"user\": {" + user.joined(separator: ", ") + "}") }
    if config.process.noNewPrivileges { process.append("\"noNewPrivileges\": true") }
    if let sets = config.process.capabilities {
        let named: [(String, [String]?)] = [
            ("bounding", sets.bounding), ("effective", sets.effective), ("inheritable", sets.inheritable),
            ("permitted", sets.permitted), ("ambient", sets.ambient),
        ]
        let members = named.compactMap { name, list in list.map { "\"\(name)\": " + strings($0) } }
        process.append("\"capabilities\": {" + members.joined(separator: ", ") + "}")
    }
    top.append("\"process\": {" + process.joined(separator: ", ") + "}")
    if let root = config.root {
        top.append("\"root\": {\"path\": " + literal(root.path) + (root.readOnly ? ", \"readonly\": true" : "") + "}")
    }
    if !config.mounts.isEmpty {
        let entries = config.mounts.map { mount in
            var fields = ["\"destination\": " + literal(mount.destination)]
            if let type = mount.type { fields.append("\"type\": " + literal(type)) }
            if let source = mount.source { fields.append("\"source\": " + literal(source)) }
            if !mount.options.isEmpty { fields.append("\"options\": " + strings(mount.options)) }
            return "{" + fields.joined(separator: ", ") + "}"
        }
        top.append("\"mounts\": [" + entries.joined(separator: ", ") + "]")
    }
    var linux: [String] = []
    let namespaces = config.namespaces.map { namespace in
        "{\"type\": \"\(namespace.kind.rawValue)\"" + (namespace.path.map { ", \"path\": " + literal($0) } ?? "") + "}"
    }
    linux.append("\"namespaces\": [" + namespaces.joined(separator: ", ") + "]")
    func mappings(_ lines: [IDMapping]) -> String {
        "[" + lines.map { "{\"containerID\": \($0.inside), \"hostID\": \($0.outside), \"size\": \($0.count)}" }
            .joined(separator: ", ") + "]"
    }
    if !config.uidMappings.isEmpty { linux.append("\"uidMappings\": " + mappings(config.uidMappings)) }
    if !config.gidMappings.isEmpty { linux.append("\"gidMappings\": " + mappings(config.gidMappings)) }
    if let offsets = config.timeOffsets {
        linux.append(
            "\"timeOffsets\": {\"monotonic\": {\"secs\": \(offsets.monotonic)}, \"boottime\": {\"secs\": \(offsets.boottime), \"nanosecs\": 0}}")
    }
    if !config.maskedPaths.isEmpty { linux.append("\"maskedPaths\": " + strings(config.maskedPaths)) }
    if !config.readonlyPaths.isEmpty { linux.append("\"readonlyPaths\": " + strings(config.readonlyPaths)) }
    if let propagation = config.rootfsPropagation { linux.append("\"rootfsPropagation\": " + literal(propagation.rawValue)) }
    top.append("\"linux\": {" + linux.joined(separator: ", ") + "}")
    return "{" + top.joined(separator: ", ") + "}"
}

/// A JSON array of string literals.
func strings(_ list: [String]) -> String { "[" + list.map(literal).joined(separator: ", ") + "]" }

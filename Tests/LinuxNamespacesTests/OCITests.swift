import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// OCI runtime-spec configurations: the JSON parser, each validation rule, and the checks of
/// the OCI runtime-tools validation suite (linux_ns_itype, linux_ns_nopath, linux_ns_path,
/// linux_ns_path_type, linux_uid_mappings) against the real kernel, through the library as root
/// and through `nsbox run --config` as root and as uid 65534.
@Suite struct OCITests {}

// MARK: - Helpers

/// The runtime-spec `type` names, each with its `/proc/PID/ns/` name.
private let ociTypes: [(type: String, proc: String)] = [
    ("pid", "pid"), ("network", "net"), ("mount", "mnt"), ("ipc", "ipc"), ("uts", "uts"), ("user", "user"),
    ("cgroup", "cgroup"), ("time", "time"),
]

/// A config.json with `namespaces` (type, path) and optional extra `linux` members and process.
private func configJSON(
    _ namespaces: [(String, String?)], linux extra: String = "", hostname: String? = nil,
    args: [String] = ["sh", "-c", printNamespaces]
) -> String {
    let list = namespaces.map { type, path in
        path.map { #"{"type": "\#(type)", "path": "\#($0)"}"# } ?? #"{"type": "\#(type)"}"#
    }
    let argv = args.map { jsonQuote($0) }.joined(separator: ", ")
    return """
        {
          "ociVersion": "1.0.2",
          "process": {"args": [\(argv)], "cwd": "/"},
          \(hostname.map { "\"hostname\": \(jsonQuote($0))," } ?? "")
          "linux": {"namespaces": [\(list.joined(separator: ", "))]\(extra.isEmpty ? "" : ", " + extra)}
        }
        """
}

/// A JSON string literal, through Foundation (an independent encoder).
private func jsonQuote(_ text: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes]), as: UTF8.self)
        .dropFirst().dropLast().description
}

/// `"uidMappings": [...], "gidMappings": [...]` mapping container 0 to `host`, `size` ids.
private func rootMappings(_ host: UInt32, size: UInt32 = 1) -> String {
    let line = #"[{"containerID": 0, "hostID": \#(host), "size": \#(size)}]"#
    return #""uidMappings": \#(line), "gidMappings": \#(line)"#
}

/// Runs the configuration's command in its sandbox, through the library, capturing stdout.
private func runConfig(_ json: String) throws -> (output: String, termination: Termination) {
    let config = try OCIConfig(parsing: json)
    var command = try config.command()
    let fds = makePipe()
    command.fileDescriptors[.standardOutput] = FileDescriptor(rawValue: fds[1])
    let process: SandboxProcess
    do { process = try config.sandbox().spawn(command) } catch {
        close(fds[0]); close(fds[1])
        throw error
    }
    close(fds[1])
    let output = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
    return (String(decoding: output, as: UTF8.self), try process.wait())
}

/// The error `body` throws as an `OCIConfigError`, or nil.
private func ociError(_ body: () throws -> Void) -> OCIConfigError? {
    do { try body() } catch let error as OCIConfigError { return error } catch { return nil }
    return nil
}

/// The error reading and converting `json` gives.
private func configError(_ json: String) -> OCIConfigError? {
    ociError { _ = try OCIConfig(parsing: json).sandbox() }
}

/// A config file in a directory every user can read.
private final class ConfigFile {
    let scratch = ScratchDirectory()
    let path: String
    init(_ json: String) {
        path = scratch.path + "/config.json"
        _ = FileManager.default.createFile(atPath: path, contents: Data(json.utf8), attributes: [.posixPermissions: 0o644])
    }
}

/// A holder for namespaces to join: `unshare --fork` of every kind, with sleep as its child
/// in the new pid and time namespaces; `prefix` runs it as another user.
private func startHolder(prefix: [String] = []) throws -> (TargetProcess, Int32) {
    // The child is pid 1 of its pid namespace: killing it ends the namespace at once, rather
    // than leaving sleep behind when the holder is killed.
    let target = try TargetProcess(
        prefix + ["unshare", "-U", "-r", "-m", "-n", "-u", "-i", "-C", "-p", "-T", "--fork", "sleep", "60"],
        differingIn: ["user", "mnt", "net", "uts", "ipc", "cgroup"],
        ready: { firstChild(of: $0).map { comm($0) == "sleep" } ?? false })
    let child = try #require(firstChild(of: target.pid))
    return (target, child)
}

/// The `uid_map` or `gid_map` text as lines of single-spaced numbers.
private func mapLines(_ text: Substring) -> [String] {
    text.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
}

// MARK: - JSON parsing

extension OCITests {
    @Suite struct JSONParsing {
        @Test func aDocumentOfEveryKindOfValueParses() throws {
            let text = """
                \u{FEFF} {"null": null, "yes": true, "no": false, "int": -12, "real": 1.5e-3, "zero": 0,
                  "text": "plain", "list": [1, [2, []], {}], "object": {"inner": {"deep": [null]}}}\r\n\t
                """
            let value = try JSONValue(parsing: text)
            #expect(value["null"] == JSONValue.null)
            #expect(value["yes"] == .bool(true) && value["no"] == .bool(false))
            guard case .number(let int)? = value["int"], case .number(let real)? = value["real"] else {
                Issue.record("numbers: \(value)")
                return
            }
            #expect(int.int64 == -12 && int.isInteger)
            #expect(real.int64 == nil && !real.isInteger && real.double == 0.0015)
            #expect(value["zero"] == .number(JSONNumberLiteral("0")))
            #expect(value["text"]?.string == "plain")
            #expect(value["list"] == .array([.number(JSONNumberLiteral("1")), .array([.number(JSONNumberLiteral("2")), .array([])]), .object([:])]))
            #expect(value["object"]?["inner"]?["deep"]?.array == [.null])
            #expect(value.object?.count == 9)
        }

        @Test func scalarsAreDocumentsToo() throws {
            #expect(try JSONValue(parsing: "true") == .bool(true))
            #expect(try JSONValue(parsing: " \"x\" ").string == "x")
            #expect(try JSONValue(parsing: "-0").numberValue?.int64 == 0)
            #expect(try JSONValue(parsing: "9223372036854775807").numberValue?.int64 == Int64.max)
            #expect(try JSONValue(parsing: "9223372036854775808").numberValue?.int64 == nil)  // too big for 64 bits
            #expect(try JSONValue(parsing: "1E+2").numberValue?.double == 100)
        }

        @Test func escapesDecodeToTheCharactersFoundationDecodes() throws {
            let literal = #""q\" b\\ s\/ \b\f\n\r\t \u0041\u00e9\u20AC \ud83d\ude00 \u0000 raw é€😀""#
            let ours = try JSONValue(parsing: literal).string
            let foundation = try JSONSerialization.jsonObject(with: Data(literal.utf8), options: [.fragmentsAllowed]) as? String
            #expect(ours == "q\" b\\ s/ \u{8}\u{C}\n\r\t Aé€ 😀 \u{0} raw é€😀")
            #expect(ours == foundation)
        }

        /// (text, message, line, column): every rule of RFC 8259 a lenient parser bends.
        static let invalid: [(String, String, Int, Int)] = [
            ("", "unexpected end of input; expected a value", 1, 1),
            ("   ", "unexpected end of input; expected a value", 1, 4),
            (#"{"a": 1,}"#, "trailing comma before '}'", 1, 9),
            ("[1, 2,]", "trailing comma before ']'", 1, 7),
            ("[1 2]", "expected ',' or ']' after an array element, found '2'", 1, 4),
            (#"{"a" 1}"#, #"expected ':' after the key "a", found '1'"#, 1, 6),
            ("{a: 1}", "expected a string key in double quotes, found 'a'", 1, 2),
            ("{'a': 1}", "expected a string key in double quotes, found '''", 1, 2),
            (#"{"a": 1 "b": 2}"#, "expected ',' or '}' after an object member, found '\"'", 1, 9),
            (#"{"a": 1, "a": 2}"#, #"duplicate key "a" in one object"#, 1, 10),
            // NFC and NFD spellings: two keys to RFC 8259, one to a [String: JSONValue].
            ("{\"\u{E9}\": 1, \"e\u{301}\": 2}",
             "key \"e\u{301}\" (U+0065 U+0301) is the earlier key \"\u{E9}\" (U+00E9) in another Unicode normalization, "
                + "which this reader takes for the same key; spell them alike", 1, 11),
            ("01", "a number cannot have a leading zero", 1, 1),
            ("-", "expected a digit after '-', found end of input", 1, 2),
            ("-x", "expected a digit after '-', found 'x'", 1, 2),
            ("1.", "expected a digit after the decimal point, found end of input", 1, 3),
            (".5", "unexpected '.'; expected a value", 1, 1),
            ("1e", "expected a digit in the exponent, found end of input", 1, 3),
            ("1x", "unexpected 'x' in a number", 1, 2),
            ("+1", "unexpected '+'; expected a value", 1, 1),
            ("tru", "invalid literal; expected 'true'", 1, 1),
            ("nulll", "invalid literal; expected 'null'", 1, 1),
            ("True", "unexpected 'T'; expected a value", 1, 1),
            ("[1] x", "unexpected 'x' after the JSON value", 1, 5),
            ("// c\n1", "unexpected '/'; expected a value", 1, 1),
            (#""abc"#, "unexpected end of input in a string", 1, 5),
            ("\"a\tb\"", "unescaped control character 0x09 in a string; write it as \\u0009", 1, 3),
            (#""\x""#, #"invalid escape '\x'; expected one of \" \\ \/ \b \f \n \r \t \uXXXX"#, 1, 2),
            (#""\u12""#, #"\u needs four hex digits"#, 1, 2),
            (#""\u12G4""#, #"\u needs four hex digits"#, 1, 2),
            (#""\ud800""#, #"high surrogate \uD800 is not followed by a \u low surrogate"#, 1, 2),
            (#""\ud800\u0041""#, #"high surrogate \uD800 is followed by \u0041, not a low surrogate"#, 1, 8),
            (#""\udc00""#, #"lone low surrogate \uDC00 without a high surrogate before it"#, 1, 2),
            ("{\n  \"a\": [1,\n    2,,\n  ]\n}", "unexpected ','; expected a value", 3, 7),
        ]

        @Test(arguments: invalid) func invalidTextIsRefusedWithItsPosition(_ text: String, message: String, line: Int, column: Int) {
            do {
                let value = try JSONValue(parsing: text)
                Issue.record("\(text.debugDescription) parsed as \(value)")
            } catch {
                #expect(error.message == message, "\(text.debugDescription)")
                #expect(error.line == line && error.column == column, "\(text.debugDescription): \(error)")
                #expect(error.description == "line \(line), column \(column) (byte \(error.offset)): \(message)")
                // An independent parser agrees that the text is not JSON, except where Foundation
                // is lenient: it takes trailing commas and keeps the last of duplicate keys; and
                // two normalizations of a key are valid JSON, refused here on purpose.
                if !message.contains("duplicate") && !message.hasPrefix("trailing comma") && !message.contains("normalization") {
                    #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) == nil)
                }
            }
        }

        @Test func invalidUTF8IsRefusedAtTheOffendingByte() throws {
            let cases: [([UInt8], String)] = [
                ([0x22, 0xFF, 0x22], "invalid UTF-8: byte 0xFF cannot start a character"),
                ([0x22, 0xC0, 0x80, 0x22], "invalid UTF-8: byte 0xC0 cannot start a character"),  // overlong NUL
                ([0x22, 0xE0, 0x80, 0x80, 0x22], "invalid UTF-8: the character starting with byte 0xE0 is malformed"),  // overlong
                ([0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8: the character starting with byte 0xED is malformed"),  // a surrogate
                ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid UTF-8: the character starting with byte 0xF4 is malformed"),  // > U+10FFFF
                ([0x22, 0xC3, 0x22], "invalid UTF-8: the character starting with byte 0xC3 is malformed"),  // cut short
            ]
            for (bytes, message) in cases {
                #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: bytes) }
                do { _ = try JSONValue(parsing: bytes) } catch {
                    #expect(error.message == message && error.offset == 1, "\(bytes): \(error)")
                }
            }
            // Well-formed multi-byte characters of each length pass.
            #expect(try JSONValue(parsing: Array("\"é€😀\"".utf8)).string == "é€😀")
        }

        @Test func nestingDeeperThanTheLimitIsAnErrorNotACrash() throws {
            let limit = 512
            let deep = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
            #expect(try JSONValue(parsing: deep).array?.count == 1)
            let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
            #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: tooDeep) }
            do { _ = try JSONValue(parsing: tooDeep) } catch {
                #expect(error.message == "arrays and objects nest deeper than 512 levels" && error.offset == limit)
            }
        }
    }
}

extension JSONValue {
    fileprivate var numberValue: JSONNumber? {
        if case .number(let number) = self { return number }
        return nil
    }
}

/// A `JSONNumber` for comparisons, through the parser (its initialiser is internal).
private func JSONNumberLiteral(_ text: String) -> JSONNumber {
    guard case .number(let number) = try! JSONValue(parsing: text) else { fatalError(text) }
    return number
}

// MARK: - Reading and validating

extension OCITests {
    @Suite struct Reading {
        @Test func aFullConfigBecomesTheSandboxAndCommandItDescribes() throws {
            let json = """
                {"ociVersion": "1.0.2", "hostname": "box", "mounts": [], "annotations": {"org.example": "kept aside"},
                 "process": {"terminal": false, "user": {"uid": 5, "gid": 7, "additionalGids": []},
                             "args": ["sh", "-c", "true"], "env": ["PATH=/bin", "A=b=c", "EMPTY="], "cwd": "/srv"},
                 "linux": {"namespaces": [{"type": "user"}, {"type": "uts"}, {"type": "network", "path": "/proc/self/ns/net"},
                                          {"type": "time"}, {"type": "pid", "path": ""}],
                           "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                           "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 10}, {"containerID": 10, "hostID": 5, "size": 1}],
                           "timeOffsets": {"monotonic": {"secs": -5, "nanosecs": 0}, "boottime": {"secs": 86400}}}}
                """
            let config = try OCIConfig(parsing: json)
            #expect(config.namespaces == [
                OCINamespace(.user), OCINamespace(.uts), OCINamespace(.network, path: "/proc/self/ns/net"), OCINamespace(.time),
                OCINamespace(.pid),  // an empty path creates, as runc reads it
            ])
            #expect(config.created == [.user, .uts, .time, .pid])
            let sandbox = try config.sandbox()
            #expect(sandbox.create == [.user, .uts, .time, .pid])
            #expect(sandbox.joins == [NamespaceJoin(.network, .path("/proc/self/ns/net"))])
            #expect(sandbox.userMapping == .maps(
                uid: try IDMap(inside: 0, outside: 100000, count: 65536),
                gid: try IDMap([IDMapping(inside: 0, outside: 200000, count: 10), IDMapping(inside: 10, outside: 5)])))
            #expect(sandbox.hostname == "box")
            #expect(sandbox.timeOffsets == TimeOffsets(monotonic: -5, boottime: 86400))
            #expect(sandbox.uid == 5 && sandbox.gid == 7)
            let command = try config.command()
            #expect(command.executable == "sh" && command.arguments == ["-c", "true"])
            #expect(command.environment == ["PATH": "/bin", "A": "b=c", "EMPTY": ""])
            #expect(command.workingDirectory == "/srv")
            let replaced = try config.command(arguments: ["echo", "hi"])
            #expect(replaced.executable == "echo" && replaced.arguments == ["hi"])
        }

        @Test func theLinuxObjectAloneIsAConfigWithPathsFromItsRoot() throws {
            let config = try OCIConfig(parsing: #"{"namespaces": [{"type": "network"}, {"type": "ipc"}]}"#)
            #expect(try config.sandbox().create == [.network, .ipc])
            #expect(config.process == OCIProcess())
            #expect(try config.command(arguments: ["true"]).executable == "true")
            // Errors name paths inside the document given.
            #expect(configError(#"{"namespaces": [{"type": "net"}]}"#)?.field == "namespaces[0].type")
            #expect(configError(#"{"uidMappings": [{"containerID": 0, "hostID": 0, "size": 1}]}"#)?.description
                == #"uidMappings: needs a new user namespace; add {"type": "user"} to namespaces"#)
        }

        @Test func nullIsReadAsAbsentAndTheEmptyObjectCreatesNothing() throws {
            let config = try OCIConfig(parsing: #"{"hostname": null, "process": null, "linux": {"namespaces": null}}"#)
            #expect(config == OCIConfig())
            #expect(try OCIConfig(parsing: "{}").sandbox() == Sandbox())
        }

        @Test func aConfigFileIsReadAndItsSyntaxErrorsNameTheFileAndPosition() throws {
            let good = ConfigFile(#"{"linux": {"namespaces": [{"type": "uts"}]}}"#)
            #expect(try OCIConfig(contentsOf: good.path).created == [.uts])
            let bad = ConfigFile("{\n  \"linux\": {\n    \"namespaces\": [{\"type\": \"uts\"},]\n  }\n}\n")
            let error = try #require(ociError { _ = try OCIConfig(contentsOf: bad.path) })
            #expect(error.field == "" && error.syntax?.line == 3 && error.syntax?.column == 36)
            #expect(error.description == "\(bad.path): not valid JSON: line 3, column 36 (byte 50): trailing comma before ']'")
            let missing = try #require(ociError { _ = try OCIConfig(contentsOf: "/nonexistent/config.json") })
            #expect(missing.description == "/nonexistent/config.json: cannot open: No such file or directory")
            let directory = try #require(ociError { _ = try OCIConfig(contentsOf: "/") })
            #expect(directory.description == "/: cannot read: Is a directory")
        }

        /// (config.json, the whole message): one per rule, each naming its JSON path.
        static let invalid: [(String, String)] = [
            ("[]", "expected an object, found an array"),
            (#"{"linux": []}"#, "linux: expected an object, found an array"),
            (#"{"linux": {"namespaces": {"type": "pid"}}}"#, "linux.namespaces: expected an array, found an object"),
            (#"{"linux": {"namespaces": ["pid"]}}"#, "linux.namespaces[0]: expected an object, found a string"),
            (#"{"linux": {"namespaces": [{"path": "/proc/1/ns/pid"}]}}"#,
             "linux.namespaces[0]: missing \"type\"; expected one of pid, network, mount, ipc, uts, user, cgroup, time"),
            (#"{"linux": {"namespaces": [{"type": 1}]}}"#, "linux.namespaces[0].type: expected a string, found a number"),
            (#"{"linux": {"namespaces": [{"type": "pid"}, {"type": "user"}, {"type": "netw"}]}}"#,
             #"linux.namespaces[2].type: unknown namespace type "netw"; expected one of pid, network, mount, ipc, uts, user, cgroup, time"#),
            (#"{"linux": {"namespaces": [{"type": "net"}]}}"#,
             #"linux.namespaces[0].type: unknown namespace type "net"; expected one of pid, network, mount, ipc, uts, user, cgroup, time"#),
            (#"{"linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "pid", "path": "/proc/1/ns/pid"}]}}"#,
             #"linux.namespaces[2].type: duplicate namespace type "pid" (also linux.namespaces[0]); each type may appear once"#),
            (#"{"linux": {"namespaces": [{"type": "ipc", "path": 5}]}}"#, "linux.namespaces[0].path: expected a string, found a number"),
            (#"{"linux": {"namespaces": [{"type": "ipc", "path": "proc/1/ns/ipc"}]}}"#,
             #"linux.namespaces[0].path: "proc/1/ns/ipc" is not an absolute path; the runtime spec requires one"#),
            (#"{"linux": {"namespaces": [{"type": "pid"}], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}"#,
             #"linux.uidMappings: needs a new user namespace; add {"type": "user"} to linux.namespaces"#),
            (#"{"linux": {"namespaces": [{"type": "user", "path": "/proc/1/ns/user"}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}"#,
             "linux.uidMappings: needs a new user namespace, but linux.namespaces[0] joins an existing one by path"),
            (#"{"linux": {"namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}"#,
             "linux.uidMappings: given without linux.gidMappings; the user namespace needs both maps"),
            (#"{"linux": {"namespaces": [{"type": "user"}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}"#,
             "linux.gidMappings: given without linux.uidMappings; the user namespace needs both maps"),
            (#"{"linux": {"uidMappings": {"containerID": 0}}}"#, "linux.uidMappings: expected an array, found an object"),
            (#"{"linux": {"uidMappings": [{"containerID": 0, "size": 1}]}}"#,
             #"linux.uidMappings[0]: missing "hostID"; a mapping has containerID, hostID and size"#),
            (#"{"linux": {"uidMappings": [{"containerID": 0, "hostID": 1.5, "size": 1}]}}"#,
             "linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295, found 1.5"),
            (#"{"linux": {"uidMappings": [{"containerID": 0, "hostID": 1e3, "size": 1}]}}"#,
             "linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295, found 1e3"),
            (#"{"linux": {"uidMappings": [{"containerID": "0", "hostID": 1, "size": 1}]}}"#,
             "linux.uidMappings[0].containerID: expected an integer from 0 to 4294967295, found a string"),
            (#"{"linux": {"gidMappings": [{"containerID": -1, "hostID": 1, "size": 1}]}}"#,
             "linux.gidMappings[0].containerID: -1 is out of range; expected an integer from 0 to 4294967295"),
            (#"{"linux": {"gidMappings": [{"containerID": 0, "hostID": 1, "size": 4294967296}]}}"#,
             "linux.gidMappings[0].size: 4294967296 is out of range; expected an integer from 0 to 4294967295"),
            (#"{"linux": {"gidMappings": [{"containerID": 0, "hostID": 1, "size": 99999999999999999999}]}}"#,
             "linux.gidMappings[0].size: 99999999999999999999 is out of range; expected an integer from 0 to 4294967295"),
            (#"{"linux": {"namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}, {"containerID": 5, "hostID": 2000, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}"#,
             "linux.uidMappings: id map line 2 '5 2000 1' overlaps line 1 '0 1000 10' inside the namespace"),
            (#"{"linux": {"namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 0}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}"#,
             "linux.uidMappings: id map line 1 '0 1000 0' has a count of 0; count must be at least 1"),
            (#"{"hostname": "box"}"#, #"hostname: needs a new uts namespace; add {"type": "uts"} to linux.namespaces"#),
            (#"{"hostname": "box", "linux": {"namespaces": [{"type": "uts", "path": "/proc/1/ns/uts"}]}}"#,
             "hostname: needs a new uts namespace, but linux.namespaces[0] joins an existing one by path"),
            (#"{"hostname": 7}"#, "hostname: expected a string, found a number"),
            ("{\"hostname\": \"\(String(repeating: "h", count: 65))\", \"linux\": {\"namespaces\": [{\"type\": \"uts\"}]}}",
             "hostname: \"\(String(repeating: "h", count: 65))\" is longer than 64 bytes or holds a NUL byte"),
            (#"{"linux": {"timeOffsets": {"boottime": {"secs": 10}}}}"#,
             #"linux.timeOffsets: needs a new time namespace; add {"type": "time"} to linux.namespaces"#),
            (#"{"linux": {"namespaces": [{"type": "time"}], "timeOffsets": {"realtime": {"secs": 10}}}}"#,
             #"linux.timeOffsets.realtime: unknown clock "realtime"; expected monotonic or boottime"#),
            (#"{"linux": {"namespaces": [{"type": "time"}], "timeOffsets": {"boottime": {"secs": 1, "nanosecs": 5}}}}"#,
             "linux.timeOffsets.boottime.nanosecs: only whole seconds are supported; found 5 nanoseconds"),
            (#"{"linux": {"namespaces": [{"type": "time"}], "timeOffsets": {"boottime": {"secs": 0.5}}}}"#,
             "linux.timeOffsets.boottime.secs: expected an integer from -9223372036854775808 to 9223372036854775807, found 0.5"),
            (#"{"linux": {"namespaces": [{"type": "time"}], "timeOffsets": {"boottime": 10}}}"#,
             "linux.timeOffsets.boottime: expected an object, found a number"),
            (#"{"linux": {"namespaces": [{"type": "time"}], "timeOffsets": {"real time": {"secs": 1}}}}"#,
             #"linux.timeOffsets["real time"]: unknown clock "real time"; expected monotonic or boottime"#),
            (#"{"hostname": "box", "namespaces": [{"type": "uts"}]}"#, "namespaces: belongs in the linux object, as linux.namespaces"),
            (#"{"process": []}"#, "process: expected an object, found an array"),
            (#"{"process": {"args": "sh"}}"#, "process.args: expected an array, found a string"),
            (#"{"process": {"args": ["sh", 1]}}"#, "process.args[1]: expected a string, found a number"),
            (#"{"process": {"env": ["PATH=/bin", "NOVALUE"]}}"#, #"process.env[1]: "NOVALUE" is not NAME=value"#),
            (#"{"process": {"env": ["=x"]}}"#, #"process.env[0]: "=x" is not NAME=value"#),
            (#"{"process": {"cwd": "tmp"}}"#, #"process.cwd: "tmp" is not an absolute path; the runtime spec requires one"#),
            (#"{"process": {"user": {"uid": -1}}}"#, "process.user.uid: -1 is out of range; expected an integer from 0 to 4294967295"),
            (#"{"process": {"user": {"uid": 0, "gid": 0, "additionalGids": [5]}}}"#,
             "process.user.additionalGids: supplementary groups are not supported; remove them or leave the list empty"),
            (#"{"linux": {"namespaces": [{"type": "ipc"}]}, "linux": {}}"#,
             "not valid JSON: line 1, column 46 (byte 45): duplicate key \"linux\" in one object"),
        ]

        @Test(arguments: invalid) func eachMistakeIsOneErrorNamingItsJSONPath(_ json: String, message: String) {
            let error = configError(json)
            #expect(error?.description == message, "\(json)")
        }

        @Test func aCommandNeedsProcessArgsOrArgumentsInstead() throws {
            for json in [#"{}"#, #"{"process": {"cwd": "/"}}"#, #"{"process": {"args": []}}"#] {
                let config = try OCIConfig(parsing: json)
                let error = ociError { _ = try config.command() }
                #expect(error?.field == "process.args", "\(json)")
                #expect(error?.detail.hasSuffix("; the runtime spec requires at least one entry, the program to run") == true)
                #expect(try config.command(arguments: ["true"]).executable == "true")
                #expect(ociError { _ = try config.command(arguments: []) } != nil)
            }
            #expect(ociError { _ = try OCIConfig(parsing: #"{"process": {"args": []}}"#).command() }?.description
                == "process.args: empty; the runtime spec requires at least one entry, the program to run")
            #expect(ociError { _ = try OCIConfig(parsing: #"{"process": {"args": [""]}}"#).command() }?.description
                == "process.args[0]: the program is an empty string")
        }

        @Test func aValueBuiltInCodeIsValidatedToo() throws {
            var config = OCIConfig(namespaces: [OCINamespace(.pid), OCINamespace(.pid)])
            #expect(ociError { _ = try config.sandbox() }?.description
                == #"linux.namespaces[1].type: duplicate namespace type "pid" (also linux.namespaces[0]); each type may appear once"#)
            config.namespaces = [OCINamespace(.pid)]
            config.hostname = "box"
            #expect(ociError { _ = try config.command(arguments: ["true"]) }?.field == "hostname")
            config.hostname = nil
            #expect(try config.sandbox().create == [.pid])
        }
    }
}

// MARK: - The runtime-tools validation checks, on the real kernel

extension OCITests {
    /// Ports of the assertions of opencontainers/runtime-tools `validation/linux_ns_*` and
    /// `linux_uid_mappings`: the test reads `/proc/self/ns/*` (and the id maps) of the
    /// container process and compares them with the host's and with the configuration.
    @Suite struct RuntimeToolsChecks {
        /// linux_ns_itype: each type listed without a path is a new namespace; every other
        /// kind stays the host's (so the check would notice a type mapped to the wrong kind).
        @Test(arguments: ociTypes.map(\.type)) func linuxNsItype(_ type: String) throws {
            let proc = ociTypes.first { $0.type == type }!.proc
            let (output, termination) = try runConfig(configJSON([(type, nil)]))
            #expect(termination == .exited(0))
            let inside = namespaceLines(output)
            #expect(inside.count == 8, "\(output)")
            for other in allKindNames {
                #expect((inside[other] != ourNamespace(other)) == (other == proc), "\(type): \(other)")
            }
        }

        /// linux_ns_itype as uid 65534, through nsbox: each type in a new user namespace that
        /// maps root to 65534 (an unprivileged user cannot create the others without one).
        @Test func linuxNsItypeUnprivileged() throws {
            for (type, proc) in ociTypes {
                let namespaces: [(String, String?)] = type == "user" ? [("user", nil)] : [("user", nil), (type, nil)]
                let file = ConfigFile(configJSON(namespaces, linux: rootMappings(unprivilegedUID)))
                let result = try NSBox.runUnprivileged("run", "--config", file.path)
                #expect(result.status == 0, "\(type): \(result.stderr)")
                let inside = namespaceLines(result.stdout)
                #expect(inside.count == 8, "\(type): \(result.stdout)")
                for other in allKindNames {
                    #expect((inside[other] != ourNamespace(other)) == (other == proc || other == "user"), "\(type): \(other)")
                }
            }
        }

        /// linux_ns_nopath: all types listed together without paths: every namespace is new.
        @Test func linuxNsNopath() throws {
            let all = ociTypes.map { ($0.type, nil as String?) }
            let (output, termination) = try runConfig(configJSON(all, linux: rootMappings(0, size: 65536)))
            #expect(termination == .exited(0))
            let inside = namespaceLines(output)
            #expect(inside.count == 8, "\(output)")
            for kind in allKindNames { #expect(inside[kind] != ourNamespace(kind), "\(kind)") }
            // The same as uid 65534, through nsbox.
            let file = ConfigFile(configJSON(all, linux: rootMappings(unprivilegedUID)))
            let result = try NSBox.runUnprivileged("run", "--config", file.path)
            #expect(result.status == 0, "\(result.stderr)")
            let unprivileged = namespaceLines(result.stdout)
            #expect(unprivileged.count == 8, "\(result.stdout)")
            for kind in allKindNames { #expect(unprivileged[kind] != ourNamespace(kind), "\(kind) as 65534") }
        }

        /// linux_ns_path: a type given by path is that namespace, one type at a time and all
        /// together; the holder is `unshare`, its pid and time namespaces those of its child.
        @Test func linuxNsPath() throws {
            let (holder, child) = try startHolder()
            defer { kill(child, SIGKILL); holder.kill() }
            let expected = Dictionary(uniqueKeysWithValues: allKindNames.map { ($0, inode("/proc/\(child)/ns/\($0)")!) })
            for kind in allKindNames { #expect(expected[kind] != ourNamespace(kind), "the holder's \(kind) is new") }
            for (type, proc) in ociTypes {
                let (output, termination) = try runConfig(configJSON([(type, "/proc/\(child)/ns/\(proc)")]))
                #expect(termination == .exited(0), "\(type)")
                let inside = namespaceLines(output)
                #expect(inside[proc] == expected[proc], "\(type): \(output)")
                for other in allKindNames where other != proc {
                    #expect(inside[other] == ourNamespace(other), "\(type): \(other) stays the host's")
                }
            }
            let (output, _) = try runConfig(configJSON(ociTypes.map { ($0.type, "/proc/\(child)/ns/\($0.proc)") }))
            #expect(namespaceLines(output) == expected, "\(output)")
        }

        /// linux_ns_path as uid 65534, through nsbox: the holder is 65534's own `unshare -r`.
        @Test func linuxNsPathUnprivileged() throws {
            let (holder, child) = try startHolder(prefix: asUnprivileged)
            defer { kill(child, SIGKILL); holder.kill() }
            let expected = Dictionary(uniqueKeysWithValues: allKindNames.map { ($0, inode("/proc/\(child)/ns/\($0)")!) })
            let file = ConfigFile(configJSON(ociTypes.map { ($0.type, "/proc/\(child)/ns/\($0.proc)") }))
            let result = try NSBox.runUnprivileged("run", "--config", file.path)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(namespaceLines(result.stdout) == expected, "\(result.stdout)")
            // Joining the user namespace alone works too; the others stay the host's.
            let userOnly = ConfigFile(configJSON([("user", "/proc/\(child)/ns/user")]))
            let joined = namespaceLines(try NSBox.runUnprivileged("run", "--config", userOnly.path).stdout)
            #expect(joined["user"] == expected["user"] && joined["net"] == ourNamespace("net"), "\(joined)")
        }

        /// linux_ns_path_type: a path of another type is an error naming the JSON path, before
        /// anything runs; nsbox reports it on one line with status 125.
        @Test(arguments: ociTypes.map(\.type)) func linuxNsPathType(_ type: String) throws {
            let proc = ociTypes.first { $0.type == type }!.proc
            let (wrongType, wrongProc) = ociTypes.first { $0.type != type && ($0.type == "network" || $0.type == "ipc") }!
            let path = "/proc/self/ns/\(wrongProc)"
            let first = type == "cgroup" ? "uts" : "cgroup"
            let json = configJSON([(first, nil), (type, path)])
            let message = #"linux.namespaces[1].path: "\#(path)" is a \#(wrongType) namespace, not a \#(type) namespace"#
            #expect(configError(json)?.description == message)
            // The right type at that place is accepted: the check looks at the file, not the name.
            #expect(configError(configJSON([(type, "/proc/self/ns/\(proc)")])) == nil)

            let scratch = ScratchDirectory()
            chmod(scratch.path, 0o777)
            let marker = scratch.path + "/ran"
            // Control: with the right type the command runs and leaves the marker.
            let right = ConfigFile(configJSON([(type, "/proc/self/ns/\(proc)")], args: ["touch", marker]))
            #expect(try NSBox.run("run", "--config", right.path).status == 0)
            #expect(unlink(marker) == 0)
            let tracked = ConfigFile(configJSON([(type, path)], args: ["touch", marker]))
            for run in [{ try NSBox.run($0) }, { try NSBox.runUnprivileged($0) }] as [([String]) throws -> CommandResult] {
                let result = try run(["run", "--config", tracked.path])
                #expect(result.status == 125, "\(result.stderr)")
                #expect(result.stderr == "nsbox: --config \(tracked.path): " + message.replacingOccurrences(of: "[1]", with: "[0]") + "\n")
                #expect(result.stdout.isEmpty && access(marker, F_OK) != 0)
            }
        }

        @Test func aPathThatIsNoNamespaceOrIsMissingIsAnErrorNamingTheField() {
            #expect(configError(configJSON([("network", "/etc/passwd")]))?.description
                == #"linux.namespaces[0].path: "/etc/passwd": not a namespace file; give /proc/PID/ns/net or a file a network namespace is bind-mounted on"#)
            let missing = configError(configJSON([("ipc", "/proc/999999999/ns/ipc")]))
            #expect(missing?.field == "linux.namespaces[0].path")
            #expect(missing?.detail.hasPrefix(#""/proc/999999999/ns/ipc": ENOENT"#) == true, "\(String(describing: missing))")
        }

        /// linux_uid_mappings (and gid): the process's uid_map and gid_map are the
        /// configuration's lines, as root with several ranges and as 65534 with its own id.
        @Test func linuxUIDMappings() throws {
            let mappings = """
                "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 1000}, {"containerID": 1000, "hostID": 5000, "size": 1}],
                "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 500}]
                """
            let script = "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; id -u; id -g"
            let json = configJSON([("user", nil)], linux: mappings, args: ["sh", "-c", script])
            let (output, termination) = try runConfig(json)
            #expect(termination == .exited(0))
            let parts = output.split(separator: "--\n", omittingEmptySubsequences: false)
            #expect(parts.count == 3, "\(output)")
            if parts.count == 3 {
                #expect(mapLines(parts[0]) == ["0 100000 1000", "1000 5000 1"])
                #expect(mapLines(parts[1]) == ["0 200000 500"])
                // root is not mapped: the kernel shows the overflow ids.
                #expect(parts[2] == "65534\n65534\n")
            }
            // With process.user: uid 0 inside is host 100000.
            let asRoot = json.replacingOccurrences(of: #""cwd": "/""#, with: #""cwd": "/", "user": {"uid": 1000, "gid": 0}"#)
            let (ids, _) = try runConfig(asRoot)
            #expect(ids.hasSuffix("--\n1000\n0\n"), "\(ids)")

            let own = ConfigFile(configJSON([("user", nil)], linux: rootMappings(unprivilegedUID), args: ["sh", "-c", script]))
            let result = try NSBox.runUnprivileged("run", "--config", own.path)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
                == ["0 65534 1", "--", "0 65534 1", "--", "0", "0"])
            // A range beyond its own id is the kernel's (or newuidmap's) to refuse, not silently dropped.
            let other = ConfigFile(configJSON([("user", nil)], linux: rootMappings(100000, size: 10), args: ["true"]))
            let refused = try NSBox.runUnprivileged("run", "--config", other.path)
            #expect(refused.status == 125, "\(refused.stdout)")
        }
    }
}

// MARK: - nsbox run --config

extension OCITests {
    @Suite struct NSBoxConfig {
        @Test func theConfigsProcessRunsWithItsEnvironmentDirectoryAndHostname() throws {
            let json = """
                {"hostname": "oci-box", "process": {"args": ["sh", "-c", "hostname; pwd; echo \\"$GREETING\\"; env | wc -l; cut -d. -f1 /proc/uptime"],
                 "env": ["GREETING=h\\u00e9llo \\ud83d\\ude00", "PATH=/usr/bin:/bin"], "cwd": "/usr"},
                 "linux": {"namespaces": [{"type": "user"}, {"type": "uts"}, {"type": "time"}],
                   "uidMappings": [{"containerID": 0, "hostID": 65534, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 65534, "size": 1}],
                   "timeOffsets": {"boottime": {"secs": 8640000, "nanosecs": 0}}}}
                """
            let file = ConfigFile(json)
            for run in [{ try NSBox.run($0) }, { try NSBox.runUnprivileged($0) }] as [([String]) throws -> CommandResult] {
                let before = try hostUptime()
                let result = try run(["run", "--config", file.path])
                let after = try hostUptime()
                #expect(result.status == 0, "\(result.stderr)")
                let lines = result.stdout.split(separator: "\n")
                #expect(lines.dropLast() == ["oci-box", "/usr", "héllo 😀", "3"], "\(result.stdout)")
                // 100 days of boot-time offset over the host's uptime, read around the run.
                let inside = try #require(lines.last.flatMap { Int($0) }, "\(result.stdout)")
                #expect((before...after).contains(inside - 8_640_000), "inside \(inside), host \(before)...\(after)")
            }
        }

        @Test func wordsAfterTheDashesReplaceProcessArgsAndDashWReplacesCwd() throws {
            let file = ConfigFile(configJSON([("user", nil)], linux: rootMappings(0), args: ["sh", "-c", "echo from config"]))
            #expect(try NSBox.run("run", "--config", file.path).stdout == "from config\n")
            #expect(try NSBox.run("run", "--config", file.path, "--", "sh", "-c", "echo replaced; id -u").stdout == "replaced\n0\n")
            #expect(try NSBox.run("run", "--config", file.path, "-w", "/etc", "--", "pwd").stdout == "/etc\n")
            // Lifetime options apply on top: the command is pid 1 of the config's pid namespace.
            let pid = ConfigFile(configJSON([("pid", nil)], args: ["sh", "-c", "echo $$"]))
            #expect(try NSBox.run("run", "--config", pid.path, "--as-pid-1").stdout == "1\n")
            #expect(try NSBox.run("run", "--config", pid.path).stdout == "2\n")
        }

        @Test func mistakesAreOneLineAndStatus125() throws {
            let noArgs = ConfigFile(#"{"linux": {"namespaces": [{"type": "ipc"}]}}"#)
            let conflicting = ConfigFile(configJSON([("network", nil)]))
            let syntax = ConfigFile("{\"linux\": {\"namespaces\": [{\"type\": \"ipc\"}]]}")
            let cases: [([String], String)] = [
                (["run", "--config", noArgs.path],
                 "nsbox: --config \(noArgs.path): process.args: missing; the runtime spec requires at least one entry, the program to run; or give the command after --\n"),
                (["run", "--config", conflicting.path, "-n", "true"],
                 "nsbox: --config \(conflicting.path) sets the namespaces, id maps, hostname and clock offsets; drop the options that set them too (namespace flags, -r, -c, --map-*, --owner, --join, --hostname, --monotonic, --boottime, --mount-proc, --mount-binfmt, -l, --sandbox)\n"),
                (["run", "--config", syntax.path],
                 "nsbox: --config \(syntax.path): \(syntax.path): not valid JSON: line 1, column 43 (byte 42): expected ',' or '}' after an object member, found ']'\n"),
                (["run", "--config", "/nonexistent.json"], "nsbox: --config /nonexistent.json: /nonexistent.json: cannot open: No such file or directory\n"),
            ]
            for (arguments, message) in cases {
                let result = try NSBox.run(arguments)
                #expect(result.status == 125, "\(arguments)")
                #expect(result.stderr == message)
                #expect(result.stdout.isEmpty)
            }
            // Without --config the same command line still runs: the check is only for --config.
            #expect(try NSBox.run("run", "-n", "true").status == 0)
        }

        @Test func helpDocumentsTheOption() throws {
            // Words joined with single spaces: the help text is wrapped to the terminal's width.
            let help = try NSBox.run("help", "run").stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
            #expect(help.contains("--config FILE"))
            #expect(help.contains("a command after -- replaces process.args"), "\(help)")
        }
    }
}

/// The host's uptime in whole seconds (`/proc/uptime`, as `cut -d. -f1` prints it).
func hostUptime() throws -> Int {
    let text = try String(contentsOfFile: "/proc/uptime", encoding: .utf8)
    return try #require(text.split(separator: ".").first.flatMap { Int($0) }, "\(text)")
}

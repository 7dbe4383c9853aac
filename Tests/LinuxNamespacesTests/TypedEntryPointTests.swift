import LinuxNamespaces
import Testing

/// `Codable` entry points (`nsprobe typed`, TypedEntryPoints.swift): a value goes into a copy of
/// the program in new namespaces and one comes back; a thrown error comes back as an error.
@Suite struct TypedEntryPointTests {
    static let users: [(String, @Sendable ([String]) throws -> CommandResult)] = [
        ("root", { try Probe.run($0) }), ("65534", { try Probe.runUnprivileged($0) }),
    ]

    @Test func aCodableValueRoundTripsThroughUserPidAndUtsNamespaces() throws {
        for (user, run) in Self.users {
            let result = try run(["typed", "echo", "user,pid,uts"])
            // The request (escapes, 64-bit extremes, a nested dictionary) came back equal; the
            // answer was made inside: root there, pid 2 under the init, the sandbox's hostname.
            #expect(result.fields["roundtrip"] == "true", "\(user): \(result.stdout)\(result.stderr)")
            #expect(result.fields["uid"] == "0" && result.fields["pid"] == "2", "\(user): \(result.stdout)")
            #expect(result.fields["hostname"] == "typed-box", "\(user): \(result.stdout)")
        }
    }

    @Test func aThrownCodableErrorComesBackAsItselfWithItsDescription() throws {
        for (user, run) in Self.users {
            let result = try run(["typed", "throw", "user"])
            #expect(result.stdout.hasPrefix("entry-point-error entry point typed-throw: line -3: héllo \"quoted\"\n"),
                "\(user): \(result.stdout)\(result.stderr)")
            #expect(result.fields["type"] == "nsprobe.ProbeParseError", "\(user): \(result.stdout)")
            #expect(result.stdout.contains("decoded line -3: héllo \"quoted\"\n"), "\(user): \(result.stdout)")
        }
    }

    @Test func anErrorThatDoesNotCodeComesBackAsItsDescription() throws {
        let result = try Probe.run("typed", "opaque", "user")
        #expect(result.fields["entry-point-error"] == "entry point typed-opaque: an error that does not code", "\(result.stdout)")
        #expect(result.fields["type"] == "nsprobe.ProbeOpaqueError")
        #expect(result.fields["decoded"] == "-")
    }

    @Test func aResultOfAnotherTypeIsADecodingError() throws {
        let result = try Probe.run("typed", "mismatch", "user")
        #expect(result.stdout.hasPrefix("decoding-error DecodingError.typeMismatch"), "\(result.stdout)")
        #expect(result.stdout.contains("found an object"))
    }

    @Test func withNamespacesOfAProcessRunsTheClosureInItsNamespaces() throws {
        let result = try Probe.run("thread-of", "net,uts,ipc,mnt")
        #expect(result.fields["same"] == "true" && result.fields["ours-differ"] == "true", "\(result.stdout)\(result.stderr)")
        // An ordinary user has no CAP_SYS_ADMIN over its sandbox's user namespace: one line.
        let refused = try Probe.runUnprivileged("thread-of", "net")
        #expect(refused.status == 1 && refused.stdout.hasPrefix("error: setns(net): EPERM"), "\(refused.stdout)")
    }

    @Test func aThrownErrorKeepsItsFieldsThroughTheInProcessCoding() throws {
        struct Thrown: Error, Codable, Equatable { var code: Int32; var path: String? }
        let error = EntryPointError(name: "x", typeName: "Thrown", message: "m", json: Array(#"{"code":-7,"path":null}"#.utf8))
        #expect(error.decode(Thrown.self) == Thrown(code: -7, path: nil))
        #expect(error.decode([Int].self) == nil)
        #expect(error.description == "entry point x: m")
    }
}

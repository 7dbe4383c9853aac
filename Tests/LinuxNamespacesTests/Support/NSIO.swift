import Foundation
import Testing

/// The `nsio` helper, which runs one scenario of `Sandbox.run` and async waiting in a process
/// of its own: as root, and as uid 65534 (which the test runner cannot become).
enum NSIO {
    static let path: String = Probe.sharedCopy(of: "nsio")

    /// Runs `nsio ARGS` as root or as uid 65534; fails the test unless it exits 0.
    static func run(_ arguments: [String], unprivileged: Bool) throws -> [String: String] {
        let result = try runCommand((unprivileged ? asUnprivileged : []) + [path] + arguments, timeout: 240)
        #expect(result.status == 0 && !result.signalled, "nsio \(arguments): \(result.stderr)")
        return result.fields
    }

    /// Runs the nsio `scenario` with `arguments` as root or as uid 65534 and expects each field
    /// to have its value; returns every field, for the checks that are not equalities.
    @discardableResult
    static func expect(_ scenario: String, _ arguments: [String] = [], unprivileged: Bool, _ expected: KeyValuePairs<String, String>,
        sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: String] {
        let fields = try run([scenario] + arguments, unprivileged: unprivileged)
        for (key, value) in expected {
            #expect(fields[key] == value, "\(scenario): \(key)", sourceLocation: sourceLocation)
        }
        return fields
    }
}

import Foundation
import Glibc
import Testing
import TestIsolation

/// What belongs to this run of the suite alone: its directory and the names it gives to things
/// outside it, each carrying the runner's pid so that two suites on one machine never meet.
enum TestRun {
    /// `/tmp/swift-linux-namespaces-tests.PID`: the copies of the helpers, scratch directories and
    /// mount points of this run, readable by every user (the tests run as 65534 too); removed
    /// when the runner exits.
    static let directory: String = {
        let path = "/tmp/swift-linux-namespaces-tests.\(getpid())"
        mkdir(path, 0o755)
        chmod(path, 0o755)
        atexit { TestRun.removeDirectory() }
        return path
    }()

    /// A uid that no user and no other run has (one million plus the runner's pid), for a test
    /// that limits what a uid may do (RLIMIT_NPROC counts every process of the uid).
    static let ownUID = 1_000_000 + UInt32(getpid())

    /// A name unique to this run: `PREFIX-PID`.
    static func name(_ prefix: String) -> String { "\(prefix)-\(getpid())" }

    /// Whether the runner moved itself into a mount namespace of its own (see
    /// Tests/TestIsolation): then mounts the tests make, and `/run`, are not the host's.
    static var hasPrivateMounts: Bool { test_run_has_private_mounts() != 0 }

    /// Unmounts what is left below the directory (deepest first), then removes it.
    static func removeDirectory() {
        let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        let mounts = mountinfo.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 4 && fields[4].hasPrefix(directory + "/") ? String(fields[4]) : nil
        }
        for mount in mounts.sorted(by: { $0.count > $1.count }) { umount2(mount, Int32(MNT_DETACH)) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A directory of its own for one test below the run's directory; everything mounted in it is
/// unmounted and it is removed when the value goes away.
final class ScratchDirectory {
    let path: String
    init() {
        path = TestRun.directory + "/scratch-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(path, 0o755)
    }
    func sub(_ name: String) -> String {
        let sub = path + "/" + name
        mkdir(sub, 0o755)
        return sub
    }
    deinit {
        // Every mount at or below the directory, deepest first, so that nothing stays mounted.
        let mounts = hostMountinfo().split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 4 && (fields[4] == path || fields[4].hasPrefix(path + "/")) ? String(fields[4]) : nil
        }
        for mount in mounts.sorted(by: { $0.count > $1.count }) { umount2(mount, Int32(MNT_DETACH)) }
        _ = try? FileManager.default.removeItem(atPath: path)
    }
}

/// The caller's mount table (the runner's own namespace), one line per mount.
func hostMountinfo() -> String {
    (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
}

/// Tools that some tests need and a fresh Debian 12 may lack, each with the package that has it.
enum OptionalTool {
    /// Set (to anything) by CI, which installs every optional tool: a test that would be skipped
    /// for a missing tool fails instead, naming the package.
    static let strictVariable = "NSBOX_TESTS_REQUIRE_ALL_TOOLS"

    /// Whether `name` is an executable in PATH.
    static func isInstalled(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(name)", X_OK) == 0 }
    }

    /// True where `name` is installed; false (skip) where it is not; throws where it is not and
    /// CI asked for every tool.
    static func check(_ name: String, package: String) throws -> Bool {
        if isInstalled(name) { return true }
        if ProcessInfo.processInfo.environment[strictVariable] != nil {
            throw TestFailure("\(name) is not installed (apt-get install \(package)), and \(strictVariable) makes a skip a failure")
        }
        return false
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only where `tool` is installed; elsewhere skips it with a reason naming the
    /// Debian package, or fails it when `NSBOX_TESTS_REQUIRE_ALL_TOOLS` is set.
    static func requiresTool(_ tool: String, package: String) -> Self {
        .enabled("needs \(tool): apt-get install \(package)") { try OptionalTool.check(tool, package: package) }
    }
}

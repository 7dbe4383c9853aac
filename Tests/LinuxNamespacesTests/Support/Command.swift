import Foundation
import Glibc

/// The unprivileged user the tests drop to: `nobody` on Debian.
let unprivilegedUID: UInt32 = 65534

/// The prefix that runs a command as uid/gid 65534 with no supplementary groups.
let asUnprivileged = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

/// What a finished command printed and how it ended.
struct CommandResult {
    var stdout: String
    var stderr: String
    var status: Int32
    var signalled: Bool

    /// `key value` lines of stdout as a dictionary (the nsprobe output format).
    var fields: [String: String] {
        var result: [String: String] = [:]
        for line in stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }
}

/// Runs `arguments` (looked up in PATH) to completion, capturing both outputs.
func runCommand(_ arguments: [String], input: String? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self),
        status: process.terminationStatus,
        signalled: process.terminationReason == .uncaughtSignal)
}

/// A long-running process started for a test, killed and reaped when the test is done with it.
final class TargetProcess: @unchecked Sendable {
    let process = Process()

    /// Starts `arguments` (e.g. `unshare --net sleep 60`), waiting until its namespaces of
    /// `kinds` differ from ours, which means `unshare` has done its work and exec'd.
    /// `ready` says when the target has finished setting up; by default when it runs `sleep`.
    init(
        _ arguments: [String], differingIn kinds: [String],
        ready: (Int32) -> Bool = { comm($0) == "sleep" }
    ) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let differ = kinds.allSatisfy { kind in
                let theirs = inode("/proc/\(process.processIdentifier)/ns/\(kind)")
                return theirs != nil && theirs != inode("/proc/self/ns/\(kind)")
            }
            if differ && ready(process.processIdentifier) { return }
            usleep(2000)
        }
        kill()
        throw TestFailure("target \(arguments) did not get new \(kinds) namespaces")
    }

    var pid: Int32 { process.processIdentifier }

    /// The inode of this target's namespace of `kind`.
    func namespace(_ kind: String) -> UInt64? { inode("/proc/\(pid)/ns/\(kind)") }

    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { kill() }
}

/// The inode of the file at `path` (following symlinks), or nil.
func inode(_ path: String) -> UInt64? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return UInt64(info.st_ino)
}

/// The command name of a process.
func comm(_ pid: Int32) -> String? {
    (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

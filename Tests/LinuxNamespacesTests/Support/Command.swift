import CNamespaces
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

/// Runs `arguments` (looked up in PATH) to completion, capturing both outputs. The command
/// starts as from a shell: no signal blocked, default dispositions, stdin from /dev/null (the
/// test runner's worker threads block signals, which posix_spawn would otherwise pass on).
/// The command gets its own process group; if it has not finished after `timeout` seconds,
/// the group is killed and the call throws, so that a hang fails one test, not the whole run.
func runCommand(_ arguments: [String], timeout: Int = 300) throws -> CommandResult {
    let out = makePipe(), err = makePipe()
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, out[1], 1)
    posix_spawn_file_actions_adddup2(&actions, err[1], 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t(), all = sigset_t()
    sigemptyset(&empty)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
    let argv = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    var spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
    // ETXTBSY: a child another test thread forked while a helper was being copied into place
    // still holds the copy's write fd until it execs (the race Go's os/exec retries too).
    for _ in 0..<100 where spawned == ETXTBSY {
        usleep(10_000)
        spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
    }
    close(out[1]); close(err[1])
    defer { close(out[0]); close(err[0]) }
    guard spawned == 0 else { throw TestFailure("cannot start \(arguments[0]): errno \(spawned)") }
    var outputs: [[UInt8]] = [[], []]
    var open = [out[0], err[0]]
    var buffer = [UInt8](repeating: 0, count: 65536)
    let deadline = time(nil) + timeout
    var timedOut = false
    while open.contains(where: { $0 >= 0 }) {
        if time(nil) >= deadline {
            kill(-pid, SIGKILL)
            timedOut = true
            break
        }
        var polled = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if poll(&polled, nfds_t(polled.count), 1000) < 0 { continue }
        for (index, entry) in polled.enumerated() where entry.fd >= 0 && entry.revents != 0 {
            let n = read(entry.fd, &buffer, buffer.count)
            if n > 0 { outputs[index] += buffer[..<n] } else { open[index] = -1 }
        }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if timedOut { throw TestFailure("timed out after \(timeout) s and killed: \(arguments.joined(separator: " "))") }
    let signalled = status & 0x7f != 0
    return CommandResult(
        stdout: String(decoding: outputs[0], as: UTF8.self),
        stderr: String(decoding: outputs[1], as: UTF8.self),
        status: signalled ? 128 + (status & 0x7f) : (status >> 8) & 0xff,
        signalled: signalled)
}

/// A long-running process started for a test, killed and reaped when the test is done with it.
final class TargetProcess: @unchecked Sendable {
    let process = Process()

    /// Starts `arguments` (e.g. `unshare --net sleep 60`), waiting until its namespaces of
    /// `kinds` differ from ours, which means `unshare` has done its work and exec'd.
    /// `ready` says when the target has finished setting up; by default when it runs `sleep`
    /// and its command line is there (execve names the process before it sets up the new
    /// memory's arguments: /proc/PID/cmdline is empty in between).
    init(
        _ arguments: [String], differingIn kinds: [String],
        ready: (Int32) -> Bool = { comm($0) == "sleep" && hasCommandLine($0) }
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

/// Whether /proc/PID/cmdline has anything in it.
func hasCommandLine(_ pid: Int32) -> Bool {
    guard let file = fopen("/proc/\(pid)/cmdline", "r") else { return false }
    defer { fclose(file) }
    return fgetc(file) != EOF
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

/// The first child of `pid` (`/proc/PID/task/PID/children`).
func firstChild(of pid: Int32) -> Int32? {
    let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)
    return text?.split(separator: " ").first.flatMap { Int32($0) }
}

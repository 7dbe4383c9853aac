import Foundation
import Glibc

/// The `nsprobe` helper executable, copied once to a directory every user may read, so that
/// tests can run it as uid 65534 wherever the build directory lives.
enum Probe {
    static let path: String = sharedCopy(of: "nsprobe")

    /// The built `name` executable, copied once to a directory every user may read.
    static func sharedCopy(of name: String) -> String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test bundle may sit inside an .xctest directory next to the executables.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path),
            dir.path != "/"
        {
            dir = dir.deletingLastPathComponent()
        }
        let built = dir.appendingPathComponent(name).path
        // The run's own directory (removed at exit). The copy is renamed into place, so a test
        // of this run never sees half a file.
        let copy = TestRun.directory + "/" + name
        let partial = copy + ".\(getpid())"
        unlink(partial)
        copyFile(built, to: partial)
        chmod(partial, 0o755)
        rename(partial, copy)
        return copy
    }

    /// Copies `source` to the new file `target` through close-on-exec fds. (FileManager's copy
    /// leaves its fd inheritable: a process another test started meanwhile kept the copy open
    /// for writing while it ran, and every exec of the copy failed with ETXTBSY until then.)
    static func copyFile(_ source: String, to target: String) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        precondition(input >= 0 && output >= 0, "cannot copy \(source) to \(target): errno \(errno)")
        defer { close(input); close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(input, &buffer, buffer.count)
            precondition(n >= 0, "reading \(source): errno \(errno)")
            if n == 0 { break }
            var done = 0
            while done < n {
                let written = buffer.withUnsafeBytes { write(output, $0.baseAddress! + done, n - done) }
                precondition(written > 0, "writing \(target): errno \(errno)")
                done += written
            }
        }
    }

    /// Runs `nsprobe ARGS` as the current user (root in CI).
    static func run(_ arguments: String...) throws -> CommandResult { try run(arguments) }

    /// Runs `nsprobe ARGS` as the current user (root in CI).
    static func run(_ arguments: [String]) throws -> CommandResult { try runCommand([path] + arguments) }

    /// Runs `nsprobe ARGS` as uid/gid 65534.
    static func runUnprivileged(_ arguments: String...) throws -> CommandResult { try runUnprivileged(arguments) }

    /// Runs `nsprobe ARGS` as uid/gid 65534.
    static func runUnprivileged(_ arguments: [String]) throws -> CommandResult {
        try runCommand(asUnprivileged + [path] + arguments)
    }
}

/// Our own namespace inode of `kind` (`/proc/self/ns/KIND`).
func ourNamespace(_ kind: String) -> UInt64 { inode("/proc/self/ns/\(kind)")! }

/// The `/proc/PID/ns/` names of all eight kinds.
let allKindNames = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"]

/// The `nsbox` command-line tool, runnable by every user.
enum NSBox {
    static let path: String = Probe.sharedCopy(of: "nsbox")

    /// Runs `nsbox ARGS` as root.
    static func run(_ arguments: String...) throws -> CommandResult { try run(arguments) }

    /// Runs `nsbox ARGS` as root.
    static func run(_ arguments: [String]) throws -> CommandResult { try runCommand([path] + arguments) }

    /// Runs `nsbox ARGS` as uid/gid 65534.
    static func runUnprivileged(_ arguments: String...) throws -> CommandResult { try runUnprivileged(arguments) }

    /// Runs `nsbox ARGS` as uid/gid 65534.
    static func runUnprivileged(_ arguments: [String]) throws -> CommandResult {
        try runCommand(asUnprivileged + [path] + arguments)
    }
}

import Foundation
import Glibc

/// A command left running in the background for a test that signals it: started as from a
/// shell (no signal blocked, default dispositions, stdin, stdout and stderr on /dev/null) in a
/// process group of its own, and killed with its group and reaped when the test is done.
final class BackgroundCommand {
    let pid: pid_t
    private var status: Int32?

    init(_ arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), every = sigset_t()
        sigemptyset(&none)
        sigfillset(&every)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &every)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw TestFailure("cannot start \(arguments[0]): errno \(spawned)") }
        self.pid = pid
    }

    /// The status a shell would report once it has ended, or nil if it is still running after
    /// `seconds`.
    func wait(within seconds: Double = 20) -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        let ended = eventually(within: seconds) { waitpid(pid, &raw, WNOHANG) == pid }
        guard ended else { return nil }
        status = raw & 0x7f != 0 ? 128 + (raw & 0x7f) : (raw >> 8) & 0xff
        return status
    }

    deinit {
        guard status == nil else { return }
        Glibc.kill(-pid, SIGKILL)
        Glibc.kill(pid, SIGKILL)
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
    }
}

/// The state letter of a process (`R`, `S`, `T` for stopped, `Z`...), from /proc/PID/stat.
func processState(_ pid: Int32) -> Character? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")"), stat.index(close, offsetBy: 2) < stat.endIndex
    else { return nil }
    return stat[stat.index(close, offsetBy: 2)]
}

/// Whether `pid` blocks `signal` (SigBlk of /proc/PID/status).
func blocksSignal(_ pid: Int32, _ signal: Int32) -> Bool {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") }),
        let mask = UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16)
    else { return false }
    return mask & (1 << UInt64(signal - 1)) != 0
}

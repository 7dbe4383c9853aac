import Foundation
import Testing

/// A command that shares the caller's terminal cannot push input into it (TIOCSTI, the
/// injection behind several container escapes) when a new session is asked for.
@Suite struct TerminalTests {
    /// Runs `arguments` with a fresh pseudo-terminal as its controlling terminal and stdin,
    /// returning what it wrote to the terminal.
    func onATerminal(_ arguments: [String]) throws -> String {
        let driver = """
            import os, pty, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.execvp(sys.argv[1], sys.argv[1:])
            out = b''
            while True:
                try:
                    data = os.read(fd, 1024)
                except OSError:
                    break
                if not data:
                    break
                out += data
            os.waitpid(pid, 0)
            sys.stdout.write(out.decode(errors='replace'))
            """
        return try runCommand(["python3", "-c", driver] + arguments).stdout
    }

    /// Says whether the terminal is the command's controlling terminal (`ctty yes`, or `ctty
    /// no ERRNO` when /dev/tty cannot be opened), then pushes one byte into the terminal on
    /// stdin: `injected`, or `refused ERRNO`.
    static let inject = """
        import fcntl, os, termios
        try:
            os.close(os.open("/dev/tty", os.O_RDWR)); print("ctty yes")
        except OSError as e:
            print("ctty no", e.errno)
        try:
            fcntl.ioctl(0, termios.TIOCSTI, b"x"); print("injected")
        except OSError as e:
            print("refused", e.errno)
        """

    @Test(.requiresTool("python3", package: "python3")) func newSessionStopsTiocstiAsRootAndUnprivileged() throws {
        // What the kernel allows a process without CAP_SYS_ADMIN in the initial user namespace:
        // with dev.tty.legacy_tiocsti = 0 (or where the kernel has no such switch, before 6.2,
        // always 1) nobody may inject (EIO); with 1, only into its controlling terminal (EPERM
        // elsewhere). The command runs in a new user namespace, so this holds as root too.
        let legacy = (try? String(contentsOfFile: "/proc/sys/dev/tty/legacy_tiocsti", encoding: .utf8)).map { $0.hasPrefix("1") } ?? true
        for prefix in [[], asUnprivileged] {
            // The protection itself, whatever the switch says: the terminal is no longer the
            // command's controlling terminal (opening /dev/tty fails with ENXIO).
            let refused = try onATerminal(prefix + [NSBox.path, "run", "-r", "--new-session", "--", "python3", "-c", Self.inject])
            #expect(refused.contains("ctty no 6"), "\(refused)")
            #expect(refused.contains(legacy ? "refused 1" : "refused 5") && !refused.contains("injected"), "legacy_tiocsti \(legacy): \(refused)")
            // The control: the default keeps the caller's session, as unshare does, and the
            // terminal stays the command's controlling terminal.
            let shared = try onATerminal(prefix + [NSBox.path, "run", "-r", "--", "python3", "-c", Self.inject])
            #expect(shared.contains("ctty yes"), "\(shared)")
            #expect(shared.contains(legacy ? "injected" : "refused 5"), "legacy_tiocsti \(legacy): \(shared)")
        }
    }

    @Test(.requiresTool("python3", package: "python3")) func foregroundSessionHandsTheTerminalToTheCommandAndBack() throws {
        // The command reports whether it leads its own process group and whether that group is
        // the terminal's foreground group (what an interactive shell inside needs).
        let show = "import os; print('own', os.getpgrp() == os.getpid(), 'fg', os.tcgetpgrp(0) == os.getpgrp())"
        for prefix in [[], asUnprivileged] {
            let output = try onATerminal(prefix + [Probe.path, "spawn", "--create", "user,pid", "--map", "root", "--foreground",
                "--", "python3", "-c", show])
            #expect(output.contains("own True fg True"), "\(output)")
            #expect(output.contains("foreground_restored true"), "\(output)")
            // Negative control: by default the command stays in the caller's process group.
            let inherited = try onATerminal(prefix + [Probe.path, "spawn", "--create", "user,pid", "--map", "root",
                "--", "python3", "-c", show])
            #expect(inherited.contains("own False"), "\(inherited)")
        }
    }
}

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

    /// Pushes one byte into the terminal on stdin; prints `injected` or `refused ERRNO`.
    static let inject = """
        import fcntl, termios
        try:
            fcntl.ioctl(0, termios.TIOCSTI, b"x"); print("injected")
        except OSError as e:
            print("refused", e.errno)
        """

    @Test(.requiresTool("python3", package: "python3")) func newSessionStopsTiocstiAsRootAndUnprivileged() throws {
        for prefix in [[], asUnprivileged] {
            let refused = try onATerminal(prefix + [NSBox.path, "run", "-r", "--new-session", "--", "python3", "-c", Self.inject])
            #expect(refused.contains("refused 1") && !refused.contains("injected"), "\(refused)")
            // The default keeps the caller's session, as unshare does: where the kernel still
            // allows TIOCSTI (dev.tty.legacy_tiocsti = 1), the command can inject.
            let legacy = (try? String(contentsOfFile: "/proc/sys/dev/tty/legacy_tiocsti", encoding: .utf8))?.hasPrefix("1") ?? false
            let shared = try onATerminal(prefix + [NSBox.path, "run", "-r", "--", "python3", "-c", Self.inject])
            #expect(shared.contains(legacy ? "injected" : "refused"), "legacy_tiocsti \(legacy): \(shared)")
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

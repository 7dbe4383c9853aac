import Foundation
import Glibc
import Testing

/// `nsbox enter -e` gives the command the target's environment in the order nsenter (util-linux
/// master; 2.38 has no `-e`) gives it: nsenter setenv(3)s `/proc/PID/environ` last entry first
/// without overwriting, so the order is reversed and a name given twice keeps its last value.
@Suite struct EnterEnvironmentOrderTests {
    /// util-linux master's nsenter, where this machine has one built (2.38 lacks `-e`).
    static let masterNsenter = ProcessInfo.processInfo.environment["NSBOX_TESTS_NSENTER_MASTER"] ?? "/work/ul/nsenter"

    @Test(arguments: [false, true]) func theTargetsEnvironmentKeepsNsentersOrder(unprivileged: Bool) throws {
        let prefix = unprivileged ? asUnprivileged : []
        let scratch = ScratchDirectory()
        // A target whose environ is exactly these entries (duplicates and all): raw execve(2).
        let script = scratch.path + "/target.py"
        try """
            import ctypes, sys
            libc = ctypes.CDLL(None)
            entries = [e.encode() for e in sys.argv[1:]]
            envp = (ctypes.c_char_p * (len(entries) + 1))(*entries, None)
            libc.execve(b"/bin/sleep", (ctypes.c_char_p * 3)(b"/bin/sleep", b"1000", None), envp)
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o644)
        let entries = ["B=2", "A=1", "DUP=first", "C=3", "DUP=last", "NOEQUALS", "Z=0"]
        let python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"
        let target = try BackgroundCommand(prefix + ["unshare", "-r", python, script] + entries)
        #expect(eventually(within: 10) {
            (try? String(contentsOfFile: "/proc/\(target.pid)/environ", encoding: .utf8)) == entries.joined(separator: "\0") + "\0"
        })
        let words = ["-t", String(target.pid), "-U", "--preserve-credentials", "-e", "--", "/usr/bin/env"]
        let ours = try runCommand(prefix + [NSBox.path, "enter"] + words)
        #expect(ours.status == 0 && ours.stdout == "Z=0\nDUP=last\nC=3\nA=1\nB=2\n", "\(ours.stdout) \(ours.stderr)")
        if access(Self.masterNsenter, X_OK) == 0 {
            let theirs = try runCommand(prefix + [Self.masterNsenter] + words)
            #expect(theirs.status == 0 && ours.stdout == theirs.stdout, "nsenter master: \(theirs.stdout) \(theirs.stderr)")
        }
        // Negative control: without -e the command gets ours, not the target's.
        let own = try runCommand(prefix + [NSBox.path, "enter"] + words.filter { $0 != "-e" })
        #expect(own.status == 0 && !own.stdout.contains("DUP=") && own.stdout.contains("PATH="), "\(own.stdout)")
    }
}

import Foundation
import Glibc
import LinuxNamespaces
import Testing
import TestIsolation

/// nsbox's init runs on nsbox's own memory (`Sandbox.initSharesCallerMemory`: no page tables
/// copied at the clone, none torn down at its exit), and nsbox is non-dumpable for it; a library
/// caller's init is a copy, and the caller stays dumpable. Either way nothing in the sandbox
/// can read the init's memory, which for nsbox is nsbox's.
@Suite struct InitOnCallerMemoryTests {
    @Test func nsboxsInitSharesNsboxsMemoryAsRootAnd65534() throws {
        for prefix in [[], asUnprivileged] {
            // Ready once the command has executed sleep: until then it shares the init's memory.
            let nsbox = try TargetProcess(prefix + [NSBox.path, "run", "--die-with-parent", "-r", "-p", "--", "sleep", "60"],
                differingIn: [], ready: { pid in
                    guard let command = firstChild(of: pid).flatMap({ firstChild(of: $0) }) else { return false }
                    return comm(command) == "sleep" && hasCommandLine(command)
                })
            defer { nsbox.kill() }
            let initPID = try #require(firstChild(of: nsbox.pid))
            let command = try #require(firstChild(of: initPID))
            #expect(test_share_memory(nsbox.pid, initPID) == 1, "\(prefix)")
            // The method tells memories apart: the command has executed into its own.
            #expect(test_share_memory(nsbox.pid, command) == 0, "\(prefix)")
        }
    }

    @Test func aLibraryCallersInitIsACopyAndTheCallerStaysDumpable() throws {
        var sandbox = Sandbox(create: [.user, .pid])
        sandbox.userMapping = .root
        let process = try sandbox.spawn(SandboxCommand("sleep", ["60"]))
        defer {
            try? process.signal(SIGKILL)
            _ = try? process.wait()
        }
        #expect(test_share_memory(getpid(), process.pid.rawValue) == 0)
        #expect(test_dumpable() == 1)
    }

    /// The escape attempt: the command, root in its user namespace with every capability
    /// there, reads the maps and opens the memory of pid 1 (the init, on nsbox's memory). Both
    /// are refused: the memory is non-dumpable and belongs to the caller's user namespace. The
    /// control reads the maps of a process of its own in the sandbox.
    @Test func theCommandCannotReadTheInitsMemoryAsRootAnd65534() throws {
        let script = """
            sleep 30 & cat /proc/$!/maps > /dev/null && echo control-readable
            cat /proc/1/maps > /dev/null 2>&1 && echo init-maps-readable
            (exec 3< /proc/1/mem) 2> /dev/null && echo init-memory-opened
            kill $!
            """
        for prefix in [[], asUnprivileged] {
            let result = try runCommand(prefix + [NSBox.path, "run", "-r", "-m", "-p", "--mount-proc", "--", "sh", "-c", script])
            #expect(result.status == 0 && result.stdout == "control-readable\n", "\(prefix): \(result.stdout) \(result.stderr)")
        }
    }
}

import Glibc
import SystemPackage
import LinuxNamespaces
import Testing

/// `Signal`: signals by name and number, sent to a sandbox, and named in errors.
@Suite struct SignalTests {
    @Test func namesParseAsKillTakesThem() {
        #expect(Signal(name: "TERM") == .terminate && Signal(name: "sigterm") == .terminate && Signal(name: "15") == .terminate)
        #expect(Signal(name: "USR1") == .user1 && Signal(name: "SIGKILL") == .kill)
        #expect(Signal(name: "0") == nil && Signal(name: "65") == nil && Signal(name: "NOPE") == nil)
        #expect(Signal.hangup.description == "SIGHUP" && Signal(rawValue: 40).description == "signal 40")
    }

    @Test func aSignalEndsTheSandboxAndOneAfterTheWaitIsANamedStep() throws {
        var sandbox = Sandbox(create: [.user, .pid])
        sandbox.userMapping = .root
        sandbox.parentDeathSignal = .kill
        let process = try sandbox.spawn(SandboxCommand("/bin/sleep", ["60"]))
        try process.signal(.terminate)
        #expect(try process.wait() == .signaled(.terminate))
        #expect {
            try process.signal(.kill)
        } throws: { error in
            guard let error = error as? SandboxError, case .signal(let signal) = error.step else { return false }
            return signal == .kill && error.errno == .noSuchProcess && error.description.hasPrefix("wait: pidfd_send_signal(9): ESRCH")
        }
    }
}

/// `SandboxCommand.pass(_:as:)` with swift-system's `FileDescriptor`.
@Suite struct FileDescriptorPassingTests {
    @Test func aPipePassedAsFd3IsWhatTheCommandWritesTo() throws {
        let (read, write) = try FileDescriptor.pipe()
        defer { try? read.close() }
        var command = SandboxCommand("/bin/sh", ["-c", "echo through-3 >&3"])
        command.pass(write, as: FileDescriptor(rawValue: 3))
        let process = try Sandbox(create: [.user]).spawn(command)
        try write.close()
        #expect(try process.wait() == .exited(0))
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = try buffer.withUnsafeMutableBytes { try read.read(into: $0) }
        #expect(String(decoding: buffer[..<count], as: UTF8.self) == "through-3\n")
        // The same number: the fd table maps it to itself.
        command.pass(FileDescriptor(rawValue: 1))
        #expect(command.fileDescriptors[.standardOutput] == .standardOutput && command.fileDescriptors[FileDescriptor(rawValue: 3)] == write)
    }
}

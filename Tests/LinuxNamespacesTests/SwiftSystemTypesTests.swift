import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// The public types that took swift-system's vocabulary (issue 17): `Signal` in `Termination`,
/// `FileDescriptor` in `SandboxCommand.fileDescriptors`, `FilePath` in `NamespaceInfo`.
@Suite struct SwiftSystemTypesTests {
    @Test func aSignalDeathCarriesASignal() throws {
        let process = try Sandbox().spawn(SandboxCommand("sh", ["-c", "kill -USR1 $$"]))
        let termination = try process.wait()
        #expect(termination == .signaled(.user1))
        guard case .signaled(let signal) = termination else { Issue.record("\(termination)"); return }
        #expect(signal.description == "SIGUSR1" && termination.shellStatus == 128 + SIGUSR1)
    }

    @Test func fileDescriptorsAreKeyedAndValuedByFileDescriptor() throws {
        let pipe = try FileDescriptor.pipe()
        defer { try? pipe.readEnd.close() }
        var command = SandboxCommand("sh", ["-c", "echo to-five >&5"])
        command.fileDescriptors[FileDescriptor(rawValue: 5)] = pipe.writeEnd
        #expect(command.fileDescriptors[.standardOutput] == .standardOutput)
        let process = try Sandbox().spawn(command)
        try pipe.writeEnd.close()
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = try buffer.withUnsafeMutableBytes { try pipe.readEnd.read(into: $0) }
        #expect(String(decoding: buffer[..<count], as: UTF8.self) == "to-five\n")
        #expect(try process.wait() == .exited(0))
    }

    @Test func namespaceInfoPathsAreFilePathsAndEncodeAsText() throws {
        let info = NamespaceInfo(kind: .network, id: NamespaceID(device: 4, inode: 4026531840),
                                 path: "/proc/1/ns/net", mountPoints: ["/run/netns/a"])
        #expect(info.path == FilePath("/proc/1/ns/net") && info.mountPoints == [FilePath("/run/netns/a")])
        let json = String(decoding: try JSONEncoder().encode(info), as: UTF8.self)
        #expect(json.contains(#""path":"\/proc\/1\/ns\/net""#) && json.contains(#""mountPoints":["\/run\/netns\/a"]"#), "\(json)")
        #expect(try JSONDecoder().decode(NamespaceInfo.self, from: Data(json.utf8)) == info)
    }
}

import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// Per-thread namespace work from this multithreaded test process.
@Suite struct NamespaceThreadTests {
    @Test func aSocketOpenedOnAJoinedThreadListensOnlyInThatNetworkNamespace() throws {
        let target = try TargetProcess(["unshare", "--net", "sleep", "60"], differingIn: ["net"])
        let before = try NamespaceID(.network)
        let (fd, port, threadNet) = try withNamespaces([NamespaceJoin(.network, .process(ProcessID(rawValue: target.pid)))]) {
            () throws -> (Int32, UInt16, UInt64) in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            guard bound == 0, listen(fd, 1) == 0 else { throw TestFailure("bind/listen: \(errno)") }
            withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
            }
            return (fd, UInt16(bigEndian: address.sin_port), inode("/proc/thread-self/ns/net")!)
        }
        defer { close(fd) }
        #expect(threadNet == target.namespace("net"))
        #expect(try NamespaceID(.network) == before)
        let hex = ":" + String(format: "%04X", port)
        let inside = try String(contentsOfFile: "/proc/\(target.pid)/net/tcp", encoding: .utf8)
        let outside = try String(contentsOfFile: "/proc/self/net/tcp", encoding: .utf8)
        #expect(inside.contains(hex + " 00000000:0000 0A"), "listening inside")
        #expect(!outside.contains(hex + " 00000000:0000 0A"), "not listening outside")
    }

    @Test func utsAndMountNamespacesOfATargetAsync() async throws {
        let scratch = ScratchDirectory()
        let target = try TargetProcess(
            ["unshare", "--uts", "--mount", "sh", "-c", "hostname thread-test; mount -t tmpfs tmpfs \(scratch.path); touch \(scratch.path)/inside; exec sleep 60"],
            differingIn: ["uts", "mnt"])
        let pid = ProcessID(rawValue: target.pid)
        let directory = scratch.path
        let (name, files) = try await withNamespaces([NamespaceJoin(.uts, .process(pid)), NamespaceJoin(.mount, .process(pid))]) {
            var buffer = [CChar](repeating: 0, count: 256)
            gethostname(&buffer, buffer.count)
            return (String(cString: buffer), (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        }
        #expect(name == "thread-test")
        #expect(files == ["inside"])
        #expect((try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) == [])
    }

    @Test func userPidAndTimeAreRefusedWithAReason() {
        for kind in [NamespaceKind.user, .pid, .time] {
            #expect {
                try withNamespaces([NamespaceJoin(kind, .process(.current))]) { 0 }
            } throws: { error in
                let text = "\(error)"
                return text.contains(kind == .user ? "a single thread cannot enter a user namespace" : "only affects children")
                    && text.contains("Sandbox")
            }
        }
    }

    @Test func aWrongKindPathFailsBeforeAnyThreadStarts() {
        #expect {
            try withNamespaces([NamespaceJoin(.network, .path("/proc/self/ns/uts"))]) { 0 }
        } throws: { "\($0)".contains("not a net namespace") }
    }
}

import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// The plainer kinds, checked by what they hide, and subordinate id ranges through newuidmap.
@Suite struct SandboxKindsTests {
    @Test func aNewIPCNamespaceHidesTheHostsSemaphores() throws {
        let made = try runCommand(["ipcmk", "-S", "1"])
        #expect(made.status == 0, "\(made.stderr)")
        let id = try #require(made.stdout.split(separator: ":").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        defer { _ = try? runCommand(["ipcrm", "-s", id]) }
        let script = "ipcs -s | grep -cw '\(id)' || true"
        let (inside, _) = try runCapturing(Sandbox(create: [.ipc]), "sh", ["-c", script])
        let (shared, _) = try runCapturing(Sandbox(), "sh", ["-c", script])
        #expect(inside == "0\n")
        #expect(shared == "1\n")  // negative control: without the namespace it is visible
    }

    @Test func aNewCgroupNamespaceIsRootedAtTheCurrentCgroup() throws {
        let host = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        let (inside, _) = try runCapturing(Sandbox(create: [.user, .cgroup]), "cat", ["/proc/self/cgroup"])
        // Every hierarchy (v2, and v1 where mounted) is seen from its root: "N:controllers:/".
        let paths = inside.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 2).last.map(String.init) }
        #expect(!paths.isEmpty && paths.allSatisfy { $0 == "/" }, "\(inside)")
        let (outside, _) = try runCapturing(Sandbox(), "cat", ["/proc/self/cgroup"])
        #expect(outside == host, "the caller's view: \(host)")
        // Meaningful only where the caller is not at the root of some hierarchy already.
        if host.split(separator: "\n").contains(where: { !$0.hasSuffix(":/") }) {
            #expect(inside != outside)
        }
    }

    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func subordinateRangesAreMappedWithNewuidmapForAnOrdinaryUser() throws {
        let host = try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)
        let spawn = asUnprivileged + [Probe.path, "spawn", "--create", "user", "--map", "auto", "--"]
        let result = try runWithSubordinateIDs(
            subuid: "nobody:300000:65536\n", subgid: "nobody:400000:65536\n",
            spawn + ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map"])
        let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines == ["0 300000 65536", "0 400000 65536", "termination exited 0"], "\(result.stdout) \(result.stderr)")
        // Without an entry: a clear error that says where to add one.
        let missing = try runWithSubordinateIDs(subuid: "root:100000:65536\n", subgid: "nobody:400000:65536\n", spawn + ["true"])
        #expect(missing.stdout.contains("no range for nobody in /etc/subuid"), "\(missing.stdout)")
        #expect(missing.status == 125)
        // The host's file was never touched.
        #expect((try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) == host)
    }
}

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
    }

    @Test func aNewCgroupNamespaceHidesTheCgroupItStartsIn() throws {
        // The caller may sit at the root of the hierarchy already (then "/" inside proves
        // nothing): a shell moves itself into a child cgroup of the cgroup2 root of its own, then
        // becomes nsbox. Root only: making a cgroup needs it.
        let mountinfo = hostMountinfo().split(separator: "\n").map { $0.split(separator: " ") }
        let root = try #require(mountinfo.first { $0.count > 8 && $0[$0.count - 3] == "cgroup2" }.map { String($0[4]) }, "no cgroup2 mount")
        let name = TestRun.name("nsbox-test")
        let cgroup = root + "/" + name
        try #require(mkdir(cgroup, 0o755) == 0, "mkdir \(cgroup): errno \(errno)")
        defer { rmdir(cgroup) }
        let show = "grep '^0::' /proc/self/cgroup"
        func fromTheChildCgroup(_ options: [String]) throws -> String {
            let script = "echo $$ > \"$1/cgroup.procs\" && \(show) && shift && exec \"$@\""
            let result = try runCommand(["sh", "-c", script, "sh", cgroup, NSBox.path, "run"] + options + ["--", "sh", "-c", show])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout
        }
        #expect(try fromTheChildCgroup(["-r", "-C"]) == "0::/\(name)\n0::/\n")
        // Negative control: without the namespace the command sees where it really is.
        #expect(try fromTheChildCgroup(["-r"]) == "0::/\(name)\n0::/\(name)\n")
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

/// The promise the whole suite stands on: as root, the runner has a mount namespace and a /run
/// of its own, so nothing the tests mount reaches the host.
@Suite struct TestIsolationTests {
    @Test func theRunnerHasAMountNamespaceAndARunOfItsOwnAsRoot() throws {
        try #require(getuid() == 0, "the suite runs as root; as another user nothing is mounted")
        #expect(TestRun.hasPrivateMounts)
        #expect(inode("/proc/self/ns/mnt") != inode("/proc/1/ns/mnt"))
        let run = hostMountinfo().split(separator: "\n").map { $0.split(separator: " ") }.filter { $0.count > 4 && $0[4] == "/run" }
        #expect(run.last.map { $0[$0.count - 3] } == "tmpfs", "\(run)")
        // pid 1's view has no mount of ours.
        let hosts = try String(contentsOfFile: "/proc/1/mountinfo", encoding: .utf8)
        #expect(!hosts.contains(TestRun.directory))
    }
}

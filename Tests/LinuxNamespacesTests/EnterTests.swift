import LinuxNamespaces
import SystemPackage
import Testing

/// setns(2) by pid, by path and by fd, against targets started with util-linux unshare(1).
@Suite struct EnterTests {
    @Test func enteringByPidJoinsTheTargetsNamespaces() throws {
        let target = try TargetProcess(
            ["unshare", "--net", "--uts", "--ipc", "sleep", "60"], differingIn: ["net", "uts", "ipc"])
        let result = try Probe.run("enter-pid", "\(target.pid)", "net,uts,ipc")
        #expect(result.status == 0, "\(result.stdout)")
        let ids = result.fields
        #expect(ids["entered"] == "uts,ipc,net")
        for kind in ["net", "uts", "ipc"] {
            #expect(ids[kind] == target.namespace(kind).map(String.init), "\(kind)")
        }
        #expect(ids["mnt"] == String(ourNamespace("mnt")))
    }

    @Test func enteringAllSkipsNamespacesAlreadyShared() throws {
        let target = try TargetProcess(["unshare", "--uts", "sleep", "60"], differingIn: ["uts"])
        let result = try Probe.run("enter-pid", "\(target.pid)", "all")
        #expect(result.status == 0, "\(result.stdout)")
        // Our own user namespace is not re-entered (the kernel would refuse with EINVAL).
        #expect(result.fields["entered"] == "uts")
        #expect(result.fields["uts"] == target.namespace("uts").map(String.init))
    }

    @Test(arguments: ["net", "uts", "ipc", "cgroup", "mnt"])
    func enteringByPathJoinsThatNamespace(kind: String) throws {
        let flag = ["net": "--net", "uts": "--uts", "ipc": "--ipc", "cgroup": "--cgroup", "mnt": "--mount"][kind]!
        let target = try TargetProcess(["unshare", flag, "sleep", "60"], differingIn: [kind])
        let result = try Probe.run("enter-path", "/proc/\(target.pid)/ns/\(kind)", kind)
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.fields[kind] == target.namespace(kind).map(String.init))
    }

    @Test func unprivilegedUserJoinsItsOwnRootlessNamespaces() throws {
        let target = try TargetProcess(
            asUnprivileged + ["unshare", "--user", "--map-root-user", "--net", "sleep", "60"],
            differingIn: ["user", "net"])
        let result = try Probe.runUnprivileged("enter-pid", "\(target.pid)", "user,net")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.fields["user"] == target.namespace("user").map(String.init))
        #expect(result.fields["net"] == target.namespace("net").map(String.init))
    }

    @Test func unprivilegedUserCannotEnterRootsNamespace() throws {
        let target = try TargetProcess(["unshare", "--net", "sleep", "60"], differingIn: ["net"])
        let result = try Probe.runUnprivileged("enter-path", "/proc/\(target.pid)/ns/net", "net")
        #expect(result.status == 1)
        #expect(result.stdout.contains("EACCES") || result.stdout.contains("EPERM"), "\(result.stdout)")
        #expect(result.stdout.contains("ptrace access"), "\(result.stdout)")
    }

    @Test func aNamespaceFileOfAnotherKindIsRefusedBeforeSetns() throws {
        let uts = try NamespaceHandle.open(path: "/proc/self/ns/uts")
        defer { try? uts.close() }
        #expect(uts.kind == .uts)
        let before = try NamespaceID(.network)
        #expect {
            try setNamespace(uts.fileDescriptor, kind: .network)
        } throws: { error in
            "\(error)".contains("this is a uts namespace, not a net namespace")
        }
        #expect(try NamespaceID(.network) == before)
        #expect {
            try NamespaceHandle.open(path: "/proc/self/ns/ipc", expecting: .mount)
        } throws: { error in
            "\(error)".contains("not a mnt namespace")
        }
    }

    @Test func aFileThatIsNotANamespaceIsRefused() {
        #expect {
            try enterNamespace(path: "/etc/hostname", kind: .uts)
        } throws: { error in
            "\(error)".contains("not a namespace file")
        }
        #expect {
            try enterNamespace(path: "/nonexistent/ns", kind: .uts)
        } throws: { error in
            (error as? NamespaceError)?.errno == .noSuchFileOrDirectory
        }
    }

    @Test func theProbeRefusesAWrongKindPath() throws {
        let result = try Probe.run("enter-path", "/proc/self/ns/uts", "net")
        #expect(result.status == 1)
        #expect(result.stdout.contains("not a net namespace"))
    }
}

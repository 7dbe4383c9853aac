import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// What namespaces a spawned command ends up in.
@Suite struct SandboxNamespaceTests {
    @Test(arguments: [NamespaceKind.cgroup, .ipc, .mount, .network, .pid, .time, .user, .uts])
    func eachCreatedKindIsNewAndTheOthersAreInherited(kind: NamespaceKind) throws {
        let (output, termination) = try runCapturing(Sandbox(create: NamespaceSet(kind)), "sh", ["-c", printNamespaces])
        #expect(termination == .exited(0))
        let ids = namespaceLines(output)
        #expect(ids.count == 8, "\(output)")
        for other in NamespaceKind.allCases {
            let ours = ourNamespace(other.procName)
            if other == kind {
                #expect(ids[other.procName] != ours, "\(other) should be new")
            } else {
                #expect(ids[other.procName] == ours, "\(other) should be inherited")
            }
        }
    }

    @Test func allKindsAtOnceAreNewAndTheHandleReportsThem() throws {
        var sandbox = Sandbox(create: .all)
        sandbox.userMapping = .root
        let fds = makePipe()
        var command = SandboxCommand("sh", ["-c", printNamespaces + "; read line; exit 0"])
        command.fileDescriptors[.standardInput] = FileDescriptor(rawValue: fds[0])
        let process = try sandbox.spawn(command)
        close(fds[0])
        for kind in NamespaceKind.allCases {
            let id = process.namespaces[kind]
            #expect(id != nil && id?.inode != ourNamespace(kind.procName), "\(kind)")
            #expect(id?.inode == inode(process.namespacePath(kind)))
        }
        close(fds[1])
        #expect(try process.wait() == .exited(0))
    }

    @Test func nothingRequestedInheritsEverything() throws {
        let (output, _) = try runCapturing(Sandbox(), "sh", ["-c", printNamespaces])
        for (kind, id) in namespaceLines(output) {
            #expect(id == ourNamespace(kind), "\(kind)")
        }
    }

    @Test func joinedNamespacesAreTheTargets() throws {
        let target = try TargetProcess(
            ["unshare", "--net", "--uts", "--ipc", "--mount", "sleep", "60"], differingIn: ["net", "uts", "ipc", "mnt"])
        var sandbox = Sandbox(create: [.pid])
        for kind in [NamespaceKind.network, .uts, .ipc, .mount] {
            sandbox.join(kind, .process(ProcessID(rawValue: target.pid)))
        }
        let (output, termination) = try runCapturing(sandbox, "sh", ["-c", printNamespaces])
        #expect(termination == .exited(0))
        let ids = namespaceLines(output)
        for kind in ["net", "uts", "ipc", "mnt"] {
            #expect(ids[kind] == target.namespace(kind), "\(kind)")
        }
        #expect(ids["pid"] != ourNamespace("pid"))
    }

    @Test func joinByPathAndCreateAUserNamespaceAfterIt() throws {
        let target = try TargetProcess(["unshare", "--net", "sleep", "60"], differingIn: ["net"])
        var sandbox = Sandbox(create: [.user, .uts])
        sandbox.userMapping = .root
        sandbox.join(.network, .path(FilePath("/proc/\(target.pid)/ns/net")))
        let (output, termination) = try runCapturing(sandbox, "sh", ["-c", printNamespaces + "; id -u"])
        #expect(termination == .exited(0))
        let ids = namespaceLines(output)
        #expect(ids["net"] == target.namespace("net"))
        #expect(ids["user"] != ourNamespace("user"))
        #expect(ids["uts"] != ourNamespace("uts"))
        #expect(output.hasSuffix("0\n"))
    }

    @Test func joiningAPidNamespaceRunsTheCommandInIt() throws {
        let target = try TargetProcess(["unshare", "--pid", "--fork", "--kill-child", "sleep", "60"], differingIn: []) {
            inode("/proc/\($0)/ns/pid_for_children").map { $0 != ourNamespace("pid") } ?? false
        }
        var sandbox = Sandbox()
        sandbox.join(.pid, .path(FilePath("/proc/\(target.pid)/ns/pid_for_children")))
        let (output, termination) = try runCapturing(sandbox, "sh", ["-c", printNamespaces])
        #expect(termination == .exited(0))
        #expect(namespaceLines(output)["pid"] == inode("/proc/\(target.pid)/ns/pid_for_children"))
    }

    @Test func unprivilegedUserGetsRootOrItselfInside() throws {
        let root = try Probe.runUnprivileged("spawn", "--create", "user,pid,net,mnt,uts,ipc", "--map", "root", "--", "id", "-u")
        #expect(root.stdout == "0\ntermination exited 0\n", "\(root.stdout)")
        let current = try Probe.runUnprivileged("spawn", "--create", "user", "--map", "current", "--", "id", "-u")
        #expect(current.stdout == "65534\ntermination exited 0\n", "\(current.stdout)")
    }

    @Test func unprivilegedJoinOfItsRootlessNamespacesBecomesRootThere() throws {
        let target = try TargetProcess(
            asUnprivileged + ["unshare", "--user", "--map-root-user", "--net", "sleep", "60"], differingIn: ["user", "net"])
        let result = try Probe.runUnprivileged(
            "spawn", "--join", "user=\(target.pid)", "--join", "net=\(target.pid)", "--", "sh", "-c",
            "id -u; stat -L -c %i /proc/self/ns/net")
        #expect(result.stdout == "0\n\(target.namespace("net")!)\ntermination exited 0\n", "\(result.stdout)")
    }
}

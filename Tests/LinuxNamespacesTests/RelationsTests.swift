import LinuxNamespaces
import Testing

/// NS_GET_USERNS, NS_GET_PARENT, NS_GET_OWNER_UID and ids compared with /proc inode numbers.
@Suite struct RelationsTests {
    @Test func idsAreTheInodesOfProcNsFiles() throws {
        for kind in NamespaceKind.allCases {
            #expect(try NamespaceID(kind).inode == ourNamespace(kind.procName))
        }
        let handle = try NamespaceHandle.open(.network, of: .current)
        defer { try? handle.close() }
        #expect(try handle.id() == NamespaceID(.network))
    }

    @Test func aNewUserNamespacesParentIsOursAndItOwnsItsNetworkNamespace() throws {
        let target = try TargetProcess(
            asUnprivileged + ["unshare", "--user", "--net", "sleep", "60"], differingIn: ["user", "net"])
        let user = try NamespaceHandle.open(.user, of: ProcessID(rawValue: target.pid))
        defer { try? user.close() }
        #expect(try user.id().inode == target.namespace("user"))
        let parent = try user.parent()
        defer { try? parent.close() }
        #expect(parent.kind == .user)
        #expect(try parent.id() == NamespaceID(.user))
        #expect(try user.ownerUID() == unprivilegedUID)

        let net = try NamespaceHandle.open(.network, of: ProcessID(rawValue: target.pid))
        defer { try? net.close() }
        let owner = try net.owner()
        defer { try? owner.close() }
        #expect(try owner.id() == user.id())
    }

    @Test func aNewPidNamespacesParentIsOurs() throws {
        // pid_for_children names a namespace only once its first process exists: hence --fork.
        let target = try TargetProcess(["unshare", "--pid", "--fork", "--kill-child", "sleep", "60"], differingIn: []) {
            inode("/proc/\($0)/ns/pid_for_children").map { $0 != ourNamespace("pid") } ?? false
        }
        let pids = try NamespaceHandle.open(path: .init("/proc/\(target.pid)/ns/pid_for_children"))
        defer { try? pids.close() }
        #expect(pids.kind == .pid)
        #expect(try pids.id() != NamespaceID(.pid))
        let parent = try pids.parent()
        defer { try? parent.close() }
        #expect(try parent.id() == NamespaceID(.pid))
    }

    @Test func kindsWithoutParentsAndTheTopAreExplained() throws {
        let uts = try NamespaceHandle.open(.uts, of: .current)
        defer { try? uts.close() }
        #expect { try uts.parent() } throws: { "\($0)".contains("only pid and user namespaces have a parent") }
        #expect { try uts.ownerUID() } throws: { "\($0)".contains("only a user namespace has an owner uid") }
        let user = try NamespaceHandle.open(.user, of: .current)
        defer { try? user.close() }
        #expect { try user.parent() } throws: { "\($0)".contains("outside this process's user namespace") }
    }
}

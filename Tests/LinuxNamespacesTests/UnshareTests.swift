import LinuxNamespaces
import Testing

/// unshare(2) through the library, run in the single-threaded nsprobe helper.
@Suite struct UnshareTests {
    @Test(arguments: ["cgroup", "ipc", "mnt", "net", "uts", "user"])
    func unsharingAKindGivesANewIDAndKeepsTheOthers(kind: String) throws {
        let result = try Probe.run("unshare", kind)
        #expect(result.status == 0, "\(result.stdout)")
        let ids = result.fields
        for other in allKindNames {
            let ours = ourNamespace(other)
            if other == kind {
                #expect(ids[other] != String(ours), "\(kind) should be new")
            } else {
                #expect(ids[other] == String(ours), "\(other) should be inherited")
            }
        }
    }

    @Test(arguments: ["pid", "time"])
    func unsharingPidOrTimeAffectsChildrenOnly(kind: String) throws {
        let ids = try Probe.run("unshare", kind).fields
        #expect(ids[kind] == String(ourNamespace(kind)))
        #expect(ids["\(kind)_for_children"] != nil)
        #expect(ids["\(kind)_for_children"] != String(ourNamespace(kind)))
    }

    @Test func unprivilegedUserCreatesEveryKindWithAUserNamespace() throws {
        let result = try Probe.runUnprivileged("unshare", "user,cgroup,ipc,mnt,net,uts,pid,time")
        #expect(result.status == 0, "\(result.stdout)")
        let ids = result.fields
        #expect(ids["uid"] == "65534")
        for kind in ["user", "cgroup", "ipc", "mnt", "net", "uts"] {
            #expect(ids[kind] != nil && ids[kind] != String(ourNamespace(kind)), "\(kind)")
        }
        #expect(ids["pid_for_children"] != String(ourNamespace("pid")))
        #expect(ids["time_for_children"] != String(ourNamespace("time")))
    }

    @Test func unprivilegedNetworkWithoutUserNamespaceIsExplained() throws {
        let result = try Probe.runUnprivileged("unshare", "net")
        #expect(result.status == 1)
        #expect(result.stdout.contains("unshare(net): EPERM"))
        #expect(result.stdout.contains("create a user namespace in the same step"))
    }

    @Test func multithreadedUserNamespaceCreationIsExplainedInProcess() {
        // The test runner has many threads: the kernel would answer a bare EINVAL.
        #expect(currentThreadCount() > 1)
        #expect {
            try unshare(.user)
        } throws: { error in
            let error = error as! NamespaceError
            return error.operation == .unshare && error.errno == .invalidArgument
                && error.detail.contains("threads") && error.hint?.contains("Sandbox") == true
        }
    }

    @Test func multithreadedHelperGetsTheSameExplanation() throws {
        let result = try Probe.run("threads", "3", "unshare", "user")
        #expect(result.fields["threads"] == "4")
        #expect(result.stdout.contains("this process has 4 threads"))
        #expect(result.status == 1)
    }
}

import LinuxNamespaces
import Testing

/// Swift closures in new namespaces: re-executed entry points, and the direct fork form.
@Suite struct EntryPointTests {
    @Test func aClosureRoundTripsFromAMultithreadedProcessInUserPidAndNetNamespaces() throws {
        for run in [Probe.run, Probe.runUnprivileged] {
            let result = try run(["threads", "8", "closure", "describe", "hello", "user,pid,net,uts"])
            #expect(result.fields["threads"] == "9")
            let reply = try #require(result.fields["reply"], "\(result.stdout)")
            // uid 0 inside, pid 2 under the init, the hostname set, a network namespace not ours.
            #expect(reply.hasPrefix("input=hello uid=0 pid=2 host=closure-box net="), "\(reply)")
            #expect(!reply.hasSuffix("net=\(ourNamespace("net"))"))
            #expect(result.fields["termination"] == "exited 0")
        }
    }

    @Test func aThrownErrorComesBackAsItsText() throws {
        let result = try Probe.run("closure", "fail", "x", "user")
        #expect(result.stdout == "error: entry point fail: validate: the closure failed on purpose\n")
        #expect(result.status == 125)
        let unknown = try Probe.run("closure", "nosuch", "x", "user")
        #expect(unknown.stdout.contains("no entry point named 'nosuch' is registered"))
    }

    @Test func theDirectFormRunsInTheNamespacesAndRefusesThreads() throws {
        let direct = try Probe.runUnprivileged("direct", "user,pid,net")
        #expect(direct.stdout == "uid 0\npid 1\ntermination exited 7\n", "\(direct.stdout)")
        let threaded = try Probe.run("threads", "2", "direct", "user")
        #expect(threaded.stdout.contains("this process has 3 threads"))
        #expect(threaded.status == 125)
    }
}

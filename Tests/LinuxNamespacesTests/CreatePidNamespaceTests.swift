import Glibc
import Testing

/// chromite's `create_pidns` through `Sandbox.apply()`: the caller goes on as pid 2, the child
/// of an init (pid 1) that reaps orphans and passes signals on; the process left outside
/// passes signals to the init and exits with its status. As root and as uid 65534.
@Suite struct CreatePidNamespaceTests {
    func probe(_ unprivileged: Bool, _ arguments: [String]) throws -> CommandResult {
        unprivileged ? try Probe.runUnprivileged(arguments) : try Probe.run(arguments)
    }

    @Test func theCallerGoesOnAsPid2OfAReapingInitAsRootAnd65534() throws {
        for unprivileged in [false, true] {
            let result = try probe(unprivileged, ["apply", "--create", "user,mount,pid", "--map", "root", "--orphan", "--exit", "7"])
            let f = result.fields
            // The caller's status, through the init and the process outside.
            #expect(result.status == 7, "\(unprivileged): \(result.stdout) \(result.stderr)")
            #expect(f["process_pid"] == "2" && f["process_ppid"] == "1" && f["proc_self"] == "2", "\(unprivileged): \(result.stdout)")
            #expect(f["pid"] != nil && f["pid"] != String(ourNamespace("pid")), "\(result.stdout)")
            #expect(f["zombies"] == "0", "\(unprivileged): \(result.stdout)")
        }
    }

    @Test func asPid1TheCallerMustReapItselfAsRootAnd65534() throws {
        // The negative control of the zombie count: without the init, the orphan stays a
        // zombie of the caller, now pid 1.
        for unprivileged in [false, true] {
            let result = try probe(unprivileged, ["apply", "--create", "user,mount,pid", "--map", "root", "--as-pid-1", "--orphan"])
            let f = result.fields
            #expect(result.status == 0 && f["process_pid"] == "1" && f["zombies"] == "1", "\(unprivileged): \(result.stdout) \(result.stderr)")
        }
    }

    @Test(arguments: ["outside", "init"]) func aSignalReachesTheCallerThroughTheInitAsRootAnd65534(target: String) throws {
        for unprivileged in [false, true] {
            let result = try probe(unprivileged, ["apply", "--create", "user,mount,pid", "--map", "root", "--signal", target])
            let f = result.fields
            // SIGTERM passed on to pid 2, whose death the init and the outside report.
            #expect(result.status == 0 && f["signalled"] == "\(target) true" && f["outside_status"] == "143",
                "\(unprivileged): \(result.stdout) \(result.stderr)")
            #expect(f["process_pid"] == "2" && f["seen_before"] == "1" && f["left"] == "0", "\(unprivileged): \(result.stdout)")
        }
    }
}

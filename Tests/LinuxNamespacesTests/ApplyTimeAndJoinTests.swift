import Foundation
import Glibc
import Testing

/// `Sandbox.apply()` with a new time namespace and clock offsets, and with the joins of
/// `Sandbox.joinAll(of:)`: driven through the single-threaded `nsprobe`, as root and as 65534.
/// A time or pid namespace holds only children, so apply forks and the caller's code goes on
/// in the child; the probe also reads the clocks in a child forked after that.
@Suite struct ApplyTimeAndJoinTests {
    func probe(_ unprivileged: Bool, _ arguments: [String]) throws -> CommandResult {
        unprivileged ? try Probe.runUnprivileged(arguments) : try Probe.run(arguments)
    }

    /// Seconds from the probe's `before_NAME` to its `PREFIXNAME`, whole.
    func advance(_ f: [String: String], _ name: String, _ prefix: String) -> Int64? {
        guard let before = f["before_" + name].flatMap(Double.init), let after = f[prefix + name].flatMap(Double.init) else { return nil }
        return Int64((after - before).rounded(.down))
    }

    @Test func clockOffsetsHoldForTheCallerAndItsChildrenAsRootAnd65534() throws {
        for unprivileged in [false, true] {
            let result = try probe(unprivileged, ["apply", "--create", "user,time", "--map", "root",
                "--offsets", "1000000,2000000", "--clocks"])
            let f = result.fields
            #expect(result.status == 0 && f["continued"] == "1", "\(unprivileged): \(result.stdout) \(result.stderr)")
            #expect(f["time"] != nil && f["time"] != String(ourNamespace("time")) && f["child_time"] == f["time"], "\(result.stdout)")
            for prefix in ["after_", "child_"] {
                let monotonic = advance(f, "monotonic", prefix), boottime = advance(f, "boottime", prefix)
                #expect(monotonic.map { (1_000_000...1_000_005).contains($0) } == true, "\(unprivileged) \(prefix): \(result.stdout)")
                #expect(boottime.map { (2_000_000...2_000_005).contains($0) } == true, "\(unprivileged) \(prefix): \(result.stdout)")
            }
        }
    }

    @Test func aTimeNamespaceWithoutOffsetsKeepsTheClocksAsRootAnd65534() throws {
        // The negative control of the offsets: the same reading sees no advance without them.
        for unprivileged in [false, true] {
            let result = try probe(unprivileged, ["apply", "--create", "user,time", "--map", "root", "--clocks"])
            let f = result.fields
            #expect(result.status == 0 && f["child_time"] == f["time"] && f["time"] != String(ourNamespace("time")), "\(result.stdout) \(result.stderr)")
            for prefix in ["after_", "child_"] {
                for clock in ["monotonic", "boottime"] {
                    #expect(advance(f, clock, prefix).map { (0...5).contains($0) } == true, "\(unprivileged) \(prefix)\(clock): \(result.stdout)")
                }
            }
        }
    }

    @Test func anOffsetThatWouldMakeAClockNegativeIsRefusedNamingTheStepAsRootAnd65534() throws {
        for unprivileged in [false, true] {
            let result = try probe(unprivileged, ["apply", "--create", "user,time", "--map", "root",
                "--offsets", "-4000000000,0", "--clocks"])
            #expect(result.status == 125 && result.stdout.contains("error: timens_offsets: ERANGE") && result.stdout.contains("an offset must keep its clock at 0 s or more")
                && !result.stdout.contains("continued"),
                "\(unprivileged): \(result.stdout) \(result.stderr)")
        }
    }

    @Test func joinAllOfAProcessPutsTheCallerInEachOfItsNamespacesAsRootAnd65534() throws {
        for unprivileged in [false, true] {
            // unshare stays outside its new pid and time namespaces; its child, sleep, is in them and
            // dies with it (--kill-child), so nothing is left behind.
            let unshare = try TargetProcess(
                (unprivileged ? asUnprivileged : []) + ["unshare", "-Urmnui", "--pid", "--time", "--fork", "--kill-child", "sleep", "60"],
                differingIn: ["user", "mnt", "net", "uts", "ipc"], ready: { sleeper(of: $0) != nil })
            defer { unshare.kill() }
            let target = try #require(sleeper(of: unshare.pid))
            let result = try probe(unprivileged, ["apply", "--join-all", String(target), "--clocks"])
            let f = result.fields
            #expect(result.status == 0 && f["continued"] == "1", "\(unprivileged): \(result.stdout) \(result.stderr)")
            for kind in ["user", "mnt", "net", "uts", "ipc", "pid", "time"] {
                let theirs = inode("/proc/\(target)/ns/\(kind)")
                #expect(theirs != nil && theirs != ourNamespace(kind) && f[kind] == theirs.map(String.init), "\(unprivileged) \(kind): \(result.stdout)")
            }
            #expect(f["cgroup"] == String(ourNamespace("cgroup")) && f["uid"] == "0" && f["child_time"] == f["time"], "\(unprivileged): \(result.stdout)")
            // In the target's pid namespace, where sleep is pid 1.
            #expect(f["process_pid"].flatMap { Int32($0) }.map { $0 > 1 && $0 < 100 } == true, "\(result.stdout)")
        }
    }
}

/// The pid of `sleep` when it is the only child of `pid` and has exec'd, else nil.
private func sleeper(of pid: Int32) -> Int32? {
    let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
    guard let child = children.split(separator: " ").first.flatMap({ Int32($0) }),
        comm(child) == "sleep", hasCommandLine(child)
    else { return nil }
    return child
}

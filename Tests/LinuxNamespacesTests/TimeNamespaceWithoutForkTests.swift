import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// A time namespace costs no process (issue 18): since Linux 6.2 execve moves a process into its
/// `time_for_children` namespace, so nsbox unshares it, writes the clock offsets and executes,
/// as `unshare -T` does; and `enter -T` executes where it is, as nsenter does (setns moves the
/// caller). Checked on pids and parents, with the offsets read inside, as root and as 65534.
@Suite struct TimeNamespaceWithoutForkTests {
    /// What the command prints: its pid, its parent's pid and name, its time namespace, the
    /// offsets (spaces squeezed) and the boot-time clock in /proc/uptime. (/proc/self: in a new
    /// pid namespace without a mount namespace, /proc/$$ would be another process.)
    static let report = "echo $$; echo $PPID; cat /proc/$PPID/comm 2>/dev/null || echo -; readlink /proc/self/ns/time; "
        + "tr -s ' ' < /proc/self/timens_offsets; cut -d' ' -f1 /proc/uptime"

    /// The boot-time clock here, in seconds.
    func uptime() -> Double {
        let text = (try? String(contentsOfFile: "/proc/uptime", encoding: .utf8)) ?? ""
        return Double(text.split(separator: " ").first ?? "") ?? 0
    }

    /// Runs `[prefix] sh -c 'echo $$; exec TOOL'` and returns that pid and the seven lines of
    /// `report` (after the lines that `skip` matches), checking the time namespace is new with
    /// `monotonic` and `boottime` as its offsets, and /proc/uptime inside shifted by `boottime`.
    func run(_ prefix: [String], _ tool: [String], monotonic: Int = 100, boottime: Int = 200, skip: (Substring) -> Bool = { _ in false },
        _ label: String) throws -> (outer: Substring, inner: [Substring])
    {
        let before = uptime()
        let (outer, lines, result) = try ExecuteInPlaceTests().outerAndInner(prefix, tool + ["--", "sh", "-c", Self.report])
        let after = uptime()
        let inner = Array(lines.drop(while: skip).prefix(7))
        #expect(result.status == 0 && inner.count == 7, "\(label): \(result.stdout) \(result.stderr)")
        guard inner.count == 7 else { return (outer, inner) }
        #expect(inner[3].hasPrefix("time:[") && inner[3] != "time:[\(ourNamespace("time"))]", "\(label): \(inner)")
        #expect(inner[4...5] == ["monotonic \(monotonic) 0", "boottime \(boottime) 0"], "\(label): \(inner)")
        let shifted = (Double(inner[6]) ?? 0) - Double(boottime)
        #expect(shifted >= before - 0.01 && shifted <= after + 0.01, "\(label): uptime \(inner[6]) vs \(before)...\(after) + \(boottime)")
        return (outer, inner)
    }

    @Test(.requiresTool("strace", package: "strace")) func runTimeNamespaceBecomesTheCommandAsRootAnd65534() throws {
        for (user, prefix) in bothUsers {
            let offsets = ["--monotonic", "100", "--boottime", "200"]
            let (outer, inner) = try run(prefix, [NSBox.path, "run", "-r", "-T"] + offsets, "\(user) in place")
            #expect(inner.first == outer, "\(user): nsbox did not become the command: \(outer) \(inner)")
            let (clones, _, traced) = try SharedMemorySpawnTests().cloneCalls(prefix, ["-r", "-T"] + offsets)
            #expect(traced.status == 0 && clones.isEmpty, "\(user): \(clones) \(traced.stderr)")
            // Negative control: with -f nsbox stays, the command's parent, and nothing else between.
            let (forkOuter, forked) = try run(prefix, [NSBox.path, "run", "-r", "-T", "-f"] + offsets, "\(user) -f")
            #expect(forked.first != forkOuter && forked.dropFirst().first == forkOuter && forked.dropFirst(2).first == "nsbox",
                "\(user) -f: \(forkOuter) \(forked)")
            // With a pid namespace: the command as pid 1, or under the init (pid 2, parent 1).
            let (_, asPID1) = try run(prefix, [NSBox.path, "run", "-r", "-p", "--as-pid-1", "-T"] + offsets, "\(user) --as-pid-1")
            #expect(asPID1.prefix(2) == ["1", "0"], "\(user) --as-pid-1: \(asPID1)")
            let (_, underInit) = try run(prefix, [NSBox.path, "run", "-r", "-p", "-T"] + offsets, "\(user) -p")
            #expect(underInit.prefix(2) == ["2", "1"], "\(user) -p: \(underInit)")
        }
    }

    @Test func librarySpawnHoldsTheCommandAndExecuteBecomesItAsRootAnd65534() throws {
        let spawn = [Probe.path, "spawn", "--map", "root", "--time-offsets", "100,200"]
        for (user, prefix) in bothUsers {
            let (outer, spawned) = try run(prefix, spawn + ["--create", "user,time"], "\(user) spawn")
            #expect(spawned.first != outer && spawned.dropFirst().first == outer, "\(user) spawn: not the caller's child: \(outer) \(spawned)")
            let (executeOuter, executed) = try run(prefix, spawn + ["--create", "user,time", "--execute"], skip: { $0 == "executing" }, "\(user) execute")
            #expect(executed.first == executeOuter, "\(user) execute: \(executeOuter) \(executed)")
            // Negative control: an init between the caller and the command (pid 2, parent 1).
            let (_, underInit) = try run(prefix, spawn + ["--create", "user,pid,time"], "\(user) init")
            #expect(underInit.prefix(2) == ["2", "1"], "\(user) init: \(underInit)")
        }
    }

    @Test func theSpawnedProcessIsTheCommandInTheNewTimeNamespace() throws {
        var sandbox = Sandbox(create: [.user, .time])
        sandbox.userMapping = .root
        sandbox.timeOffsets = TimeOffsets(monotonic: 100, boottime: 200)
        let fds = makePipe()
        var command = SandboxCommand("sh", ["-c", "read line; exit 0"])
        command.fileDescriptors[.standardInput] = FileDescriptor(rawValue: fds[0])
        let process = try sandbox.spawn(command)
        close(fds[0])
        let pid = process.pid.rawValue
        // The vfork-style clone lets spawn return at exec's new memory, before the kernel renames
        // the process: its comm becomes "sh" a moment later.
        #expect(eventually(within: 5) { comm(pid) == "sh" })
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        #expect(comm(pid) == "sh" && status.contains("\nPPid:\t\(getpid())\n"), "\(status)")
        let time = inode("/proc/\(pid)/ns/time")
        #expect(time != nil && time != ourNamespace("time") && time == process.namespaces[.time]?.inode)
        let offsets = (try? String(contentsOfFile: "/proc/\(pid)/timens_offsets", encoding: .utf8)) ?? ""
        #expect(offsets.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") } == ["monotonic 100 0", "boottime 200 0"])
        close(fds[1])
        #expect(try process.wait() == .exited(0))
    }

    @Test func enterTimeExecutesWhereItIsAsNsenterAsRootAnd65534() throws {
        for (user, prefix) in bothUsers {
            // The target: nsbox's child, pid 1 of its own pid namespace, in a time namespace.
            let target = try BackgroundCommand(prefix + [NSBox.path, "run", "-r", "-p", "--as-pid-1", "-T", "--monotonic", "1000", "sleep", "60"])
            #expect(eventually(within: 10) { firstChild(of: target.pid).flatMap(comm) == "sleep" }, "\(user): no target")
            let sleeper = String(firstChild(of: target.pid) ?? 0)
            // As 65534 the -r namespace's setgroups is deny: nsenter then needs --preserve-credentials.
            let enter = [NSBox.path, "enter", "-t", sleeper, "-U"] + (prefix.isEmpty ? [] : ["--preserve-credentials"])
            let (outer, inner) = try run(prefix, enter + ["-T"], monotonic: 1000, boottime: 0, "\(user) enter -T")
            #expect(inner.first == outer, "\(user) enter -T forked: \(outer) \(inner)")
            #expect(inner.dropFirst(3).first == "time:[\(inode("/proc/\(sleeper)/ns/time") ?? 0)]", "\(user): \(inner)")
            // Negative control: into the pid namespace too, nsbox forks (pid 2 there, parent outside).
            let (pidOuter, forked) = try run(prefix, enter + ["-T", "-p"], monotonic: 1000, boottime: 0, "\(user) enter -T -p")
            #expect(forked.first != pidOuter && forked.prefix(2) == ["2", "0"], "\(user) enter -T -p: \(pidOuter) \(forked)")
        }
    }
}

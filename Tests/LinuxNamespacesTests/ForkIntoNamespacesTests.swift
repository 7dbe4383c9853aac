import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// A pid or time namespace applies to children only, so the child that joins or creates one
/// forks once more. Into a pid namespace without an init, that fork is the caller's own child
/// (CLONE_PARENT): the handle is the command's process itself, no supervisor stands between,
/// and the child that forked it is gone. Into a time namespace the fork is a copy and the
/// child supervises it.
@Suite struct ForkIntoNamespacesTests {
    /// The fields of /proc/PID/status.
    func status(_ pid: ProcessID) -> [String: String] {
        let text = (try? String(contentsOfFile: "/proc/\(pid.rawValue)/status", encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }

    /// A sandbox to join: `sleep 60` as pid 1 of new user, pid and mount namespaces.
    func pidNamespaceTarget() throws -> SandboxProcess {
        var sandbox = Sandbox(create: [.user, .pid, .mount])
        sandbox.userMapping = .root
        sandbox.pidOne = .command
        return try sandbox.spawn(SandboxCommand("sleep", ["60"]))
    }

    @Test func joiningAPidNamespaceHandsTheCallerTheCommandItself() throws {
        let target = try pidNamespaceTarget()
        defer { try? target.signal(SIGKILL); _ = try? target.wait() }
        var second = Sandbox()
        second.join(.user, .process(target.pid))
        second.join(.pid, .process(target.pid))
        let process = try second.spawn(SandboxCommand("sleep", ["30"]))
        // spawn returns once the exec is past its point of no return (the error pipe closed);
        // the kernel renames the process a moment later.
        #expect(eventually { status(process.pid)["Name"] == "sleep" }, "\(status(process.pid))")
        let info = status(process.pid)
        #expect(info["PPid"] == String(getpid()), "\(info)")
        // Pid 2 inside: the target's own command is pid 1 there.
        #expect(info["NSpid"]?.split(separator: "\t").last == "2", "\(info["NSpid"] ?? "")")
        #expect(process.namespaces[.pid] == target.namespaces[.pid])
        // Signals reach the command directly, and its own status comes back.
        try process.signal(SIGTERM)
        #expect(try process.wait() == .signaled(.terminate))
    }

    @Test func withoutPidfdOpenTheChildStaysAsASupervisor() throws {
        // The caller could not hold the command's process (no pidfd_open: seccomp here, Linux
        // before 5.3 elsewhere), so the child that joined stays and passes its status back.
        let target = try pidNamespaceTarget()
        defer { try? target.signal(SIGKILL); _ = try? target.wait() }
        let enosys = Probe.sharedCopy(of: "enosys")
        let result = try runCommand([enosys, "pidfd_open", "--", NSBox.path, "enter", "-t", String(target.pid.rawValue), "-U", "-p", "--",
            "sh", "-c", "echo $$; exit 4"])
        #expect(result.status == 4 && result.stdout == "2\n", "\(result.stdout) \(result.stderr)")
    }

    @Test func theTimeNamespaceReportedIsTheCommandsAsRootAnd65534() throws {
        // The child reports its time_for_children before it executes (execve takes it inside,
        // Linux 6.2; before, a copy forks into it). What the handle reports is what the
        // command is in, and not ours.
        let ours = try NamespaceID(.time).inode
        for prefix in [[], asUnprivileged] {
            let result = try runCommand(prefix + ["sh", "-c",
                "exec \(NSBox.path) run -r -T --monotonic 1000 --json-status-fd 3 -- readlink /proc/self/ns/time 3>&1"])
            let reported = result.stdout.split(separator: "\n").first { $0.hasPrefix("{\"child-pid\"") }
                .flatMap { $0.split(separator: "\"time-namespace\": ").last?.prefix { $0.isNumber } }
            #expect(result.status == 0 && reported != nil && result.stdout.contains("time:[\(reported ?? "")]")
                && reported != Substring(String(ours)), "\(prefix): \(result.stdout) \(result.stderr)")
        }
    }

    @Test func killingTheSupervisorOfATimeNamespaceTakesTheCommandAlong() throws {
        // Before Linux 6.2 a supervisor stays outside the new pid namespace, so its death alone
        // would not end the namespace: the command's parent-death signal does. Since, the
        // handle is the command itself.
        var sandbox = Sandbox(create: [.user, .pid, .mount, .time])
        sandbox.userMapping = .root
        sandbox.pidOne = .command
        let marker = "\(getpid())7"
        let process = try sandbox.spawn(SandboxCommand("sleep", [marker]))
        #expect(eventually { !processes(matching: "sleep \(marker)").isEmpty })
        try process.signal(SIGKILL)
        #expect(try process.wait() == .signaled(.kill))
        #expect(eventually { processes(matching: "sleep \(marker)").isEmpty }, "the command outlived its supervisor")
    }

    @Test func aFailureAfterTheForkLeavesNoChildAsRootAnd65534() throws {
        // setresuid to an unmapped id fails in the forked process; and a command that exits 3.
        for run in [Probe.run, Probe.runUnprivileged] {
            let result = try run(["churn", "90", "3"])
            let f = result.fields
            #expect(result.stdout.contains("outcome child=18") && result.stdout.contains("outcome exited 3=18"), "\(result.stdout)")
            #expect(f["fds_after"] == f["fds_before"] && f["children_after"] == "0", "\(result.stdout)")
        }
    }
}

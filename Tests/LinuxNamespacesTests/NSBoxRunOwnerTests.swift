import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// `nsbox run --owner UID:GID` (util-linux master's unshare): root creates a user namespace
/// that belongs to UID, who then has every capability in it and may enter it.
@Suite struct NSBoxRunOwnerTests {
    /// The owner uid of `pid`'s user namespace, as NS_GET_OWNER_UID reports it.
    func ownerUID(of pid: Int32) throws -> uid_t {
        try NamespaceHandle.open(.user, of: ProcessID(rawValue: pid)).ownerUID()
    }

    /// 65534 entering the user and mount namespaces of `pid`: the status and what `readlink`
    /// says its user namespace is.
    func enterAsUnprivileged(_ pid: Int32, keepIDs: Bool = true) throws -> CommandResult {
        try runCommand(asUnprivileged + [NSBox.path, "enter", "-t", String(pid), "-U", "-m"]
            + (keepIDs ? ["--preserve-credentials"] : []) + ["--", "sh", "-c", "readlink /proc/self/ns/user; id -u"])
    }

    @Test func theGivenUserOwnsTheNamespaceAndMayEnterIt() throws {
        let target = try TargetProcess([NSBox.path, "run", "--owner", "65534:65534", "-m", "--", "sleep", "60"], differingIn: ["user", "mnt"])
        defer { target.kill() }
        #expect(try ownerUID(of: target.pid) == 65534)
        // The command runs as the owner, unmapped inside (no maps were asked for).
        let status = try String(contentsOfFile: "/proc/\(target.pid)/status", encoding: .utf8)
        #expect(status.contains("Uid:\t65534\t65534\t65534\t65534") && status.contains("Gid:\t65534\t65534\t65534\t65534"), "\(status)")
        let entered = try enterAsUnprivileged(target.pid)
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(target.pid)/ns/user")) ?? "?"
        #expect(entered.status == 0 && entered.stdout == "\(link)\n65534\n", "\(entered.stdout) \(entered.stderr)")

        // Negative control: a namespace root creates for itself is root's; 65534 may not enter it.
        let own = try TargetProcess([NSBox.path, "run", "-U", "-m", "--", "sleep", "60"], differingIn: ["user", "mnt"])
        defer { own.kill() }
        #expect(try ownerUID(of: own.pid) == 0)
        let refused = try enterAsUnprivileged(own.pid)
        #expect(refused.status == 125 && refused.stderr.split(separator: "\n").count == 1, "\(refused.stdout) \(refused.stderr)")
    }

    @Test func mapsAreWrittenByRootForTheOwner() throws {
        // The owner's own uid as root inside: mapped by root, setgroups left alone.
        let result = try NSBox.run("run", "--owner", "65534:65534", "--map-users", "0:65534:1", "--map-groups", "0:65534:1", "--",
            "sh", "-c", "id -u; id -g; cat /proc/self/setgroups")
        #expect(result.status == 0 && result.stdout == "0\n0\nallow\n", "\(result.stdout) \(result.stderr)")
        // -r maps root's own uid (the caller's, as unshare has it): the owner is unmapped.
        let root = try NSBox.run("run", "--owner", "65534:65534", "-r", "--", "sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/setgroups")
        #expect(root.status == 0 && root.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            == ["65534", "0 0 1", "allow"], "\(root.stdout) \(root.stderr)")
        // With a pid namespace (a child of nsbox runs the command) the owner is the same.
        let withPid = try BackgroundCommand([NSBox.path, "run", "--owner", "65534:65534", "-p", "--as-pid-1", "--", "sleep", "60"])
        var command: Int32?
        #expect(eventually(within: 10) {
            command = firstChild(of: withPid.pid)
            return command.map { comm($0) == "sleep" && hasCommandLine($0) } ?? false
        })
        if let command { #expect(try ownerUID(of: command) == 65534) }
    }

    /// Taking the owner's ids clears the parent-death signal (prctl(2)): it is armed again, so
    /// --kill-child still kills the command when nsbox dies.
    @Test func killChildStillHoldsForAnotherOwner() throws {
        func commandSurvivesNSBox(_ options: [String]) throws -> Bool {
            let nsbox = try BackgroundCommand([NSBox.path, "run", "--owner", "65534:65534"] + options + ["--", "sleep", "60"])
            var command: Int32?
            #expect(eventually(within: 10) {
                command = firstChild(of: nsbox.pid)
                return command.map { comm($0) == "sleep" && hasCommandLine($0) } ?? false
            })
            guard let command else { return false }
            kill(nsbox.pid, SIGKILL)
            _ = nsbox.wait()
            let ended = eventually(within: 5) { processState(command) == nil || processState(command) == "Z" }
            if !ended { kill(command, SIGKILL) }
            return !ended
        }
        #expect(try !commandSurvivesNSBox(["--kill-child"]))
        // Negative control: without it the command outlives nsbox, and the check sees it.
        #expect(try commandSurvivesNSBox(["-f"]))
    }

    @Test func anOrdinaryUserAndABadValueAreOneLineAnd125() throws {
        let ordinary = try NSBox.runUnprivileged("run", "--owner", "65534:65534", "true")
        #expect(ordinary.status == 125 && ordinary.stderr.split(separator: "\n").count == 1
            && ordinary.stderr.contains("EPERM") && ordinary.stderr.contains("run as root"), "\(ordinary.stderr)")
        for bad in ["65534", "1:x", "1:2:3", ":5", "-1:0"] {
            let result = try NSBox.run("run", "--owner", bad, "true")
            #expect(result.status == 125 && result.stderr == "nsbox: --owner '\(bad)': write UID:GID, two numbers such as 1000:1000\n", "\(bad): \(result.stderr)")
        }
    }
}

import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// Every kind of bad input, through nsbox, as root and as uid 65534: exit 125, one line on
/// stderr naming what was wrong, nothing on stdout, and nothing left behind (no process, no
/// mount on the host). Serialized: the negative control mounts on /mnt for a moment.
@Suite(.serialized) struct BadInputCatalogueTests {
    static let kinds = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"]

    /// (nsbox arguments before the command, text the error must contain).
    static var catalogue: [([String], String)] {
        var cases: [([String], String)] = [
            (["-n", "--join", "net=/proc/self/ns/net"], "the net namespace is both created and joined"),
            (["--join", "net=/proc/self/ns/net", "--join", "net=/proc/self/ns/net"], "the net namespace is joined twice"),
            (["--join", "nett=/proc/self/ns/net"], "--join 'nett=/proc/self/ns/net': write KIND=VALUE"),
            (["--nett"], "unknown option '--nett'"),
            (["--join", "net=relative/path"], "open(net) relative/path: ENOENT"),
            (["--join", "net=/nonexistent"], "open(net) /nonexistent: ENOENT"),
            (["--join", "net=/etc/passwd"], "not a namespace file"),
            (["--join", "pid=/proc/-1/ns/pid"], "open(pid) /proc/-1/ns/pid: ENOENT"),
            (["--join", "user=/proc/self/ns/user"], "the caller's own user namespace"),
            (["-U", "--map-users", "0:100000:10", "--map-users", "5:200000:10", "--map-groups", "0:100000:10"], "overlaps line 1"),
            (["-U", "--map-users", "0:100000:10", "--map-users", "10:100005:10", "--map-groups", "0:100000:10"], "outside"),
            (["-U", "--map-users", "0:100000:0", "--map-groups", "0:100000:1"], "has a count of 0"),
            (["-U", "--map-users", "0:100000", "--map-groups", "0:100000:1"], "has 2 fields"),
            (["-U", "--map-users=-1:100000:1", "--map-groups", "0:100000:1"], "--map-users"),
            // getopt takes the next word as the value, "--" too, as unshare does.
            (["-r", "--map-users"], "--map-users: parse: id mapping '--' has 1 fields"),
            (["-U"] + (0..<341).flatMap { ["--map-users", "\($0):\(100000 + $0):1"] } + ["--map-groups", "0:100000:1"], "341"),
            (["--hostname", "box"], "hostname: setting it needs a new UTS namespace"),
            (["-U", "--monotonic", "5"], "clock offsets need a new time namespace"),
            (["--tmpfs", "/tmp"], "mounting needs a new mount namespace"),
            (["-r", "--propagation", "sideways"], "sideways"),
            (["-r", "--kill-child=SIGNOPE"], "SIGNOPE"),
            // Line breaks in the input are echoed as escapes: still one line (found by fuzzing).
            (["--join", "net\nx=1"], "--join 'net\\nx=1'"),
            (["-U", "--map-users", "0:0:1\r", "--map-groups", "0:0:1"], "\\r"),
        ]
        // For every kind, a join path of every other kind.
        for kind in kinds {
            let other = kinds[(kinds.firstIndex(of: kind)! + 1) % kinds.count]
            cases.append((["--join", "\(kind)=/proc/self/ns/\(other)"], "this is a \(other) namespace, not a \(kind) namespace"))
        }
        return cases
    }

    /// The mounts of the host (id and mount point) that a sandbox's mounts would add to if they
    /// escaped. Not whole lines: another suite makes / shared for a moment, which changes them.
    func hostMounts() -> [String] { hostMountPoints(["/", "/tmp", "/mnt"], under: "/proc") }

    @Test func eachBadInputIsOneLineExit125AndLeavesNothing() throws {
        for prefix in [[], asUnprivileged] {
            for (index, (options, needle)) in Self.catalogue.enumerated() {
                let marker = "bad-input-\(getpid())-\(index)"
                let mounts = hostMounts()
                let result = try runCommand(prefix + [NSBox.path, "run"] + options + ["--", "sh", "-c", "echo ran # \(marker)"])
                let who = prefix.isEmpty ? "root" : "65534"
                #expect(result.status == 125, "\(who) \(options.prefix(6)): \(result.status) \(result.stderr)")
                #expect(result.stderr.hasPrefix("nsbox: ") && result.stderr.contains(needle), "\(who) \(options.prefix(6)): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(who) \(options.prefix(6)): \(result.stderr)")
                #expect(result.stdout.isEmpty, "\(who) \(options.prefix(6)): the command ran")
                #expect(processes(matching: marker).isEmpty)
                #expect(hostMounts() == mounts)
            }
        }
    }

    /// Input only the kernel refuses, in the child after the clone (or in place, after
    /// nsbox's own unshare): (arguments, text of the error, exit status).
    static func refusedAfterTheClone(newRoot: String) -> [([String], String, Int32)] {
        [
            (["-r", "-p", "-S", "5"], "setresuid(5): EINVAL", 125),
            (["-r", "-S", "5"], "setresuid(5): EINVAL", 125),
            (["-r", "-p", "-m", "--bind", "/dev/null", "/mnt"], "mount bind /dev/null on /mnt: EINVAL", 125),
            (["-r", "-p", "-m", "--ro-bind", "/tmp", "/proc/self"], "mount read-only bind /tmp on /proc/self: EINVAL", 125),
            (["-r", "-m", "-p", "--as-pid-1", "--new-root", newRoot], "command not found: execve sh: ENOENT", 127),
            (["-r", "-m", "--new-root", newRoot], "command not found: execve sh: ENOENT", 127),
        ]
    }

    @Test func inputTheKernelRefusesAfterTheCloneIsOneLineAndLeavesNothingAsRootAnd65534() throws {
        // A new root that is not a mount point and has no shell in it (the sandbox binds it
        // onto itself; the command is what is missing).
        let scratch = ScratchDirectory()
        let newRoot = scratch.sub("root")
        for dir in ["proc", "mnt", "tmp"] { _ = scratch.sub("root/" + dir) }
        for prefix in [[], asUnprivileged] {
            for (index, (options, needle, status)) in Self.refusedAfterTheClone(newRoot: newRoot).enumerated() {
                let marker = "refused-\(getpid())-\(index)"
                let mounts = hostMounts()
                let result = try runCommand(prefix + [NSBox.path, "run"] + options + ["--", "sh", "-c", "echo ran # \(marker)"])
                let who = prefix.isEmpty ? "root" : "65534"
                #expect(result.status == status, "\(who) \(options): \(result.status) \(result.stderr)")
                #expect(result.stderr.hasPrefix("nsbox: ") && result.stderr.contains(needle), "\(who) \(options): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(who) \(options): \(result.stderr)")
                #expect(result.stdout.isEmpty, "\(who) \(options): the command ran")
                #expect(processes(matching: marker).isEmpty)
                #expect(hostMounts() == mounts)
            }
        }
    }

    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func idMapsNewuidmapRefusesAreOneLineAndLeaveNothing() throws {
        let marker = "refused-map-\(getpid())"
        let mounts = hostMounts()
        // No subordinate range for nobody: newuidmap refuses after the clone.
        let result = try runWithSubordinateIDs(subuid: "", subgid: "", asUnprivileged + [
            NSBox.path, "run", "-U", "-p", "--map-users", "0:100000:1", "--map-groups", "0:100000:1", "--", "sh", "-c", "echo ran # \(marker)",
        ])
        #expect(result.status == 125 && result.stderr.hasPrefix("nsbox: id maps: newuidmap: exited with status 1"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stdout.isEmpty, "\(result.stdout) \(result.stderr)")
        #expect(processes(matching: marker).isEmpty)
        #expect(hostMounts() == mounts)
    }

    @Test func theLeftoverChecksSeeALeftover() throws {
        // Negative controls of "no process, no mount left": a process with the marker in its
        // command line, and a mount on /mnt (in the runner's own mount namespace), are seen.
        let marker = "leftover-\(getpid())"
        let mounts = hostMounts()
        let leftover = try Sandbox().spawn(SandboxCommand("sh", ["-c", "sleep 60; true # \(marker)"]))
        #expect(eventually { !processes(matching: marker).isEmpty })
        try leftover.signal(SIGKILL)
        _ = try leftover.wait()
        #expect(processes(matching: marker).isEmpty)
        try #require(TestRun.hasPrivateMounts, "the runner has no mount namespace of its own to mount in")
        #expect(try runCommand(["mount", "-t", "tmpfs", "leftover", "/mnt"]).status == 0)
        #expect(hostMounts() != mounts)
        #expect(try runCommand(["umount", "/mnt"]).status == 0)
        #expect(hostMounts() == mounts)
    }

    @Test func aGidMapWithSetgroupsAllowIsRefusedToAnOrdinaryUser() throws {
        let result = try NSBox.runUnprivileged(["run", "-U", "--map-users", "0:65534:1", "--map-groups", "0:65534:1", "--setgroups", "allow", "--", "true"])
        #expect(result.status == 125)
        #expect(result.stderr == "nsbox: configuration: userMapping: setgroups 'allow' with a gid map an ordinary user writes itself: the kernel refuses it; use setgroups deny, or run as root\n")
    }

    @Test func helpWorksBeforeTheCommandAndIsTheCommandsAfterIt() throws {
        for subcommand in ["run", "enter"] {
            for flag in ["--help", "-h"] {
                let help = try NSBox.run([subcommand, flag])
                #expect(help.status == 0 && help.stdout.hasPrefix("OVERVIEW: "), "\(subcommand) \(flag): \(help.stderr)")
            }
        }
        let theirs = try NSBox.run(["run", "-r", "--", "sh", "-c", "echo \"$1\"", "sh", "--help"])
        #expect(theirs.stdout == "--help\n")
    }

    @Test func shortFlagsGroupWithAValueAsGetoptAllows() throws {
        for arguments in [["-Uw", "/tmp"], ["-Uw/tmp"], ["-U", "-w", "/tmp"]] {
            let result = try NSBox.run(["run"] + arguments + ["pwd"])
            #expect(result.status == 0 && result.stdout == "/tmp\n", "\(arguments): \(result.stderr)")
        }
        #expect(try NSBox.run("run", "-rS", "0", "id", "-u").stdout == "0\n")
    }
}

import Foundation
import Glibc
import Testing

/// Every kind of bad input, through nsbox, as root and as uid 65534: exit 125, one line on
/// stderr naming what was wrong, nothing on stdout, and nothing left behind (no process, no
/// mount on the host).
@Suite struct BadInputCatalogueTests {
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
            (["-r", "--map-users"], "Missing value for '--map-users <map-users>' (see nsbox run --help)"),
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

import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// The `Cap*` and `NoNewPrivs` lines of /proc/self/status, as `name value` pairs.
let printPrivileges = "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status | tr -d '\\t' | tr ':' ' '"

/// What the command keeps: capabilities (`--cap-drop`, `--cap-add`, `Sandbox.capabilities`) and
/// no_new_privs, as root and as uid 65534.
@Suite struct CapabilityTests {
    /// Runs nsbox as root and as 65534.
    static var runners: [(String, ([String]) throws -> CommandResult)] { [
        ("root", { try NSBox.run($0) }), ("65534", { try NSBox.runUnprivileged($0) }),
    ] }

    /// In place (nsbox becomes the command) and spawned (`-f`): one plan, the same result.
    @Test func capDropAllLeavesNoCapabilityInAnySetAndNoNewPrivsIsSetAsRootAnd65534() throws {
        for (who, run) in Self.runners {
          for fork in [[], ["-f"]] {
            let dropped = try run(["run", "-r", "-m"] + fork + ["--cap-drop", "ALL", "--no-new-privs", "--", "sh", "-c", printPrivileges])
            #expect(dropped.status == 0, "\(who): \(dropped.stderr)")
            #expect(dropped.fields == [
                "CapInh": "0000000000000000", "CapPrm": "0000000000000000", "CapEff": "0000000000000000",
                "CapBnd": "0000000000000000", "CapAmb": "0000000000000000", "NoNewPrivs": "1",
            ], "\(who): \(dropped.stdout)")
            // Negative control: without the options, `-r` keeps every capability, as unshare's.
            let kept = try run(["run", "-r", "-m", "--", "sh", "-c", printPrivileges])
            #expect(kept.fields["CapEff"] == kept.fields["CapBnd"] && kept.fields["CapEff"] != "0000000000000000", "\(who): \(kept.stdout)")
            #expect(kept.fields["NoNewPrivs"] == "0", "\(who)")
          }
        }
    }

    @Test func capAddAfterCapDropAllKeepsExactlyThatCapabilityInEverySetAsRootAnd65534() throws {
        for (who, run) in Self.runners {
            let result = try run(["run", "-r", "--cap-drop", "ALL", "--cap-add", "cap_net_admin", "--", "sh", "-c", printPrivileges])
            #expect(result.status == 0, "\(who): \(result.stderr)")
            for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
                #expect(result.fields[set] == "0000000000001000", "\(who): \(set) \(result.stdout)")
            }
            // Order matters, as in bwrap: a later drop removes what an earlier add kept.
            let none = try run(["run", "-r", "--cap-add", "CAP_NET_ADMIN", "--cap-drop", "ALL", "--", "sh", "-c", printPrivileges])
            #expect(none.fields["CapBnd"] == "0000000000000000", "\(who): \(none.stdout)")
        }
    }

    /// A command switched to another uid inside (`-S`) keeps what it was given, and no more.
    @Test func keptCapabilitiesSurviveTheSwitchToAnotherUidInside() throws {
        let result = try NSBox.run(
            "run", "-U", "--map-users", "0:0:100", "--map-groups", "0:0:100", "-S", "5", "-G", "5",
            "--cap-drop", "ALL", "--cap-add", "CAP_NET_BIND_SERVICE", "--", "sh", "-c", "id -u; " + printPrivileges)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("5\n"), "\(result.stdout)")
        for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            #expect(result.fields[set] == "0000000000000400", "\(set) \(result.stdout)")
        }
    }

    /// A setuid-root binary gives back nothing once the capabilities are dropped: the bounding
    /// set is empty. Negative control: the same binary run as uid 5 without the drop makes it
    /// root with every capability.
    @Test func aSetuidRootBinaryGivesNoCapabilityBack() throws {
        let scratch = ScratchDirectory()
        let cat = scratch.path + "/cat"
        #expect(try runCommand(["cp", "/usr/bin/cat", cat]).status == 0)
        #expect(chmod(cat, 0o4755) == 0)
        let maps = ["-U", "--map-users", "0:0:100", "--map-groups", "0:0:100", "-S", "5", "-G", "5"]
        let escaped = try NSBox.run(["run"] + maps + ["--", cat, "/proc/self/status"])
        #expect(escaped.stdout.contains("CapEff:\t000001ffffffffff"), "\(escaped.stdout) \(escaped.stderr)")
        for options in [["--cap-drop", "ALL"], ["--cap-drop", "ALL", "--cap-add", "CAP_CHOWN"]] {
            let held = try NSBox.run(["run"] + maps + options + ["--", cat, "/proc/self/status"])
            let kept = options.count == 2 ? "0000000000000000" : "0000000000000001"
            #expect(held.status == 0 && held.stdout.contains("CapEff:\t\(kept)") && held.stdout.contains("CapPrm:\t\(kept)"),
                "\(options): \(held.stdout) \(held.stderr)")
        }
        // With no_new_privs the setuid bit is ignored: the uid stays 5.
        let ignored = try NSBox.run(["run"] + maps + ["--no-new-privs", "--", cat, "/proc/self/status"])
        #expect(ignored.stdout.contains("CapEff:\t0000000000000000") && ignored.stdout.contains("Uid:\t5\t5\t5\t5"), "\(ignored.stdout)")
    }

    @Test func anUnknownCapabilityIsOneLineAndStatus125() throws {
        for (who, run) in Self.runners {
            for option in ["--cap-drop", "--cap-add"] {
                let result = try run(["run", "-r", option, "CAP_NOPE", "--", "true"])
                #expect(result.status == 125, "\(who)")
                #expect(result.stderr == "nsbox: \(option) 'CAP_NOPE': unknown capability; write a name of capabilities(7) such as CAP_NET_ADMIN, or ALL\n", "\(who): \(result.stderr)")
            }
        }
    }

    /// The library's `capabilities` and `noNewPrivileges`, and the capability names.
    @Test func theLibraryKeepsTheCapabilitySetItIsGiven() throws {
        var sandbox = Sandbox(create: [.user])
        sandbox.userMapping = .root
        sandbox.capabilities = CapabilitySet([.sysAdmin, .kill])
        sandbox.noNewPrivileges = true
        let (output, ending) = try runCapturing(sandbox, "sh", ["-c", printPrivileges])
        #expect(ending == .exited(0))
        let fields = CommandResult(stdout: output, stderr: "", status: 0, signalled: false).fields
        #expect(fields["CapBnd"] == "0000000000200020" && fields["CapAmb"] == "0000000000200020" && fields["NoNewPrivs"] == "1", "\(output)")
        #expect(Capability(name: "CAP_SYS_ADMIN") == .sysAdmin && Capability(name: "sys_admin") == .sysAdmin && Capability(name: "NOPE") == nil)
        #expect(CapabilitySet([.kill, .sysAdmin]).description == "CAP_KILL,CAP_SYS_ADMIN")
    }
}

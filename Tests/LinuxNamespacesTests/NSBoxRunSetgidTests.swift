import Glibc
import LinuxNamespaces
import Testing

/// `nsbox run -G/--setgid` drops the supplementary groups with setgroups(0, NULL) before setgid,
/// as util-linux master's unshare does: where the user namespace refuses setgroups (-r, -c and
/// --map-group write "deny", or there is no gid map) it fails with one line naming the cause and
/// the --map-groups that works (master: "setgroups failed", exit 1); with a gid map written with
/// setgroups allowed, it runs and the groups are gone. Root and 65534.
@Suite struct NSBoxRunSetgidTests {
    let ids = ["--", "sh", "-c", "id -u; id -g; id -G"]

    func run(_ words: [String], unprivileged: Bool) throws -> CommandResult {
        try unprivileged ? NSBox.runUnprivileged(["run"] + words) : NSBox.run(["run"] + words)
    }

    /// One line on stderr, nothing run, exit 125.
    func expectRefused(_ result: CommandResult, _ words: [String], saying parts: [String]) {
        #expect(result.status == 125 && result.stdout.isEmpty, "\(words): \(result.stdout) \(result.stderr)")
        #expect(result.stderr.hasPrefix("nsbox: --setgid: -G drops the supplementary groups with setgroups(2) as unshare does"), "\(words): \(result.stderr)")
        #expect(result.stderr.filter { $0 == "\n" }.count == 1, "\(words): \(result.stderr)")
        for part in parts { #expect(result.stderr.contains(part), "\(words): \(result.stderr)") }
    }

    @Test(arguments: [false, true])
    func setgidFailsWhereMapRootUserDeniedSetgroups(unprivileged: Bool) throws {
        let fix = unprivileged ? "map the gids with --map-groups=auto" : "map the gids with --map-groups=0:0:1"
        // In place and spawned (-f, -p): the same step, the same line.
        for words in [["-r", "-S0", "-G0"], ["-r", "--setuid", "0", "--setgid=0"], ["-r", "-f", "-G", "0"], ["-r", "-p", "-S", "0", "-G", "0"]] {
            expectRefused(try run(words + ids, unprivileged: unprivileged), words,
                saying: ["setgroups is denied in this user namespace (-r/--map-root-user writes its one-gid map after setgroups deny)", fix])
        }
        let current = try run(["-c", "-G", unprivileged ? "65534" : "0"] + ids, unprivileged: unprivileged)
        expectRefused(current, ["-c"], saying: ["(-c/--map-current-user writes", fix])
        let mapGroup = try run(["-U", "--map-group=0", "-G0"] + ids, unprivileged: unprivileged)
        expectRefused(mapGroup, ["--map-group"], saying: ["(--map-group writes", fix])
        let denied = try run(["-r", "--setgroups", "deny", "-G0"] + ids, unprivileged: unprivileged)
        expectRefused(denied, ["--setgroups deny"], saying: ["which --setgroups deny forbids; leave out one of the two"])
        // Negative control: -S alone changes no groups, and runs.
        let uidOnly = try run(["-r", "-S0"] + ids, unprivileged: unprivileged)
        #expect(uidOnly.status == 0 && uidOnly.stdout == "0\n0\n0\n", "\(uidOnly.stdout) \(uidOnly.stderr)")
    }

    @Test(arguments: [false, true])
    func setgidWithoutAGidMapNamesTheMissingMap(unprivileged: Bool) throws {
        for words in [["-U", "-S0", "-G0"], ["--map-users=0:\(unprivileged ? 65534 : 0):1", "-G0"]] {
            expectRefused(try run(words + ids, unprivileged: unprivileged), words,
                saying: ["this user namespace has no gid map, without which setgroups(2) is refused"])
        }
    }

    @Test(arguments: [false, true])
    func setgidInTheSandboxPresetNamesItsRootMapping(unprivileged: Bool) throws {
        expectRefused(try run(["--sandbox", "-G0"] + ids, unprivileged: unprivileged), ["--sandbox"],
            saying: ["(--sandbox maps you to root with a one-gid map after setgroups deny)",
                     unprivileged ? "map the gids with -r --map-groups=auto" : "map the gids with -r --map-groups=0:0:1"])
        guard !unprivileged else { return }
        // The suggested fix runs (the preset otherwise unchanged).
        let fixed = try run(["--sandbox", "-r", "--map-groups=0:0:1", "-G0"] + ids, unprivileged: false)
        #expect(fixed.status == 0 && fixed.stdout == "0\n0\n0\n", "\(fixed.stdout) \(fixed.stderr)")
    }

    @Test func setgidWithoutAUserNamespaceNeedsCAP_SETGIDAs65534() throws {
        expectRefused(try run(["-G", "65534"] + ids, unprivileged: true), ["-G"], saying: ["which needs CAP_SETGID; run as root"])
        // Negative control: root has it.
        let root = try run(["-G", "0"] + ids, unprivileged: false)
        #expect(root.status == 0 && root.stdout.hasSuffix("\n0\n0\n"), "\(root.stdout) \(root.stderr)")
    }

    @Test func rootWithAGidMapDropsTheGroups() throws {
        // The suggested fix, and master's own working case, run; the groups are gone.
        for words in [["-r", "--map-groups=0:0:1", "-S0", "-G0"], ["--map-users=0:0:1", "--map-groups=0:0:1", "-U", "-S", "0", "-G", "0"]] {
            let result = try run(words + ids, unprivileged: false)
            #expect(result.status == 0 && result.stdout == "0\n0\n0\n", "\(words): \(result.stdout) \(result.stderr)")
        }
        // With a supplementary group outside (100, unmapped inside: 65534), -G drops it; without
        // -G it stays (the negative control that shows `id -G` can see it).
        let withGroup = ["setpriv", "--groups=100", NSBox.path, "run", "--map-users=0:0:1", "--map-groups=0:0:1"]
        let kept = try runCommand(withGroup + ["--", "id", "-G"])
        #expect(kept.status == 0 && kept.stdout == "0 65534\n", "\(kept.stdout) \(kept.stderr)")
        let dropped = try runCommand(withGroup + ["-G", "0", "--", "id", "-G"])
        #expect(dropped.status == 0 && dropped.stdout == "0\n", "\(dropped.stdout) \(dropped.stderr)")
    }

    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func unprivilegedWithASubgidRangeDropsTheGroupsAndWithItsOwnGidAloneIsRefused() throws {
        let show = ["--", "sh", "-c", "id -u; id -g; id -G; cat /proc/self/setgroups"]
        let blocks = try NSBoxMapAutoTests().withSubordinateIDs(
            subuid: "nobody:300000:65536\n", subgid: "nobody:310000:65536\n", [
                // The suggested fix: newgidmap writes a range of /etc/subgid, setgroups allowed.
                asUnprivileged + [NSBox.path, "run", "-r", "--map-groups=auto", "-S0", "-G0"] + show,
                asUnprivileged + [NSBox.path, "run", "--map-auto", "-S", "0", "-G", "0"] + show,
                // Its own gid alone is written after setgroups deny, as newgidmap would.
                asUnprivileged + [NSBox.path, "run", "--map-users=0:65534:1", "--map-groups=0:65534:1", "-S0", "-G0"] + show,
            ])
        #expect(blocks.count == 3, "\(blocks)")
        #expect(blocks.first == "0|0|0|allow|status 0", "\(blocks)")
        #expect(blocks.dropFirst().first == "0|0|0|allow|status 0", "\(blocks)")
        #expect(blocks.last?.contains("(a gid map of your own gid alone is written after setgroups deny, as newgidmap does)") == true, "\(blocks)")
        #expect(blocks.last?.hasSuffix("status 125") == true, "\(blocks)")
    }

    @Test func theLibraryFailsAtSetgroupsOnlyWhenDroppingIsRequired() throws {
        var sandbox = Sandbox(create: [.user])
        sandbox.userMapping = .root
        sandbox.gid = 0
        // The default keeps the groups where setgroups is denied: the negative control.
        #expect(try sandbox.spawn(SandboxCommand("/bin/true")).wait() == .exited(0))
        sandbox.supplementaryGroups = .drop
        do {
            _ = try sandbox.spawn(SandboxCommand("/bin/true")).wait()
            Issue.record("setgroups succeeded in a user namespace whose setgroups is deny")
        } catch {
            #expect(error.step == .setgroups && error.errno == .notPermitted, "\(error)")
            #expect(error.hint?.contains("its setgroups file says deny") == true, "\(error)")
        }
    }
}

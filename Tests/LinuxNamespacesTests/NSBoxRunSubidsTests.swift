import Foundation
import Glibc
import Testing

/// `nsbox run --map-subids`, `--map-users`/`--map-groups` `subids` and `all`, and `auto` alone,
/// as util-linux master's unshare lays the maps out (its add_single_map_range; the expected
/// lines were taken from master's unshare by hand: CI has no util-linux master). The
/// subordinate ranges come from files of the test's own bound over /etc/subuid and /etc/subgid
/// in a private mount namespace (`runWithSubordinateIDs`).
@Suite struct NSBoxRunSubidsTests {
    let subuid = "nobody:300000:65536\nroot:500000:2000\n"
    let subgid = "nobody:310000:65536\nroot:510000:2000\n"
    let show = ["--", "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups"]

    /// Each command's output lines with blanks squeezed, joined by '|', then `status N`.
    func outputs(_ commands: [[String]]) throws -> [String] {
        let blocks = try NSBoxMapAutoTests().withSubordinateIDs(subuid: subuid, subgid: subgid, commands)
        #expect(blocks.count == commands.count, "\(blocks)")
        return blocks
    }

    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func mapSubidsMapsTheFirstRangesToThemselvesAsRootAnd65534() throws {
        let cases: [(Bool, [String], String)] = [
            // The caller's own ids are not mapped: it runs as the overflow ids.
            (true, ["--map-subids"], "65534|65534|300000 300000 65536|310000 310000 65536|allow"),
            (true, ["--map-users=subids", "--map-groups=subids"], "65534|65534|300000 300000 65536|310000 310000 65536|allow"),
            (true, ["--map-subids", "-r"], "0|0|0 65534 1|300000 300000 65536|0 65534 1|310000 310000 65536|allow"),
            (true, ["--map-users=subids", "--map-groups", "subids", "-c"],
                "65534|65534|65534 65534 1|300000 300000 65536|65534 65534 1|310000 310000 65536|allow"),
            // The caller's id inside the range: the range gives up its topmost id and is split
            // around it, on both sides.
            (true, ["--map-subids", "--map-user=300005", "--map-group=310007"],
                "300005|310007|300005 65534 1|300000 300000 5|300006 300005 65530|310007 65534 1|310000 310000 7|310008 310007 65528|allow"),
            // Root writes the maps itself, from its own lines.
            (false, ["--map-subids"], "65534|65534|500000 500000 2000|510000 510000 2000|allow"),
            (false, ["--map-subids", "-r"], "0|0|0 0 1|500000 500000 2000|0 0 1|510000 510000 2000|allow"),
        ]
        let blocks = try outputs(cases.map { ($0.0 ? asUnprivileged : []) + [NSBox.path, "run"] + $0.1 + show })
        for (index, (unprivileged, words, expected)) in cases.enumerated() where index < blocks.count {
            #expect(blocks[index] == expected + "|status 0", "\(unprivileged ? "65534" : "root") \(words)")
        }
    }

    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func oneSideAloneMapsThatSideOnly() throws {
        let blocks = try outputs([
            asUnprivileged + [NSBox.path, "run", "--map-users=auto"] + show,
            asUnprivileged + [NSBox.path, "run", "--map-users=auto", "-r"] + show,
            asUnprivileged + [NSBox.path, "run", "--map-groups=subids"] + show,
        ])
        #expect(blocks.first == "65534|65534|0 300000 65536|allow|status 0", "\(blocks)")
        // -r's gid map stands alone: written with setgroups denied, as unshare's --map-group.
        #expect(blocks.dropFirst().first == "0|0|0 65534 1|1 300000 65536|0 65534 1|deny|status 0", "\(blocks)")
        #expect(blocks.last == "65534|65534|310000 310000 65536|allow|status 0", "\(blocks)")
    }

    /// Explicit blocks go the same way (taken from master's unshare by hand): the caller's id
    /// first, a block it overlaps one id short, a side without blocks left unwritten.
    @Test func explicitBlocksTakeTheCallersIDAsUnshareMasterDoes() throws {
        let cases: [(Bool, [String], [String])] = [
            (false, ["--map-users=0:1000:10"], ["0 1000 10", "-", "allow"]),
            (false, ["--map-users=0:1000:10", "--map-user=50"], ["50 0 1", "0 1000 10", "-", "allow"]),
            (false, ["--map-users=0:1000:10", "-r"], ["0 0 1", "1 1000 9", "-", "0 0 1", "deny"]),
            (false, ["--map-users", "0:100000:1000", "--map-groups", "0:100000:1000", "--map-user=1000", "--map-group=1000"],
                ["1000 0 1", "0 100000 999", "-", "1000 0 1", "0 100000 999", "allow"]),
            // An ordinary user's own ids alone: written without newuidmap, setgroups denied.
            (true, ["--map-users", "0:65534:1", "--map-groups", "0:65534:1"], ["0 65534 1", "-", "0 65534 1", "deny"]),
            (true, ["--map-users", "0:65534:1"], ["0 65534 1", "-", "allow"]),
        ]
        for (unprivileged, words, expected) in cases {
            let result = try runCommand((unprivileged ? asUnprivileged : []) + [NSBox.path, "run"] + words
                + ["sh", "-c", "cat /proc/self/uid_map; echo -; cat /proc/self/gid_map /proc/self/setgroups"])
            let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            #expect(result.status == 0 && lines == expected, "\(words): \(result.stdout) \(result.stderr)")
        }
    }

    @Test func allMapsEveryIdOfTheCallersOwnUserNamespace() throws {
        // Root in the first user namespace: every id, as /proc/self/uid_map lists them.
        let root = try NSBox.run(["run", "--map-users=all", "--map-groups=all"] + show)
        #expect(root.status == 0 && root.stdout == "0\n0\n         0          0 4294967295\n         0          0 4294967295\nallow\n",
            "\(root.stdout) \(root.stderr)")
        // With -r: the caller at 0, the block shifted past it, one id short (it overlaps).
        let mapped = try NSBox.run(["run", "--map-users=all", "--map-groups=all", "-r"] + show)
        #expect(mapped.status == 0 && mapped.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            == ["0", "0", "0 0 1", "1 1 4294967294", "0 0 1", "1 1 4294967294", "allow"], "\(mapped.stdout) \(mapped.stderr)")
        // 65534 in a user namespace of its own where it is root: the one id there.
        let nested = try runCommand(asUnprivileged + ["unshare", "-r", NSBox.path, "run", "--map-users=all", "--map-groups=all"] + show)
        #expect(nested.status == 0 && nested.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            == ["0", "0", "0 0 1", "0 0 1", "deny"], "\(nested.stdout) \(nested.stderr)")
    }

    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func allAsAnOrdinaryUserIsRefusedByNewuidmapInOneLine() throws {
        let result = try NSBox.runUnprivileged("run", "--map-users=all", "--map-groups=all", "true")
        let lines = result.stderr.split(separator: "\n")
        #expect(result.status == 125 && lines.last?.hasPrefix("nsbox: id maps: newuidmap") == true
            && lines.last?.contains("/etc/subuid") == true, "\(result.stderr)")
    }

    @Test func aBadBlockAmongSpecialOnesIsNamed() throws {
        let result = try NSBox.run("run", "--map-users=subids", "--map-users=1:2", "true")
        #expect(result.status == 125 && result.stderr.hasPrefix("nsbox: --map-users: ") && result.stderr.contains("1:2")
            && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}

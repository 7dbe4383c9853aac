import Foundation
import Glibc
import Testing

/// `nsbox run --map-auto`: the first subordinate ranges of the caller, by name or by uid, with
/// `/etc/subuid` and `/etc/subgid` of the test's own bound over the real ones inside a private
/// mount namespace (newuidmap reads the ones it sees; /etc is never written).
@Suite struct NSBoxMapAutoTests {
    /// Runs `commands` (each a list of words, run as given) with `subuid` and `subgid` as the
    /// files' text; returns per command its output lines joined by '|' (repeated spaces
    /// squeezed), then `status N`.
    func withSubordinateIDs(subuid: String, subgid: String, _ commands: [[String]]) throws -> [String] {
        var script = ""
        for (index, command) in commands.enumerated() {
            script += "echo '== \(index)'; \(shellLine(command)) 2>&1 && echo status 0 || echo status $?\n"
        }
        let result = try runWithSubordinateIDs(subuid: subuid, subgid: subgid, ["sh", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        var blocks: [String] = []
        for line in result.stdout.split(separator: "\n") {
            if line.hasPrefix("== ") { blocks.append(""); continue }
            let squeezed = line.split(separator: " ").joined(separator: " ")
            if !blocks.isEmpty { blocks[blocks.count - 1] += (blocks[blocks.count - 1].isEmpty ? "" : "|") + squeezed }
        }
        return blocks
    }

    let showMaps = ["--", "cat", "/proc/self/uid_map", "/proc/self/gid_map"]

    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func theFirstRangeByNameOrUidIsMappedFromZeroAsRootAnd65534() throws {
        // Several ranges per user, names and numeric uids mixed: the first line that names the
        // caller, by name or by uid, wins, in each file separately.
        let subuid = "someone:100000:65536\nnobody:300000:65536\nnobody:400000:1000\n0:500000:2000\nroot:600000:3000\n"
        let subgid = "65534:310000:4000\nnobody:410000:65536\nroot:510000:2000\n0:610000:3000\n"
        let blocks = try withSubordinateIDs(subuid: subuid, subgid: subgid, [
            [NSBox.path, "run", "--map-auto"] + showMaps,
            asUnprivileged + [NSBox.path, "run", "--map-auto"] + showMaps,
            // 65534 through newuidmap, which checks the ranges against the same files: with -p
            // and --mount-proc the maps are written for a child that is not the caller's own.
            asUnprivileged + [NSBox.path, "run", "--map-auto", "-p", "-m", "--mount-proc", "--", "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u"],
            asUnprivileged + ["unshare", "--map-auto", "-p", "-f", "-m", "--mount-proc", "--", "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u"],
        ])
        #expect(blocks.count == 4, "\(blocks)")
        #expect(blocks.first == "0 500000 2000|0 510000 2000|status 0", "root: \(blocks)")
        #expect(blocks.dropFirst().first == "0 300000 65536|0 310000 4000|status 0", "65534: \(blocks)")
        // The caller's own uid is not in the map: the command runs as the overflow uid, as
        // with unshare --map-auto alone.
        #expect(blocks.dropFirst(2).first == "0 300000 65536|0 310000 4000|65534|status 0", "65534 with -p: \(blocks)")
        #expect(blocks.dropFirst(2).first == blocks.last, "nsbox and unshare: \(blocks)")
    }

    /// util-linux master's layout (unshare.c's add_single_map_range), asserted directly: Debian's
    /// 2.38 cuts one id off a range from 0 that the caller's id lands in, master shifts the
    /// rest of the range past it and keeps every id. (Taken from master's unshare by hand.)
    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func withAnIDOptionTheCallerTakesThatIDAndTheRangeTheRestAsUnshareMasterLaysItOut() throws {
        let cases: [([String], String)] = [
            (["-r"], "0|0|0 65534 1|1 300000 65536|0 65534 1|1 310000 65536"),
            (["-c"], "65534|65534|65534 65534 1|0 300000 65534|65535 365534 2|65534 65534 1|0 310000 65534|65535 375534 2"),
            (["--map-user=5", "--map-group=7"], "5|7|5 65534 1|0 300000 5|6 300005 65531|7 65534 1|0 310000 7|8 310007 65529"),
            (["--map-user=70000"], "70000|65534|70000 65534 1|0 300000 65536|0 310000 65536"),
            (["--map-group=3"], "65534|3|0 300000 65536|3 65534 1|0 310000 3|4 310003 65533"),
            (["-r", "--map-user=9"], "9|0|9 65534 1|0 300000 9|10 300009 65527|0 65534 1|1 310000 65536"),
            ([], "65534|65534|0 300000 65536|0 310000 65536"),
        ]
        let show = ["--", "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"]
        var commands = cases.map { asUnprivileged + [NSBox.path, "run", "--map-auto"] + $0.0 + show }
        // Root writes the maps itself (from its own line, root:500000:2000).
        commands.append([NSBox.path, "run", "--map-auto", "-r"] + show)
        let blocks = try withSubordinateIDs(subuid: "nobody:300000:65536\nroot:500000:2000\n", subgid: "nobody:310000:65536\nroot:510000:2000\n", commands)
        #expect(blocks.count == cases.count + 1, "\(blocks)")
        for (index, (option, expected)) in cases.enumerated() where index < blocks.count {
            #expect(blocks[index] == expected + "|status 0", "\(option)")
        }
        #expect(blocks.last == "0|0|0 0 1|1 500000 2000|0 0 1|1 510000 2000|status 0", "root -r: \(blocks)")
    }

    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func anEntryInSubuidButNotSubgidIsOneLineWithStatus125AsRootAnd65534() throws {
        let blocks = try withSubordinateIDs(subuid: "nobody:300000:65536\nroot:500000:2000\n", subgid: "someone:310000:65536\n", [
            [NSBox.path, "run", "--map-auto", "--", "true"],
            asUnprivileged + [NSBox.path, "run", "--map-auto", "--", "true"],
        ])
        #expect(blocks.count == 2, "\(blocks)")
        #expect(blocks.first?.hasPrefix("nsbox: ") == true && blocks.first?.contains("no range for root in /etc/subgid") == true
            && blocks.first?.hasSuffix("|status 125") == true && blocks.first?.split(separator: "|").count == 2, "root: \(blocks)")
        #expect(blocks.dropFirst().first?.contains("no range for nobody in /etc/subgid") == true
            && blocks.dropFirst().first?.hasSuffix("|status 125") == true && blocks.dropFirst().first?.split(separator: "|").count == 2, "65534: \(blocks)")
        // Negative control: with subgid lines for both, the same runs work.
        let complete = try withSubordinateIDs(subuid: "nobody:300000:65536\nroot:500000:2000\n", subgid: "nobody:310000:65536\nroot:510000:2000\n", [
            [NSBox.path, "run", "--map-auto", "--", "true"],
            asUnprivileged + [NSBox.path, "run", "--map-auto", "--", "true"],
        ])
        #expect(complete == ["status 0", "status 0"], "\(complete)")
    }
}

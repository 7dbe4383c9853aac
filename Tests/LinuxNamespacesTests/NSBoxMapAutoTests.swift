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

    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func withAnIDOptionTheCallerTakesThatIDAndTheRangeTheRestAsUnshareLaysItOut() throws {
        let options = [["-r"], ["-c"], ["--map-user=5", "--map-group=7"], ["--map-user=70000"], ["--map-group=3"], ["-r", "--map-user=9"], []]
        let show = ["--", "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"]
        // unshare as 65534 only: as root it takes any name line for uid 0 (strtoul("nobody") is 0).
        var commands: [[String]] = []
        for option in options {
            let ours: [String] = [NSBox.path, "run", "--map-auto"] + option + show
            let theirs: [String] = ["unshare", "--map-auto"] + option + show
            commands += [asUnprivileged + ours, asUnprivileged + theirs]
        }
        commands.append([NSBox.path, "run", "--map-auto", "-r"] + show)
        let blocks = try withSubordinateIDs(subuid: "nobody:300000:65536\nroot:500000:2000\n", subgid: "nobody:310000:65536\nroot:510000:2000\n", commands)
        #expect(blocks.count == options.count * 2 + 1, "\(blocks)")
        for (index, option) in options.enumerated() where 2 * index + 1 < blocks.count {
            let ours: String = blocks[2 * index], theirs: String = blocks[2 * index + 1]
            #expect(ours.hasSuffix("|status 0") && ours == theirs, "\(option): nsbox \(ours) unshare \(theirs)")
        }
        #expect(blocks.first == "0|0|0 65534 1|1 300000 65535|0 65534 1|1 310000 65535|status 0", "-r: \(blocks)")
        #expect(blocks.last == "0|0|0 0 1|1 500000 1999|0 0 1|1 510000 1999|status 0", "root -r: \(blocks)")
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

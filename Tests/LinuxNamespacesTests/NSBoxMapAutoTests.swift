import Foundation
import Glibc
import Testing

/// `nsbox run --map-auto`: the first subordinate ranges of the caller, by name or by uid, with
/// `/etc/subuid` and `/etc/subgid` of the test's own bound over the real ones inside a private
/// mount namespace (newuidmap reads the ones it sees; /etc is never written).
@Suite struct NSBoxMapAutoTests {
    /// Runs `commands` (each a list of words, run as given) with `subuid` and `subgid` as the
    /// files' text; prints `== N` before the output of command N, then its status.
    func withSubordinateIDs(subuid: String, subgid: String, _ commands: [[String]]) throws -> [String] {
        let scratch = ScratchDirectory()
        FileManager.default.createFile(atPath: scratch.path + "/subuid", contents: Data(subuid.utf8))
        FileManager.default.createFile(atPath: scratch.path + "/subgid", contents: Data(subgid.utf8))
        chmod(scratch.path + "/subuid", 0o644)
        chmod(scratch.path + "/subgid", 0o644)
        // Where the files are missing, an overlay over /etc (its upper layer in the scratch
        // directory) gives the bind mounts a target without writing /etc.
        var script = """
            if [ ! -e /etc/subuid ] || [ ! -e /etc/subgid ]; then
              mkdir -p "$1/upper" "$1/work"; mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc
              touch /etc/subuid /etc/subgid
            fi
            mount --bind "$1/subuid" /etc/subuid; mount --bind "$1/subgid" /etc/subgid

            """
        for (index, command) in commands.enumerated() {
            script += "echo '== \(index)'; \(shellLine(command)) 2>&1 && echo status 0 || echo status $?\n"
        }
        let result = try inPrivateMountNamespace(script, [scratch.path])
        #expect(result.status == 0, "\(result.stderr)")
        // One block per command: its output lines joined by '|', squeezed of repeated spaces.
        var blocks: [String] = []
        for line in result.stdout.split(separator: "\n") {
            if line.hasPrefix("== ") { blocks.append(""); continue }
            let squeezed = line.split(separator: " ").joined(separator: " ")
            if !blocks.isEmpty { blocks[blocks.count - 1] += (blocks[blocks.count - 1].isEmpty ? "" : "|") + squeezed }
        }
        return blocks
    }

    let showMaps = ["--", "cat", "/proc/self/uid_map", "/proc/self/gid_map"]

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/newuidmap"), "needs newuidmap: apt-get install uidmap"))  // TODO(trait)
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

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/newuidmap"), "needs newuidmap: apt-get install uidmap"))  // TODO(trait)
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

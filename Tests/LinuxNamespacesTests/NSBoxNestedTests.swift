import Foundation
import Glibc
import Testing

/// nsbox inside nsbox: each level's namespaces are children of the level above.
@Suite struct NSBoxNestedTests {
    /// Lines `LEVEL user=INODE pid=INODE self=PID procs=N uid=UID map=UID_MAP` of one level,
    /// as the shell running there sees itself (ps counts the init, sh, the subshell of `$(...)`,
    /// ps and wc).
    func describe(_ level: String) -> String {
        "echo \(level) user=$(stat -L -c %i /proc/self/ns/user) pid=$(stat -L -c %i /proc/self/ns/pid) self=$$ "
            + "procs=$(ps -o pid= | wc -l) uid=$(id -u) map=$(cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')"
    }

    /// `level key=value ...` lines parsed: level -> key -> value.
    func levels(_ output: String) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 1)
            guard words.count == 2 else { continue }
            var fields: [String: String] = [:]
            // map= is last and may hold spaces.
            let text = String(words[1])
            let (head, map) = text.range(of: " map=").map { (String(text[..<$0.lowerBound]), String(text[$0.upperBound...])) } ?? (text, "")
            for pair in head.split(separator: " ") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            fields["map"] = map
            result[String(words[0])] = fields
        }
        return result
    }

    @Test func nsboxRunsInsideNsboxWithAndWithoutPidNamespacesAsRootAnd65534() throws {
        let hostUser = String(ourNamespace("user")), hostPID = String(ourNamespace("pid"))
        for (user, prefix) in bothUsers {
            let callerUID = user == "root" ? "0" : "65534"
            for withPID in [false, true] {
                let options = withPID ? ["-r", "-p", "-m", "--mount-proc"] : ["-r"]
                let inner = shellLine([NSBox.path, "run"] + options + ["--", "sh", "-c", describe("inner")])
                let result = try runCommand(prefix + [NSBox.path, "run"] + options + ["--", "sh", "-c", describe("outer") + "; " + inner])
                let label = "\(user) \(withPID ? "with -p" : "without -p")"
                #expect(result.status == 0, "\(label): \(result.stderr)")
                let seen = levels(result.stdout)
                let outer = try #require(seen["outer"], "\(label): \(result.stdout) \(result.stderr)")
                let nested = try #require(seen["inner"], "\(label): \(result.stdout) \(result.stderr)")
                // A new user namespace at each level, root in both; the inner map is relative
                // to the outer namespace (0 -> 0), which a sibling of the outer one would not be.
                #expect(outer["user"] != hostUser && nested["user"] != outer["user"] && nested["user"] != hostUser, "\(label)")
                #expect(outer["uid"] == "0" && nested["uid"] == "0", "\(label)")
                #expect(outer["map"] == "0 \(callerUID) 1" && nested["map"] == "0 0 1", "\(label): \(outer) \(nested)")
                if withPID {
                    // A pid namespace at each level, the shell pid 2 under its init, and only
                    // that level's processes in its /proc.
                    #expect(outer["pid"] != hostPID && nested["pid"] != outer["pid"] && nested["pid"] != hostPID, "\(label)")
                    #expect(outer["self"] == "2" && nested["self"] == "2", "\(label): \(outer) \(nested)")
                    #expect(outer["procs"] == "5" && nested["procs"] == "5", "\(label): \(outer) \(nested)")
                } else {
                    #expect(outer["pid"] == hostPID && nested["pid"] == hostPID, "\(label)")
                }
            }
        }
    }

    @Test(.requiresTool("ip", package: "iproute2")) func sandboxInsideSandboxAsRootAnd65534() throws {
        // --sandbox gives a private /tmp: the inner nsbox comes in through a read-only bind. The
        // command is uid 0 of its user namespace with no capabilities, and mapping that uid 0
        // into a new namespace needs CAP_SETFCAP (Linux 5.12): the outer sandbox gives it back.
        let directory = URL(fileURLWithPath: NSBox.path).deletingLastPathComponent().path
        let inner = shellLine(["/mnt/nsbox", "run", "--sandbox", "--hostname", "inner", "--", "sh", "-c", describe("inner") + "; hostname; ip -o link | wc -l"])
        for (user, prefix) in bothUsers {
            // Without it, the inner sandbox is refused, and says why.
            let refused = try runCommand(prefix + [NSBox.path, "run", "--sandbox", "--ro-bind", directory, "/mnt", "--", "sh", "-c", inner])
            #expect(refused.status == 125 && refused.stderr.contains("needs CAP_SETFCAP"), "\(user): \(refused.stderr)")
            let result = try runCommand(prefix + [NSBox.path, "run", "--sandbox", "--cap-add", "CAP_SETFCAP", "--hostname", "outer",
                "--ro-bind", directory, "/mnt", "--", "sh", "-c", describe("outer") + "; " + inner + "; hostname"])
            #expect(result.status == 0, "\(user): \(result.stderr)")
            let seen = levels(result.stdout)
            let outer = try #require(seen["outer"], "\(user): \(result.stdout) \(result.stderr)")
            let nested = try #require(seen["inner"], "\(user): \(result.stdout) \(result.stderr)")
            #expect(nested["user"] != outer["user"] && nested["pid"] != outer["pid"], "\(user)")
            #expect(outer["self"] == "2" && nested["self"] == "2" && outer["procs"] == "5" && nested["procs"] == "5", "\(user): \(outer) \(nested)")
            #expect(nested["map"] == "0 0 1", "\(user): \(nested)")
            // The inner hostname and lo only; the outer hostname is untouched by the inner one.
            #expect(result.stdout.hasSuffix("inner\n1\nouter\n"), "\(user): \(result.stdout)")
        }
    }
}

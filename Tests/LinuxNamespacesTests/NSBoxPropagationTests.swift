import Foundation
import Glibc
import Testing

/// `nsbox run -m --propagation`: the propagation of `/` the command finds, against the caller's
/// shared `/` (made shared inside a private mount namespace of the test's own, never the host's).
@Suite struct NSBoxPropagationTests {
    @Test func eachPropagationGivesTheCommandsRootWhatUnshareGivesAsRootAnd65534() throws {
        // Prints the optional fields (between the mount options and '-') of the caller's `/`,
        // then of the command's `/` for each choice, from nsbox and from unshare.
        let optional = "sed -n 's/^[0-9]* [0-9]* [^ ]* [^ ]* \\/ [^ ]* \\(.*\\)- .*/\\1/p' /proc/self/mountinfo"
        let choices = ["default", "unchanged", "private", "slave", "shared"]
        var script = "mount --make-shared /; echo \"caller $(\(optional))\"\n"
        for (user, prefix) in bothUsers {
            // Root without a user namespace; 65534 needs one.
            let namespaces = user == "root" ? "-m" : "-r -m"
            for choice in choices {
                let option = choice == "default" ? "" : "--propagation \(choice)"
                for (tool, line) in [("nsbox", "\(shellQuoted(NSBox.path)) run"), ("unshare", "unshare")] {
                    script += "echo \"\(user) \(choice) \(tool) $(\(shellLine(prefix)) \(line) \(namespaces) \(option) -- sh -c \(shellQuoted(optional)))\"\n"
                }
            }
        }
        let result = try runInPrivateMounts(script, ["true"])
        #expect(result.status == 0, "\(result.stderr)")
        var seen: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let key = words.prefix(while: { !$0.contains(":") && !$0.isEmpty }).joined(separator: " ")
            seen[key] = words.dropFirst(key.split(separator: " ").count).filter { !$0.isEmpty }.joined(separator: " ")
        }
        let caller = try #require(seen["caller"], "\(result.stdout)")
        let group = try #require(caller.hasPrefix("shared:") ? String(caller.dropFirst("shared:".count)) : nil, "caller: \(caller)")
        // Root's copy of the namespace keeps the peer group; 65534's new user namespace makes
        // the copy less privileged, which turns shared into slave (mount_namespaces(7)).
        let expected: [String: [String: String]] = [
            "root": ["default": "", "unchanged": "shared:\(group)", "private": "", "slave": "master:\(group)", "shared": "shared:\(group)"],
            "65534": ["default": "", "unchanged": "master:\(group)", "private": "", "slave": "master:\(group)", "shared": "shared:NEW master:\(group)"],
        ]
        /// A peer group other than the caller's is new: its number varies.
        func normalized(_ fields: String) -> String {
            fields.split(separator: " ").map { field in
                let parts = field.split(separator: ":")
                return parts.count == 2 && parts[1] != group ? "\(parts[0]):NEW" : String(field)
            }.joined(separator: " ")
        }
        for (user, _) in bothUsers {
            for choice in choices {
                let ours = seen["\(user) \(choice) nsbox"], theirs = seen["\(user) \(choice) unshare"]
                #expect(ours.map(normalized) == expected[user]?[choice], "\(user) \(choice): \(ours ?? "nothing") \(result.stderr)")
                #expect(ours.map(normalized) == theirs.map(normalized), "\(user) \(choice): nsbox \(ours ?? "-") unshare \(theirs ?? "-")")
            }
        }
    }

    @Test func unchangedLetsAMountInsideReachTheCallerAndPrivateDoesNot() throws {
        let scratch = ScratchDirectory()
        let target = scratch.sub("target")
        // Inside the test's own namespace: `/` shared, a tmpfs mounted by the command, and
        // whether the caller (the test's shell) sees it once the command says it mounted it.
        let script = """
            mount --make-shared /
            for choice in unchanged private; do
              \(shellQuoted(NSBox.path)) run -m --propagation $choice -- sh -c "mount -t tmpfs tmpfs $SCRATCH/target && touch $SCRATCH/mounted.$choice && exec sleep 5" &
              for i in $(seq 500); do [ -e $SCRATCH/mounted.$choice ] && break; sleep 0.01; done
              grep -q " $SCRATCH/target " /proc/self/mountinfo && echo "$choice seen" || echo "$choice unseen"
              kill $! 2>/dev/null || true; wait $! 2>/dev/null || true
              umount $SCRATCH/target 2>/dev/null || true
            done
            """
        let result = try runInPrivateMounts(script, ["true"], scratch: scratch)
        #expect(result.stdout == "unchanged seen\nprivate unseen\n", "\(result.stdout) \(result.stderr)")
        #expect(!hostMountinfo().contains(" \(target) "), "the tmpfs reached the runner")
    }
}

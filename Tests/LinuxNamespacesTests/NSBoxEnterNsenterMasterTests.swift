import Foundation
import Glibc
import Testing

/// Three things `nsbox enter` does as util-linux master's nsenter does (issue 18): what
/// `--keep-caps` keeps, `-U` into a namespace whose setgroups is "deny", and `-a` re-entering
/// the namespaces the target shares with us. Compared with nsenter 2.38 where it has the option.
@Suite struct NSBoxEnterNsenterMasterTests {
    /// CapInh, CapPrm, CapEff, CapAmb and CapBnd of the command `nsbox enter WORDS` runs.
    func capabilities(_ words: [String], unprivileged: Bool = false) throws -> [String] {
        let result = try runCommand((unprivileged ? asUnprivileged : []) + [NSBox.path, "enter"] + words
            + ["--", "grep", "-E", "^Cap(Inh|Prm|Eff|Amb|Bnd)", "/proc/self/status"])
        #expect(result.status == 0, "\(words): \(result.stderr)")
        let values = Dictionary(uniqueKeysWithValues: result.stdout.split(separator: "\n").map {
            let parts = $0.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        })
        return ["CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"].map { values[$0] ?? "?" }
    }

    @Test func keepCapsKeepsWhatIsPermittedAfterTheIDsChangeAsNsenterMaster() throws {
        // ids 0 to 1999 mapped to themselves (the compat script's "nsenter --keep-caps" target).
        let target = try TargetProcess(["unshare", "-U", "-u", "sleep", "60"], differingIn: ["user", "uts"])
        for file in ["uid_map", "gid_map"] {
            try "0 0 2000\n".write(toFile: "/proc/\(target.pid)/\(file)", atomically: false, encoding: .utf8)
        }
        let t = String(target.pid), none = "0000000000000000"
        // Negative control: uid 0 inside with another namespace entered keeps them all (inheritable
        // and ambient too), so the checks below can see a kept set.
        let kept = try capabilities(["-t", t, "-U", "-u", "--keep-caps"])
        let full = kept[4]
        #expect(full != none && kept == [full, full, full, full, full], "\(kept)")
        #expect(try capabilities(["-t", t, "-U", "-u"]) == [none, full, full, none, full])
        // setuid(1000) from uid 0 empties the permitted set first (capabilities(7)): nothing to keep.
        for words in [["-U", "-S", "1000", "-G", "1000", "--keep-caps"], ["-U", "-u", "-S", "1000", "-G", "1000", "--keep-caps"]] {
            #expect(try capabilities(["-t", t] + words) == [none, none, none, none, full], "\(words)")
        }
        // The user namespace alone: nsenter enters it in its first pass and keeps nothing more.
        #expect(try capabilities(["-t", t, "-U", "--keep-caps"]) == [none, full, full, none, full])
    }

    @Test func keepCapsKeepsTheCapabilitiesOf65534WithPreservedCredentials() throws {
        let target = try TargetProcess(asUnprivileged + ["unshare", "-U", "-r", "-u", "sleep", "60"], differingIn: ["user", "uts"])
        let words = ["-t", String(target.pid), "-U", "-u", "--preserve-credentials"], none = "0000000000000000"
        let kept = try capabilities(words + ["--keep-caps"], unprivileged: true)
        #expect(kept[3] != none && kept[3] == kept[1] && kept[0] == kept[1], "\(kept)")
        // Negative controls: without --keep-caps, and with the user namespace alone.
        #expect(try capabilities(words, unprivileged: true)[3] == none)
        #expect(try capabilities(["-t", String(target.pid), "-U", "--preserve-credentials", "--keep-caps"], unprivileged: true)[3] == none)
    }

    @Test func enteringASetgroupsDenyNamespaceAs65534NeedsPreservedCredentialsAsNsenter() throws {
        let target = try TargetProcess(asUnprivileged + ["unshare", "-U", "-r", "sleep", "60"], differingIn: ["user"])
        let t = String(target.pid)
        let refused = try NSBox.runUnprivileged("enter", "-t", t, "-U", "true")
        #expect(refused.status == 125)
        #expect(refused.stderr == "nsbox: setgroups: EPERM (Operation not permitted): failed during the set-up; the joined user namespace refuses setgroups "
            + "(its setgroups file says deny, as unshare -r writes it, or it has no gid map) and dropping the supplementary groups before joining needs "
            + "CAP_SETGID: keep the credentials (preserveCredentials; nsbox enter --preserve-credentials)\n")
        let theirs = try runCommand(asUnprivileged + ["nsenter", "-t", t, "-U", "true"])
        #expect(theirs.status == 1 && theirs.stderr.contains("setgroups failed"), "\(theirs.stderr)")
        // Negative control: with the credentials kept it runs (nsenter too).
        let preserved = try NSBox.runUnprivileged("enter", "-t", t, "-U", "--preserve-credentials", "id", "-u")
        #expect(preserved.status == 0 && preserved.stdout == "0\n", "\(preserved.stderr)")
        #expect(try runCommand(asUnprivileged + ["nsenter", "-t", t, "-U", "--preserve-credentials", "true"]).status == 0)
    }

    @Test func rootDropsItsGroupsBeforeEnteringASetgroupsDenyNamespaceAsNsenter() throws {
        let target = try TargetProcess(asUnprivileged + ["unshare", "-U", "-r", "sleep", "60"], differingIn: ["user"])
        let groups = ["setpriv", "--groups=5,7"], show = ["--", "grep", "^Groups", "/proc/self/status"]
        let ours = try runCommand(groups + [NSBox.path, "enter", "-t", String(target.pid), "-U"] + show)
        let theirs = try runCommand(groups + ["nsenter", "-t", String(target.pid), "-U"] + show)
        #expect(ours.status == 0 && ours.stdout == theirs.stdout && !ours.stdout.contains("65534"), "\(ours.stdout) \(ours.stderr)")
        // Negative control: the groups are there to drop (and would show as 65534 inside).
        let kept = try runCommand(groups + [NSBox.path, "enter", "-t", String(target.pid), "-U", "--preserve-credentials"] + show)
        #expect(kept.stdout.contains("65534 65534"), "\(kept.stdout) \(kept.stderr)")
    }

    @Test func allReentersTheNamespacesTheTargetSharesWithUsAsNsenter() throws {
        // New user, net and uts namespaces; mnt, ipc, pid, cgroup and time are ours.
        let target = try TargetProcess(asUnprivileged + ["unshare", "-U", "-r", "-n", "-u", "sleep", "60"], differingIn: ["user", "net", "uts"])
        let t = String(target.pid)
        // As 65534 the joined user namespace gives no capability over ours: EPERM, as nsenter.
        let ours = try NSBox.runUnprivileged("enter", "--preserve-credentials", "-t", t, "-a", "true")
        #expect(ours.status == 125 && ours.stderr.hasPrefix("nsbox: setns(") && ours.stderr.contains("EPERM")
            && ours.stderr.contains("it is the caller's own") && ours.stderr.hasSuffix("name the namespaces to enter instead)\n"), "\(ours.stderr)")
        let theirs = try runCommand(asUnprivileged + ["nsenter", "--preserve-credentials", "-t", t, "-a", "true"])
        #expect(theirs.status == 1 && theirs.stderr.contains("Operation not permitted"), "\(theirs.stderr)")
        // Negative control: the kinds that differ, named, are entered.
        let named = try NSBox.runUnprivileged("enter", "--preserve-credentials", "-t", t, "-U", "-n", "-u", "--", "stat", "-L", "-c", "%i", "/proc/self/ns/net")
        #expect(named.status == 0 && named.stdout == "\(target.namespace("net")!)\n", "\(named.stderr)")
        // As root the shared ones are re-entered too: entering our own mount namespace moves
        // the working directory to its root, as with nsenter.
        let script = ["--", "sh", "-c", "pwd; readlink /proc/self/ns/net"]
        let cd = ["sh", "-c", "cd /tmp && exec \"$@\"", "-"]
        let root = try runCommand(cd + [NSBox.path, "enter", "-t", t, "-a"] + script)
        let rootTheirs = try runCommand(cd + ["nsenter", "-t", t, "-a"] + script)
        #expect(root.status == 0 && root.stdout == "/\nnet:[\(target.namespace("net")!)]\n" && root.stdout == rootTheirs.stdout, "\(root.stdout) \(root.stderr)")
    }
}

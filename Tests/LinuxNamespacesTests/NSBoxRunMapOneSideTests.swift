import Testing

/// `--map-user` without `--map-group` (and the reverse), with neither `-r` nor `-c`, maps that
/// side only, as unshare does (2.38 and master alike): the other map stays unwritten, and
/// `--map-group` alone is written with setgroups denied.
@Suite struct NSBoxRunMapOneSideTests {
    @Test(arguments: [["--map-user=0"], ["--map-group=0"], ["--map-user=5", "-p", "-f", "--mount-proc"], ["--map-user=0", "--setgroups", "deny"]],
        [false, true])
    func oneSideAloneIsMappedAsUnshareMapsIt(words: [String], unprivileged: Bool) throws {
        let show = ["sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups"]
        let prefix = unprivileged ? asUnprivileged : []
        let theirs = try runCommand(prefix + ["unshare"] + words + show)
        let ours = try runCommand(prefix + [NSBox.path, "run"] + words + show)
        #expect(theirs.status == 0 && ours.status == 0 && ours.stdout == theirs.stdout, "\(ours.stdout) \(ours.stderr) | \(theirs.stdout)")
        // Never both maps: the side not asked for stays empty.
        let lines = ours.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5, "\(ours.stdout)")
    }
}

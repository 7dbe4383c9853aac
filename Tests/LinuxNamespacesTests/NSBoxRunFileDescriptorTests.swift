import Glibc
import Testing

/// `nsbox run` and `nsbox enter` pass the caller's inherited fds to the command as unshare and
/// nsenter do; `--close-fds` and `--sandbox` leave it 0, 1 and 2 only.
@Suite struct NSBoxRunFileDescriptorTests {
    /// Closes every fd above 2 it was given (the runner's), opens fd 4 on a fifo with a line
    /// in it and fd 7 on /dev/null, then runs `tool...` with a bash that reads fd 4 and becomes
    /// an `ls` of its own fds (3 is ls's directory): none of the tool's own may be among them.
    static let script = """
        for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done
        fifo=$1; shift
        exec 4<>"$fifo" 7</dev/null
        echo hello >&4
        "$@" bash -c 'read -t 5 -u 4 line; echo "read:$line"; exec ls /proc/self/fd'
        """

    /// The script's output with `tool` as the runner, as root or as 65534.
    func run(_ tool: [String], unprivileged: Bool, scratch: ScratchDirectory) throws -> CommandResult {
        let fifo = scratch.path + "/fifo"
        unlink(fifo)
        mkfifo(fifo, 0o666)
        chmod(fifo, 0o666)
        return try runCommand((unprivileged ? asUnprivileged : []) + ["bash", "-c", Self.script, "bash", fifo] + tool)
    }

    @Test(arguments: [["-r"], ["-r", "-f"], ["-r", "-p", "-f", "--mount-proc"], ["-rmuin"], ["-U", "-C", "-f"]], [false, true])
    func inheritedFdsReachTheCommandAsWithUnshare(options: [String], unprivileged: Bool) throws {
        let scratch = ScratchDirectory()
        let theirs = try run(["unshare"] + options + ["--"], unprivileged: unprivileged, scratch: scratch)
        let ours = try run([NSBox.path, "run"] + options + ["--"], unprivileged: unprivileged, scratch: scratch)
        #expect(theirs.status == 0 && theirs.stdout.contains("read:hello\n") && theirs.stdout.hasSuffix("\n3\n4\n7\n"), "\(theirs)")
        #expect(ours.status == theirs.status && ours.stdout == theirs.stdout, "\(options): \(ours.stdout) \(ours.stderr)")
    }

    @Test(arguments: [["-r", "--close-fds"], ["-r", "-f", "--close-fds"], ["--sandbox"]], [false, true])
    func closeFdsAndSandboxLeaveOnlyTheStandardThree(options: [String], unprivileged: Bool) throws {
        let scratch = ScratchDirectory()
        let ours = try run([NSBox.path, "run"] + options + ["--"], unprivileged: unprivileged, scratch: scratch)
        #expect(ours.status == 0 && ours.stdout == "read:\n0\n1\n2\n3\n", "\(options): \(ours.stdout) \(ours.stderr)")
    }

    @Test(.requiresTool("nsenter", package: "util-linux")) func enterPassesInheritedFdsAsNsenterDoes() throws {
        let target = try TargetProcess(["unshare", "-Urn", "sleep", "60"], differingIn: ["net", "user"])
        defer { target.kill() }
        let scratch = ScratchDirectory()
        let join = ["-t", String(target.pid), "-U", "-n", "--"]
        let theirs = try run(["nsenter"] + join, unprivileged: false, scratch: scratch)
        let ours = try run([NSBox.path, "enter"] + join, unprivileged: false, scratch: scratch)
        #expect(theirs.status == 0 && theirs.stdout.contains("read:hello\n") && theirs.stdout.hasSuffix("\n3\n4\n7\n"), "\(theirs)")
        #expect(ours.status == theirs.status && ours.stdout == theirs.stdout, "\(ours.stdout) \(ours.stderr)")
    }
}

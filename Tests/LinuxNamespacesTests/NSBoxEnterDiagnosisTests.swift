import Foundation
import Glibc
import Testing

/// `nsbox enter -t PID -a` names the real cause where it cannot enter, and runs the command
/// where there is nothing to enter, as nsenter does (which exits 1 where we exit 125).
@Suite struct NSBoxEnterDiagnosisTests {
    /// A pid that no process has: one just reaped.
    func deadPID() throws -> Int32 {
        let gone = try TargetProcess(["sleep", "60"], differingIn: [])
        let pid = gone.pid
        gone.kill()
        return pid
    }

    @Test func aMissingProcessIsNamedAsSuchAsRootAnd65534() throws {
        let pid = try deadPID()
        for run in [{ try NSBox.run($0) }, { try NSBox.runUnprivileged($0) }] as [([String]) throws -> CommandResult] {
            let ours = try run(["enter", "-t", "\(pid)", "-a", "true"])
            #expect(ours.status == 125, "\(ours.stderr)")
            #expect(ours.stderr == "nsbox: inspect pid \(pid): ENOENT (No such file or directory): no such process; check the pid (it may have exited)\n")
        }
        let theirs = try runCommand(["nsenter", "-t", "\(pid)", "-a", "true"])
        #expect(theirs.status == 1 && theirs.stderr.contains("No such file or directory"), "\(theirs.stderr)")
    }

    @Test func aZombieIsNamedAsSuch() throws {
        // sleep 0 ends as the child of a sleep that never reaps it.
        let parent = try TargetProcess(["sh", "-c", "sleep 0 & exec sleep 60"], differingIn: []) { pid in
            comm(pid) == "sleep" && firstChild(of: pid).map { (try? String(contentsOfFile: "/proc/\($0)/stat", encoding: .utf8))?.contains(") Z ") == true } == true
        }
        let zombie = try #require(firstChild(of: parent.pid))
        let result = try NSBox.run("enter", "-t", "\(zombie)", "-a", "true")
        #expect(result.status == 125 && result.stderr.contains("ENOENT (No such file or directory): the process has exited (a zombie"), "\(result.stderr)")
    }

    @Test func namespacesAnOrdinaryUserMayNotReadAreNamedAsSuch() throws {
        let target = try TargetProcess(["unshare", "--net", "sleep", "60"], differingIn: ["net"])
        let ours = try NSBox.runUnprivileged("enter", "-t", "\(target.pid)", "-a", "true")
        #expect(ours.status == 125)
        #expect(ours.stderr.contains("EACCES (Permission denied): cannot read the namespaces of process \(target.pid)"), "\(ours.stderr)")
        #expect(ours.stderr.contains("needs ptrace access"), "\(ours.stderr)")
        #expect(!ours.stderr.contains("nothing to enter"))
        let theirs = try runCommand(asUnprivileged + ["nsenter", "-t", "\(target.pid)", "-a", "true"])
        #expect(theirs.status == 1 && theirs.stderr.contains("Permission denied"), "\(theirs.stderr)")
    }

    @Test func nothingDifferentRunsTheCommandAsNsenterDoes() throws {
        // A process of ours in every namespace we are in.
        let twin = try TargetProcess(["sleep", "60"], differingIn: [])
        let script = "echo ran; for k in net uts ipc mnt pid user cgroup; do stat -L -c %i /proc/self/ns/$k; done"
        let ours = try NSBox.run("enter", "-t", "\(twin.pid)", "-a", "--", "sh", "-c", script)
        let theirs = try runCommand(["nsenter", "-t", "\(twin.pid)", "-a", "--", "sh", "-c", script])
        #expect(ours.status == 0 && theirs.status == 0, "\(ours.stderr) \(theirs.stderr)")
        #expect(ours.stdout == theirs.stdout && ours.stdout.hasPrefix("ran\n"))
        // As 65534, nsenter re-enters our own namespaces and the kernel says EPERM; we leave
        // them alone (a documented superset) and run the command.
        let mine = try TargetProcess(asUnprivileged + ["sleep", "60"], differingIn: [])
        let unprivileged = try NSBox.runUnprivileged("enter", "-t", "\(mine.pid)", "-a", "--", "sh", "-c", "echo ran; id -u")
        #expect(unprivileged.status == 0 && unprivileged.stdout == "ran\n65534\n", "\(unprivileged.stderr)")
        let nsenter = try runCommand(asUnprivileged + ["nsenter", "-t", "\(mine.pid)", "-a", "true"])
        #expect(nsenter.status == 1 && nsenter.stderr.contains("Operation not permitted"), "\(nsenter.stderr)")
    }

    @Test func noNamespaceAtAllIsRefused() throws {
        let result = try NSBox.run("enter", "true")
        #expect(result.status == 125)
        #expect(result.stderr.hasPrefix("nsbox: nothing to enter: no namespace specified"), "\(result.stderr)")
    }

    @Test func unknownOptionsAreNeverHiddenBehindAMissingNamespace() throws {
        for (arguments, message) in [
            (["--net-socket", "3", "--bogus", "true"], "unknown option '--bogus'"),
            (["-N", "3", "-x", "true"], "unknown option '-x'"),
            (["--net-socket", "3", "true"], "no target PID specified"),
            (["-t"], "missing value for '-t PID[:INODE]'"),
            (["--target"], "missing value for '--target PID[:INODE]'"),
            (["--all=1", "true"], "option '--all' takes no value"),
            (["--n", "true"], "option '--n' is ambiguous"),
            (["-t", "1", "-t", "1", "true"], "option --target may be given only once"),
            (["-t", "1x", "true"], "failed to parse PID argument '1x'"),
            (["-S", "x", "-t", "1", "-n", "true"], "failed to parse uid: 'x'"),
            (["-w/", "-W/", "true"], "mutually exclusive arguments: --wd --wdns"),
            (["-t", "1", "-p", "-F", "--mount-proc", "true"], "--mount-proc with -F/--no-fork would mount the /proc of the pid namespace we are in"),
        ] {
            let result = try NSBox.run(["enter"] + arguments)
            #expect(result.status == 125 && result.stderr.hasPrefix("nsbox: \(message)"), "\(arguments): \(result.stderr)")
        }
    }

    @Test func randomOptionWordsNeverCrashAndFailOnOneLine() throws {
        let target = try TargetProcess(["unshare", "--uts", "sleep", "60"], differingIn: ["uts"])
        let t = String(target.pid)
        let vocabulary = [
            "-a", "-t", t, "-t\(t)", "-n", "-U", "-p", "-m", "-u", "--net", "--net=", "--uts=/proc/\(t)/ns/uts", "-N", "3", "-N-1",
            "-S", "follow", "-G", "x", "--setuid=4294967296", "-r", "-w", "-W/", "--root=/", "--wd=/nonexistent", "-e", "-F", "-c", "-Z",
            "--", "true", "-", "--ns", "net=x", "nett=y", "--user-parent", "--keep-caps", "--mount-proc", "--mount-proc=/tmp", "--json",
            "--bogus", "-x", "--n", "--tar", "=", "-tx", "\u{1b}[1m", "", "-aUn", "-Sfollow", "--preserve-credentials", "--die-with-parent",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<150 {
            let words = (0..<Int.random(in: 0...7, using: &generator)).map { _ in vocabulary.randomElement(using: &generator)! }
            let result = try runCommand(["env", "NSBOX_PRINT_PLAN=1", NSBox.path, "enter"] + words)
            #expect(!result.signalled && [0, 125].contains(result.status), "\(words): \(result.status) \(result.stderr)")
            if result.status == 125 {
                #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.hasSuffix("\n")
                    && (result.stderr.hasPrefix("nsbox: ") || result.stderr.hasPrefix("{\"error\": ")), "\(words): \(result.stderr)")
            }
        }
    }
}

import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// nsenter master's options through `nsbox enter`: compared with util-linux's nsenter (2.38
/// here) where it has them, output and status; the newer ones asserted as documented.
@Suite struct NSBoxEnterOptionsTests {
    /// nsbox and nsenter with the same words, from `directory`.
    func both(_ arguments: [String], in directory: String = "/") throws -> (ours: CommandResult, theirs: CommandResult) {
        let cd = ["sh", "-c", "cd \"$0\" && exec \"$@\"", directory]
        return (try runCommand(cd + [NSBox.path, "enter"] + arguments), try runCommand(cd + ["nsenter"] + arguments))
    }

    @Test func everyKindOptionInEveryFormAsNsenterAsRootAnd65534() throws {
        let kinds: [(letter: String, long: String, file: String)] = [
            ("m", "mount", "mnt"), ("u", "uts", "uts"), ("i", "ipc", "ipc"), ("n", "net", "net"), ("p", "pid", "pid"),
            ("C", "cgroup", "cgroup"), ("T", "time", "time"), ("U", "user", "user"),
        ]
        for unprivileged in [false, true] {
            let prefix = unprivileged ? asUnprivileged : []
            let target = try TargetProcess(
                prefix + ["unshare", "-U", "-r", "-m", "-u", "-i", "-n", "-p", "-f", "--kill-child", "-C", "-T", "sleep", "60"],
                differingIn: [], ready: childSleeps)
            let sleeper = String(try #require(firstChild(of: target.pid)))
            // As 65534 the user namespace comes first (it grants the rest), credentials kept
            // (nsenter's setgroups would fail there without); time and pid apply to children.
            let extra = unprivileged ? ["-U", "--preserve-credentials"] : []
            for kind in kinds {
                let show = kind.file == "time" ? "time_for_children" : kind.file
                let forms = [["-\(kind.letter)"], ["--\(kind.long)"], ["--\(kind.long)=/proc/\(sleeper)/ns/\(kind.file)"],
                             ["-\(kind.letter)/proc/\(sleeper)/ns/\(kind.file)"]]
                for form in forms {
                    let words = ["-t", sleeper] + (kind.file == "user" ? extra.dropFirst() : extra[...]) + form + ["--", "readlink", "/proc/self/ns/\(show)"]
                    let ours = try runCommand(prefix + [NSBox.path, "enter"] + words)
                    let theirs = try runCommand(prefix + ["nsenter"] + words)
                    #expect(ours.status == 0 && ours.stdout == theirs.stdout && ours.stdout == "\(kind.file):[\(inode("/proc/\(sleeper)/ns/\(kind.file)")!)]\n",
                        "\(unprivileged) \(words): \(ours.stdout) \(ours.stderr) | \(theirs.stdout) \(theirs.stderr)")
                }
            }
        }
    }

    @Test func rootAndWorkingDirectoriesWithOptionalValuesAsNsenter() throws {
        let scratch = ScratchDirectory()
        let inside = scratch.sub("inside")
        mkdir(inside + "/etc", 0o755)
        FileManager.default.createFile(atPath: inside + "/marker", contents: Data("in\n".utf8))
        let target = try TargetProcess(["sh", "-c", "cd \"$0\" && exec unshare --mount sleep 60", inside], differingIn: ["mnt"])
        let t = String(target.pid)
        let cases: [[String]] = [
            ["-t", t, "-m", "-w", "--", "pwd"], ["-t", t, "-m", "-r", "--", "pwd"], ["-t", t, "-m", "-r", "-w", "--", "pwd"],
            ["-t", t, "-m", "-W/usr", "--", "pwd"], ["-t", t, "-m", "--wdns=/etc", "--", "pwd"], ["-t", t, "-m", "--wd=/usr", "--", "pwd"],
            ["-t", t, "-m", "-r\(inside)", "-W/", "--", "/bin/pwd"], ["-t", t, "-m", "--root=\(inside)", "--", "/bin/pwd"],
            ["-t", t, "-m", "-r", "/tmp", "pwd"], ["-t", t, "-m", "-F", "--", "pwd"], ["-t", t, "--mount", "--wd", "pwd"],
        ]
        for arguments in cases {
            let (ours, theirs) = try both(arguments, in: "/tmp")
            #expect(ours.stdout == theirs.stdout && ours.status == theirs.status, "\(arguments): \(ours.stderr) | \(theirs.stderr)")
        }
        // The root a directory of ours: the command sees only what is in it.
        let rooted = try NSBox.run("enter", "-t", t, "-m", "-r\(inside)", "-W/", "--", "/bin/sh", "-c", "echo x")
        #expect(rooted.status == 127, "\(rooted.stderr)")
    }

    @Test func noForkLeavesTheCommandOutsideThePidNamespaceAsNsenter() throws {
        let target = try TargetProcess(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "sleep", "60"], differingIn: [], ready: childSleeps)
        let sleeper = try #require(firstChild(of: target.pid))
        // A child's pid namespace, then the command's own (exec: no child).
        let script = "readlink /proc/self/ns/pid; exec readlink /proc/self/ns/pid"
        let forked = try both(["-t", "\(sleeper)", "-p", "--", "sh", "-c", script])
        let notForked = try both(["-t", "\(sleeper)", "-p", "-F", "--", "sh", "-c", script])
        #expect(forked.ours.stdout == forked.theirs.stdout && forked.ours.status == 0, "\(forked.ours.stderr)")
        #expect(notForked.ours.stdout == notForked.theirs.stdout && notForked.ours.status == 0, "\(notForked.ours.stderr)")
        let lines = notForked.ours.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0] != lines[1] && forked.ours.stdout == "\(lines[0])\n\(lines[0])\n", "\(lines)")
        #expect(lines.last.map(String.init) == "pid:[\(ourNamespace("pid"))]")
    }

    @Test func mountProcShowsTheEnteredPidNamespaceAsRootAnd65534() throws {
        for unprivileged in [false, true] {
            let prefix = unprivileged ? asUnprivileged + ["unshare", "-U", "-r"] : ["unshare"]
            let target = try TargetProcess(prefix + ["--pid", "--fork", "--kill-child", "sleep", "60"], differingIn: [], ready: childSleeps)
            let sleeper = try #require(firstChild(of: target.pid))
            let mountsBefore = try String(contentsOfFile: "/proc/\(sleeper)/mountinfo", encoding: .utf8)
            let run = unprivileged ? NSBox.runUnprivileged : NSBox.run
            // As 65534 credentials kept: nsenter's setgroups fails in a -r namespace.
            let kinds = unprivileged ? ["-U", "-p", "--preserve-credentials"] : ["-p"]
            let script = "echo $$; ls /proc | grep -c '^[0-9]'"
            let fresh = try run(["enter", "-t", "\(sleeper)"] + kinds + ["--mount-proc", "--", "sh", "-c", script])
            // The command is pid 2 there (the sleeper is 1), and /proc shows those two and ls.
            #expect(fresh.status == 0 && fresh.stdout.hasPrefix("2\n"), "\(unprivileged): \(fresh.stderr)")
            #expect(Int(fresh.stdout.split(separator: "\n").last ?? "") ?? 99 <= 4, "\(fresh.stdout)")
            // Without it, the host's /proc: many more processes.
            let old = try run(["enter", "-t", "\(sleeper)"] + kinds + ["--", "sh", "-c", script])
            #expect(Int(old.stdout.split(separator: "\n").last ?? "") ?? 0 > 4, "\(old.stdout) \(old.stderr)")
            // Nothing was mounted where the target or we would see it.
            #expect(try String(contentsOfFile: "/proc/\(sleeper)/mountinfo", encoding: .utf8) == mountsBefore)
            let at = try run(["enter", "-t", "\(sleeper)"] + kinds + ["--mount-proc=/tmp", "--", "sh", "-c", "ls /tmp | grep -c '^[0-9]'"])
            #expect(at.status == 0 && (Int(at.stdout.dropLast()) ?? 99) <= 4, "\(at.stdout) \(at.stderr)")
        }
        // Negative control: the check above sees a mount made in the target's mount namespace.
        let target = try TargetProcess(["unshare", "--mount", "--propagation", "private", "sleep", "60"], differingIn: ["mnt"])
        let before = try String(contentsOfFile: "/proc/\(target.pid)/mountinfo", encoding: .utf8)
        #expect(try runCommand(["nsenter", "-t", "\(target.pid)", "-m", "mount", "-t", "tmpfs", "x", "/mnt"]).status == 0)
        #expect(try String(contentsOfFile: "/proc/\(target.pid)/mountinfo", encoding: .utf8) != before)
    }

    @Test func environmentAndIdsOfTheTarget() throws {
        let target = try TargetProcess(
            ["env", "-i", "NSBOX_MARK=\(getpid())", "PATH=/usr/bin:/bin", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "unshare", "-U", "-r", "--net", "sleep", "60"], differingIn: ["net"])
        let t = String(target.pid)
        let env = try NSBox.run("enter", "-t", t, "-n", "-e", "--", "/usr/bin/env")
        #expect(env.status == 0 && env.stdout.split(separator: "\n").sorted() == ["NSBOX_MARK=\(getpid())", "PATH=/usr/bin:/bin"], "\(env.stdout) \(env.stderr)")
        let ids = try NSBox.run("enter", "-t", t, "-n", "-S", "follow", "-G", "follow", "--", "sh", "-c", "id -u; id -g")
        #expect(ids.stdout == "65534\n65534\n", "\(ids.stderr)")
        let numeric = try both(["-t", t, "-n", "-S", "42", "-G", "43", "--", "sh", "-c", "id -u; id -g; id -G"])
        #expect(numeric.ours.stdout == numeric.theirs.stdout && numeric.ours.stdout == "42\n43\n43\n", "\(numeric.ours.stderr)")
    }

    @Test func userParentAndKeepCaps() throws {
        let target = try TargetProcess(
            asUnprivileged + ["unshare", "-U", "-r", "unshare", "-U", "-r", "--net", "sleep", "60"], differingIn: ["user", "net"])
        let t = String(target.pid)
        // The parent as NS_GET_PARENT gives it (--user-parent uses NS_GET_USERNS).
        let handle = try NamespaceHandle.open(path: FilePath("/proc/\(target.pid)/ns/user"))
        let outer = try handle.parent().id().inode
        let parent = try NSBox.runUnprivileged("enter", "-t", t, "--user-parent", "--preserve-credentials", "--", "stat", "-L", "-c", "%i", "/proc/self/ns/user")
        #expect(parent.status == 0 && parent.stdout == "\(outer)\n", "\(parent.stderr)")
        #expect(target.namespace("user") != outer)
        // (With the user namespace alone nsenter's --keep-caps keeps nothing: see NSBoxEnterNsenterMasterTests.)
        let kept = try NSBox.runUnprivileged("enter", "-t", t, "-U", "-n", "--preserve-credentials", "--keep-caps", "--", "grep", "CapAmb", "/proc/self/status")
        let plain = try NSBox.runUnprivileged("enter", "-t", t, "-U", "-n", "--preserve-credentials", "--", "grep", "CapAmb", "/proc/self/status")
        #expect(kept.status == 0 && !kept.stdout.hasSuffix("\t0000000000000000\n"), "\(kept.stdout) \(kept.stderr)")
        #expect(plain.stdout.hasSuffix("\t0000000000000000\n"), "\(plain.stdout)")
    }

    @Test func followContextIsAcceptedWithoutSELinux() throws {
        let target = try TargetProcess(["unshare", "--uts", "sleep", "60"], differingIn: ["uts"])
        let (ours, theirs) = try both(["-t", "\(target.pid)", "-u", "-Z", "--", "true"])
        #expect(ours.status == 0, "\(ours.stderr)")
        if access("/sys/fs/selinux/enforce", F_OK) != 0 { #expect(theirs.status == 0, "\(theirs.stderr)") }
    }

    @Test func joinCgroupMovesIntoTheTargetsCgroupOnV2Only() throws {
        let target = try TargetProcess(["unshare", "--uts", "sleep", "60"], differingIn: ["uts"])
        let result = try NSBox.run("enter", "-t", "\(target.pid)", "-u", "-c", "--", "cat", "/proc/self/cgroup")
        if access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 {
            let theirs = try String(contentsOfFile: "/proc/\(target.pid)/cgroup", encoding: .utf8)
            #expect(result.status == 0 && result.stdout == theirs, "\(result.stderr)")
        } else {
            // cgroup v1 or hybrid (this machine): nsenter master refuses with these words.
            #expect(result.status == 125 && result.stderr == "nsbox: --join-cgroup is only supported in cgroup v2\n", "\(result.stderr)")
        }
    }

    @Test(.requiresTool("python3", package: "python3"))
    func netSocketEntersTheNetworkNamespaceOfAForeignSocket() throws {
        // A process in our network namespace holding, as fd 5, a socket made in another one.
        let netns = try TargetProcess(["unshare", "--net", "sleep", "60"], differingIn: ["net"])
        let foreign = try #require(netns.namespace("net"))
        let holder = try TargetProcess(["/usr/bin/python3", "-c", socketHolder, "/proc/\(netns.pid)/ns/net"], differingIn: []) { pid in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/5"))?.hasPrefix("socket:") == true
        }
        #expect(inode("/proc/\(holder.pid)/ns/net") != foreign)
        for arguments in [["--net-socket", "5"], ["-N5", "-n"], ["-N", "5"]] {
            let result = try NSBox.run(["enter", "-t", "\(holder.pid)"] + arguments + ["--", "stat", "-L", "-c", "%i", "/proc/self/ns/net"])
            #expect(result.status == 0 && result.stdout == "\(foreign)\n", "\(arguments): \(result.stderr)")
        }
        let notSocket = try NSBox.run("enter", "-t", "\(holder.pid)", "-N", "0", "true")
        #expect(notSocket.status == 125 && notSocket.stderr.contains("fd 0 is not a socket"), "\(notSocket.stderr)")
        let noFD = try NSBox.run("enter", "-t", "\(holder.pid)", "-N", "77", "true")
        #expect(noFD.status == 125 && noFD.stderr.contains("EBADF"), "\(noFD.stderr)")
    }

    @Test(.requiresTool("python3", package: "python3"))
    func netSocketAs65534InItsOwnUserNamespace() throws {
        let holder = try TargetProcess(
            asUnprivileged + ["unshare", "-U", "-r", "--net", "/usr/bin/python3", "-c", socketHolder, "/proc/self/ns/net"],
            differingIn: ["net"]) { pid in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/5"))?.hasPrefix("socket:") == true
        }
        let result = try NSBox.runUnprivileged("enter", "-t", "\(holder.pid)", "-U", "--preserve-credentials", "-N", "5", "--", "stat", "-L", "-c", "%i", "/proc/self/ns/net")
        #expect(result.status == 0 && result.stdout == "\(holder.namespace("net")!)\n", "\(result.stderr)")
    }
}

/// Python that enters the network namespace file argv[1], makes a UDP socket there, comes
/// back, keeps the socket as fd 5 and sleeps.
private let socketHolder = """
    import ctypes, os, socket, sys, time
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    other = os.open(sys.argv[1], os.O_RDONLY)
    assert libc.setns(other, 0x40000000) == 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    assert libc.setns(own, 0x40000000) == 0
    os.dup2(s.fileno(), 5)
    time.sleep(60)
    """

/// Whether the first child of `pid` runs sleep (a target made with `unshare --fork`).
private func childSleeps(_ pid: Int32) -> Bool {
    firstChild(of: pid).map { comm($0) == "sleep" && hasCommandLine($0) } ?? false
}

import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// The nsbox binary end to end, as root and as uid 65534, against util-linux where it exists.
@Suite struct NSBoxTests {
    @Test func theReadmeCommandWorksAsRootAndUnprivileged() throws {
        for run in [{ try NSBox.run($0) }, { try NSBox.runUnprivileged($0) }] as [([String]) throws -> CommandResult] {
            let result = try run(["run", "--user", "--map-root-user", "--pid", "--mount-proc", "--", "sh", "-c", "id -u; ps -o pid= | wc -l"])
            #expect(result.status == 0, "\(result.stderr)")
            // root inside; ps sees the init, sh, ps and wc: nothing of the host.
            #expect(result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) } == ["0", "4"], "\(result.stdout)")
        }
    }

    /// `--mount-proc` without `-p` mounts /proc all the same, as unshare does; where the kernel
    /// refuses (a new user namespace, which does not own our pid namespace), the error is named.
    @Test func mountProcWithoutAPidNamespaceMountsOrSaysWhyNot() throws {
        let mounted = try NSBox.run("run", "-m", "--mount-proc", "--", "sh", "-c", "grep -c ' /proc proc ' /proc/self/mounts")
        #expect(mounted.status == 0 && mounted.stdout == "2\n", "\(mounted.stdout) \(mounted.stderr)")
        for run in [{ try NSBox.run($0) }, { try NSBox.runUnprivileged($0) }] as [([String]) throws -> CommandResult] {
            let refused = try run(["run", "-r", "-m", "--mount-proc", "--", "true"])
            #expect(refused.status == 125 && refused.stderr.hasPrefix("nsbox: mount proc on /proc: EPERM"), "\(refused.stderr)")
        }
    }

    @Test func eachNamespaceOptionChangesThatNamespaceOnly() throws {
        let options: [(String, String)] = [
            ("-m", "mnt"), ("-n", "net"), ("-u", "uts"), ("-i", "ipc"), ("-C", "cgroup"), ("-T", "time"), ("-p", "pid"), ("-U", "user"),
        ]
        for (option, kind) in options {
            let result = try NSBox.run("run", option, "--", "sh", "-c", printNamespaces)
            let ids = namespaceLines(result.stdout)
            for other in allKindNames {
                #expect((ids[other] != ourNamespace(other)) == (other == kind), "\(option): \(other)")
            }
        }
    }

    @Test func matchesUnshareOnTheSameScenarios() throws {
        // (our extra options, the shared ones): unshare -f makes the command pid 1, as --as-pid-1.
        let scenarios: [([String], [String])] = [
            ([], ["-r", "id", "-u"]), ([], ["-r", "id", "-g"]), ([], ["-c", "id", "-u"]),
            ([], ["-Urn", "sh", "-c", "ip -o link | wc -l"]),
            (["--as-pid-1"], ["-Urmpf", "--mount-proc", "sh", "-c", "echo $$; ps -o comm="]),
            (["--as-pid-1"], ["-Urpf", "sh", "-c", "kill -TERM $$; echo ignored by pid 1"]),
            ([], ["-Ur", "--map-user=5", "--map-group=7", "sh", "-c", "id -u; id -g"]),
            ([], ["-UrT", "--boottime", "100000", "sh", "-c", "cut -d. -f1 /proc/uptime | cut -c1-2"]),
        ]
        for (extra, scenario) in scenarios {
            for asUser in [false, true] {
                let prefix = asUser ? asUnprivileged : []
                let ours = try runCommand(prefix + [NSBox.path, "run"] + extra + scenario)
                let theirs = try runCommand(prefix + ["unshare"] + scenario)
                #expect(ours.stdout == theirs.stdout, "\(scenario) as \(asUser ? "65534" : "root"): \(ours.stderr)")
                #expect(ours.status == theirs.status)
            }
        }
    }

    @Test func exitStatusConventions() throws {
        for code in ["0", "3", "255"] {
            #expect(try NSBox.run("run", "-r", "-p", "--", "sh", "-c", "exit \(code)").status == Int32(code)!)
        }
        #expect(try NSBox.run("run", "-r", "-p", "--", "sh", "-c", "kill -TERM $$").status == 143)
        #expect(try NSBox.run("run", "--", "sh", "-c", "kill -KILL $$").status == 137)
        let missing = try NSBox.run("run", "-r", "--", "no-such-command-here")
        #expect(missing.status == 127)
        #expect(missing.stderr.hasPrefix("nsbox: command not found: no-such-command-here"))
        let notExecutable = try NSBox.run("run", "--", "/etc/passwd")
        #expect(notExecutable.status == 126)
        #expect(notExecutable.stderr.contains("not executable"))
    }

    @Test func badInputIsOneLineAndStatus125() throws {
        let cases: [([String], String)] = [
            (["run", "--bogus"], "unknown option '--bogus'"),
            (["run", "--hostname", "x", "true"], "hostname: setting it needs a new UTS namespace"),
            (["run", "--join", "nett=1", "true"], "--join 'nett=1'"),
            (["run", "--map-users", "0:1000", "true"], "'0:1000' has 2 fields"),
            (["run", "--join", "net=/etc/passwd", "true"], "not a namespace file"),
            (["run", "-r", "--propagation", "sideways", "true"], "sideways"),
            (["run", "-U", "--monotonic", "5", "true"], "timeOffsets: clock offsets need a new time namespace"),
            (["run", "--tmpfs", "/tmp", "true"], "mounting needs a new mount namespace"),
            (["enter", "true"], "nothing to enter"),
            (["id", "nett"], "unknown namespace kind 'nett'"),
        ]
        for (arguments, text) in cases {
            let result = try runCommand([NSBox.path] + arguments)
            #expect(result.status == 125, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(text), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func optionsAfterTheCommandAreNeverOurs() throws {
        let result = try NSBox.run("run", "-r", "--", "sh", "-c", "echo \"$@\"", "x", "--net", "-U", "--bogus")
        #expect(result.stdout == "--net -U --bogus\n")
        let bare = try NSBox.run("run", "-r", "sh", "-c", "printf '%s\\n' \"$@\"", "x", "-n", "-c")
        #expect(bare.stdout == "-n\n-c\n")
    }

    @Test(.requiresTool("ip", package: "iproute2")) func bwrapStyleOptionsShapeTheSandbox() throws {
        let scratch = ScratchDirectory()
        let data = scratch.sub("data")
        FileManager.default.createFile(atPath: data + "/file", contents: Data("hello\n".utf8))
        chmod(scratch.path, 0o755)
        for run in [{ try NSBox.run($0) }, { try NSBox.runUnprivileged($0) }] as [([String]) throws -> CommandResult] {
            let result = try run([
                "run", "--sandbox", "--hostname", "box", "--ro-bind", data, "/mnt", "--tmpfs", "/srv", "-w", "/mnt", "--",
                "sh", "-c", "hostname; cat file; touch x 2>/dev/null || echo ro; ls -A /tmp /srv | wc -w; ip -o link | wc -l; id -u",
            ])
            #expect(result.stdout == "box\nhello\nro\n2\n1\n0\n", "\(result.stderr)")
        }
    }

    @Test func setuidAndSetgidInside() throws {
        let result = try NSBox.run("run", "-U", "--map-users", "0:100000:1000", "--map-groups", "0:100000:1000", "-S", "42", "-G", "43", "--", "sh", "-c", "id -u; id -g")
        #expect(result.stdout == "42\n43\n", "\(result.stderr)")
    }

    @Test func jsonOutputParsesAndMatchesProc() throws {
        let ids = try NSBox.run("id", "--json")
        #expect(ids.status == 0, "\(ids.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(ids.stdout.utf8)) as? [String: Any], "\(ids.stdout)")
        let namespaces = try #require(object["namespaces"] as? [[String: Any]], "\(object)")
        #expect(namespaces.count == 8)
        let pid = try #require(object["pid"] as? Int, "\(object)")
        for entry in namespaces {
            let kind = try #require(entry["type"] as? String, "\(entry)")
            #expect(entry["ns"] as? Int == inode("/proc/self/ns/\(kind)").map { Int($0) }, "\(entry) of \(pid)")
        }

        let fds = makePipe()
        let status = try runCommandPassing(fd: fds[1], [NSBox.path, "run", "-r", "-n", "-p", "--json-status-fd", "\(fds[1])", "--", "sh", "-c", "exit 9"])
        close(fds[1])
        let lines = String(decoding: FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n")
        #expect(status == 9, "nsbox passes the command's status on")
        try #require(lines.count == 2, "\(lines)")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any], "\(lines[0])")
        #expect(first["child-pid"] is Int)
        #expect(first["net-namespace"] is Int && first["user-namespace"] is Int && first["pid-namespace"] is Int)
        #expect((first["net-namespace"] as? Int).map(UInt64.init) != inode("/proc/self/ns/net"))
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any], "\(lines[1])")
        #expect(last["exit-code"] as? Int == 9)
    }

    @Test func enterJoinsATargetLikeNsenter() throws {
        let target = try TargetProcess(["unshare", "--net", "--uts", "--ipc", "sleep", "60"], differingIn: ["net", "uts", "ipc"])
        let script = "for k in net uts ipc mnt user; do stat -L -c %i /proc/self/ns/$k; done"
        let ours = try NSBox.run("enter", "-t", "\(target.pid)", "-a", "--", "sh", "-c", script)
        let theirs = try runCommand(["nsenter", "-t", "\(target.pid)", "-a", "--", "sh", "-c", script])
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout == theirs.stdout)
        #expect(ours.stdout.hasPrefix("\(target.namespace("net")!)\n"))
        let netOnly = try NSBox.run("enter", "-t", "\(target.pid)", "--net", "--", "stat", "-L", "-c", "%i", "/proc/self/ns/uts")
        #expect(netOnly.stdout == "\(ourNamespace("uts"))\n")
        let byFile = try NSBox.run("enter", "--uts=/proc/\(target.pid)/ns/uts", "--", "stat", "-L", "-c", "%i", "/proc/self/ns/uts")
        #expect(byFile.stdout == "\(target.namespace("uts")!)\n")
    }

    @Test func unprivilegedEnterOfARootlessSandbox() throws {
        let target = try TargetProcess(
            asUnprivileged + ["unshare", "--user", "--map-root-user", "--net", "sleep", "60"], differingIn: ["user", "net"])
        // Its setgroups is "deny": as nsenter, an ordinary user keeps its credentials there (and
        // names the kinds: -a would re-enter the ones we share). NSBoxEnterNsenterMasterTests
        // has both refusals.
        let words = ["-t", "\(target.pid)", "-U", "-n", "--preserve-credentials", "--", "sh", "-c", "id -u; stat -L -c %i /proc/self/ns/net"]
        let ours = try NSBox.runUnprivileged(["enter"] + words)
        let theirs = try runCommand(asUnprivileged + ["nsenter"] + words)
        #expect(ours.status == 0 && ours.stdout == "0\n\(target.namespace("net")!)\n" && ours.stdout == theirs.stdout, "\(ours.stderr)")
    }
}

/// Runs a command with `fd` left open in it (for --json-status-fd); returns its exit status
/// (128+N when a signal N ended it).
func runCommandPassing(fd: Int32, _ arguments: [String]) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    // dup2 onto itself clears close-on-exec in the child only.
    posix_spawn_file_actions_adddup2(&actions, fd, fd)
    let argv = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, arguments[0], &actions, nil, argv, environ) == 0 else { throw TestFailure("posix_spawn") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status & 0x7f != 0 ? 128 + (status & 0x7f) : (status >> 8) & 0xff
}

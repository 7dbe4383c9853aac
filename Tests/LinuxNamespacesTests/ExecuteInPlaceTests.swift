import Glibc
import Testing

/// Where nothing in the sandbox needs a parent, nsbox (`Sandbox.execute`) becomes the command,
/// as unshare(1) and nsenter(1) do: no clone, the same pid; otherwise it forks and waits.
/// Checked on pids and on the system calls made, as root and as uid 65534.
@Suite struct ExecuteInPlaceTests {
    /// Runs `sh -c 'echo $$; exec "$@"' sh TOOL...`: the pid that starts `TOOL` first, then
    /// what the tool's command printed. The tool inherits fds 3 and 4 (open, not close-on-exec).
    func outerAndInner(_ prefix: [String], _ tool: [String]) throws -> (outer: Substring, inner: [Substring], result: CommandResult) {
        let result = try runCommand(prefix + ["sh", "-c", "echo $$; exec 3</dev/null 4</dev/null; exec \"$@\"", "sh"] + tool)
        let lines = result.stdout.split(separator: "\n")
        return (lines.first ?? "", Array(lines.dropFirst()), result)
    }

    @Test(.requiresTool("strace", package: "strace")) func runBecomesTheCommandAsRootAnd65534() throws {
        for prefix in [[], asUnprivileged] {
            let (outer, inner, result) = try outerAndInner(prefix, [
                NSBox.path, "run", "-r", "-n", "--close-fds", "--", "sh", "-c", "echo $$; id -u; readlink /proc/self/ns/net; ls /proc/$$/fd",
            ])
            #expect(result.status == 0, "\(prefix): \(result.stderr)")
            #expect(inner.count >= 3 && inner[0] == outer, "\(prefix): \(result.stdout)")
            #expect(inner.dropFirst().first == "0")
            #expect(inner.dropFirst(2).first != "net:[\(ourNamespace("net"))]" && inner.dropFirst(2).first?.hasPrefix("net:[") == true)
            // With --close-fds only the standard fds reach the command, not the caller's 3 and 4
            // nor nsbox's others (without it, see NSBoxRunFileDescriptorTests). (ls, not a pipeline:
            // while the shell sets one up, it holds the pipe's fds itself.)
            #expect(inner.dropFirst(3) == ["0", "1", "2"], "\(prefix): \(inner)")
            let (clones, files, traced) = try SharedMemorySpawnTests().cloneCalls(prefix, ["-r", "-n"])
            #expect(traced.status == 0 && clones.isEmpty, "\(prefix): \(clones) \(traced.stderr)")
            #expect(files == ["/proc/self/setgroups", "/proc/self/uid_map", "/proc/self/gid_map"], "\(files)")
        }
    }

    @Test(.requiresTool("strace", package: "strace")) func enterBecomesTheCommandWithoutAPidOrTimeNamespaceAsRootAnd65534() throws {
        for prefix in [[], asUnprivileged] {
            let target = try TargetProcess(prefix + ["unshare", "-Urnu", "sleep", "60"], differingIn: ["net", "uts", "user"])
            defer { target.kill() }
            // As 65534 the credentials are kept (nsenter's setgroups fails in a -r namespace);
            // kinds named, not -a, which re-enters our pid and time namespaces and so forks.
            let kinds = ["-U", "-n", "-u"] + (prefix.isEmpty ? [] : ["--preserve-credentials"])
            let (outer, inner, result) = try outerAndInner(prefix, [NSBox.path, "enter", "-t", String(target.pid)] + kinds + [
                "--", "sh", "-c", "echo $$; id -u; readlink /proc/self/ns/net /proc/self/ns/uts",
            ])
            #expect(result.status == 0, "\(prefix): \(result.stderr)")
            #expect(inner == [outer, "0", "net:[\(target.namespace("net") ?? 0)]", "uts:[\(target.namespace("uts") ?? 0)]"],
                "\(prefix): \(result.stdout)")
            let (clones, _, traced) = try SharedMemorySpawnTests().cloneCalls(prefix, [], subcommand: ["enter", "-t", String(target.pid)] + kinds)
            #expect(traced.status == 0 && clones.isEmpty, "\(prefix): \(clones) \(traced.stderr)")
        }
    }

    /// Joining a pid namespace (it applies to children only), nsbox joins everything itself and
    /// forks the command once, as nsenter does, on nsbox's memory: setns moved nsbox into the
    /// time namespace already. Statuses and failures after the fork come back as from spawn.
    @Test(.requiresTool("strace", package: "strace")) func enterJoinsInPlaceAndForksOnceIntoPidAndTimeNamespacesAsRootAnd65534() throws {
        for prefix in [[], asUnprivileged] {
            // As in the benchmark's S4: every kind new, `sleep` as pid 1, unshare's child.
            let target = try TargetProcess(prefix + ["unshare", "-UrmpfniuCT", "--mount-proc", "--kill-child", "sleep", "60"],
                differingIn: [], ready: { firstChild(of: $0).map { comm($0) == "sleep" } ?? false })
            defer { target.kill() }
            let sleeper = firstChild(of: target.pid) ?? 0
            let enter = [NSBox.path, "enter", "-t", String(sleeper), "-a"] + (prefix.isEmpty ? [] : ["--preserve-credentials"])
            let (outer, inner, result) = try outerAndInner(prefix, enter + ["--", "sh", "-c",
                "echo $$; echo $PPID; readlink /proc/self/ns/pid /proc/self/ns/time; grep SigBlk /proc/self/status; exit 4"])
            // The pid inside the sandbox's pid namespace, whose /proc is mounted: not ours.
            #expect(result.status == 4 && inner.count == 5 && inner[0] != outer && inner[1] == "0", "\(prefix): \(result.stdout) \(result.stderr)")
            #expect(inner.dropFirst(2).prefix(2) == ["pid:[\(inode("/proc/\(sleeper)/ns/pid") ?? 0)]", "time:[\(inode("/proc/\(sleeper)/ns/time") ?? 0)]"],
                "\(prefix): \(inner)")
            // nsbox blocks the signals it passes on while it waits; the command gets our mask.
            #expect(inner.last == "SigBlk:\t0000000000000000", "\(prefix): \(inner)")
            let (withTime, _, traced) = try SharedMemorySpawnTests().cloneCalls(prefix, [], subcommand: Array(enter.dropFirst()))
            #expect(traced.status == 0 && withTime.count == 1 && withTime[0].contains("CLONE_VM") && withTime[0].contains("CLONE_VFORK"),
                "\(prefix): \(withTime) \(traced.stderr)")
            let (pidOnly, _, _) = try SharedMemorySpawnTests().cloneCalls(prefix, [], subcommand: ["enter", "-t", String(sleeper), "-U", "-p", "-m", "--preserve-credentials"])
            #expect(pidOnly.count == 1 && pidOnly[0].contains("CLONE_VM") && pidOnly[0].contains("CLONE_VFORK"), "\(prefix): \(pidOnly)")
            let killed = try runCommand(prefix + enter + ["--", "sh", "-c", "kill -9 $$"])
            #expect(killed.status == 137, "\(prefix): \(killed.stderr)")
            let missing = try runCommand(prefix + ["env", "PATH=/usr/bin:/bin"] + enter + ["--", "no-such-command-in-place"])
            #expect(missing.status == 127 && missing.stderr.hasPrefix("nsbox: command not found: execve no-such-command-in-place: ENOENT"), "\(prefix): \(missing.stderr)")
            // The fork itself refused, with and without a time namespace joined.
            for kinds in [["-a"], ["-U", "-p", "-m", "--preserve-credentials"]] {
                let refused = try runCommand(prefix + ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=clone", "-e", "inject=clone:error=EAGAIN",
                    NSBox.path, "enter", "-t", String(sleeper)] + kinds + (prefix.isEmpty || kinds != ["-a"] ? [] : ["--preserve-credentials"]) + ["--", "true"])
                #expect(refused.status == 125 && refused.stderr.hasPrefix("nsbox: fork: EAGAIN"), "\(prefix) \(kinds): \(refused.stderr)")
            }
            // (nsenter's -w DIR needs the value attached and opens it before entering; -W is inside.)
            let chdir = try runCommand(prefix + enter + ["--wdns=/nonexistent-in-place", "--", "true"])
            #expect(chdir.status == 125 && chdir.stderr.hasPrefix("nsbox: chdir /nonexistent-in-place: ENOENT"), "\(prefix): \(chdir.stderr)")
        }
    }

    /// Whoever joins namespaces that others are in (nsbox in place, or spawn's child) is
    /// non-dumpable before its first setns: a process inside with capabilities there cannot
    /// ptrace it, or read its memory, even for a moment.
    @Test(.requiresTool("strace", package: "strace")) func aJoiningProcessIsNonDumpableBeforeItsFirstSetns() throws {
        let target = try TargetProcess(["unshare", "-Urn", "sleep", "60"], differingIn: ["net", "user"])
        defer { target.kill() }
        for extra in [[], ["--json-status-fd", "2"]] {
            let result = try runCommand(["strace", "-f", "-qq", "-e", "trace=prctl,setns", NSBox.path, "enter", "-t", String(target.pid), "-a"]
                + extra + ["--", "true"])
            let calls = result.stderr.split(separator: "\n").filter { $0.contains("prctl(PR_SET_DUMPABLE") || $0.contains("setns(") }
            #expect(result.status == 0 && calls.first?.contains("prctl(PR_SET_DUMPABLE, SUID_DUMP_DISABLE)") == true
                && calls.contains { $0.contains("setns(") }, "\(extra): \(calls)")
        }
    }

    /// A pid namespace applies to children only; a parent-death signal, a new session and a
    /// status report need nsbox around, and -f asks for it: it forks, waits and passes the
    /// status on. (A time namespace no longer does: TimeNamespaceWithoutForkTests.)
    @Test(.requiresTool("strace", package: "strace"), arguments: [
        ["-r", "-p"], ["-r", "-p", "--as-pid-1"], ["-r", "-T", "-f"], ["-r", "--die-with-parent"], ["-r", "--kill-child"],
        ["-r", "--new-session"], ["-r", "--json-status-fd", "2"], ["-r", "-f"],
    ])
    func whatNeedsAParentKeepsNsboxAsTheParent(arguments: [String]) throws {
        for prefix in [[], asUnprivileged] {
            let (clones, _, traced) = try SharedMemorySpawnTests().cloneCalls(prefix, arguments)
            #expect(traced.status == 0 && !clones.isEmpty, "\(prefix) \(arguments): \(clones) \(traced.stderr)")
            let exited = try runCommand(prefix + [NSBox.path, "run"] + arguments + ["--", "sh", "-c", "exit 3"])
            #expect(exited.status == 3, "\(prefix) \(arguments): \(exited.stderr)")
        }
    }

    @Test(.requiresTool("strace", package: "strace")) func aStepThatFailsInPlaceIsNamedWithOurStatusAsRootAnd65534() throws {
        for prefix in [[], asUnprivileged] {
            // PATH's directories hidden by tmpfs mounts: execve fails after the set-up. (A PATH
            // of ours: a directory 65534 may not search would make it EACCES, 126.)
            let missing = try runCommand(prefix + ["env", "PATH=/usr/bin:/bin", NSBox.path, "run", "-r", "-m", "--tmpfs", "/usr/bin", "--tmpfs", "/bin", "--", "true"])
            #expect(missing.status == 127 && missing.stderr == "nsbox: command not found: execve true: ENOENT (No such file or directory): no such command inside the sandbox; check the name and PATH as the sandbox's mount namespace sees them\n",
                "\(prefix): \(missing.stderr)")
            let chdir = try runCommand(prefix + [NSBox.path, "run", "-r", "-w", "/nonexistent-in-place", "--", "true"])
            #expect(chdir.status == 125 && chdir.stderr.hasPrefix("nsbox: chdir /nonexistent-in-place: ENOENT"), "\(prefix): \(chdir.stderr)")
            // The kernel's refusals, injected.
            let strace = ["strace", "-f", "-qq", "-o", "/dev/null"]
            let unshare = try runCommand(prefix + strace + ["-e", "trace=unshare", "-e", "inject=unshare:error=EPERM", NSBox.path, "run", "-r", "--", "true"])
            #expect(unshare.status == 125 && unshare.stderr.hasPrefix("nsbox: unshare(user): EPERM"), "\(prefix): \(unshare.stderr)")
            let map = try runCommand(prefix + strace + ["-P", "/proc/self/uid_map", "-e", "trace=openat", "-e", "inject=openat:error=EACCES",
                NSBox.path, "run", "-r", "--", "true"])
            let ours = map.stderr.split(separator: "\n").filter { !$0.hasPrefix("strace: ") }
            #expect(map.status == 125 && ours.count == 1 && ours[0].hasPrefix("nsbox: id maps: /proc/") && ours[0].contains("/uid_map: EACCES"),
                "\(prefix): \(map.stderr)")
            let target = try TargetProcess(prefix + ["unshare", "-Urn", "sleep", "60"], differingIn: ["net", "user"])
            defer { target.kill() }
            let setns = try runCommand(prefix + strace + ["-e", "trace=setns", "-e", "inject=setns:error=EPERM",
                NSBox.path, "enter", "-t", String(target.pid), "-U", "-n", "--", "true"])
            #expect(setns.status == 125 && setns.stderr.hasPrefix("nsbox: setns(user): EPERM"), "\(prefix): \(setns.stderr)")
        }
    }

    /// The library call: in place from a single-threaded process, spawned and waited for from
    /// a multithreaded one (which may not create a user namespace), the status passed on.
    @Test func executeFallsBackToSpawnInAMultithreadedProcessAsRootAnd65534() throws {
        for prefix in [[], asUnprivileged] {
            let script = "echo $$; readlink /proc/self/ns/user; exit 3"
            let single = try outerAndInner(prefix, [Probe.path, "spawn", "--execute", "--create", "user,net", "--map", "root", "--", "sh", "-c", script])
            // What the program wrote before (buffered stdio) is not lost to the execve.
            #expect(single.result.status == 3 && single.inner.first == "executing" && single.inner.dropFirst().first == single.outer,
                "\(prefix): \(single.result.stdout) \(single.result.stderr)")
            let multi = try outerAndInner(prefix, [
                Probe.path, "spawn", "--with-thread", "--execute", "--create", "user,net", "--map", "root", "--", "sh", "-c", script,
            ])
            #expect(multi.result.status == 3 && multi.inner.count == 3 && multi.inner.first == "executing" && multi.inner[1] != multi.outer,
                "\(prefix): \(multi.result.stdout) \(multi.result.stderr)")
            #expect(multi.inner.last != "user:[\(ourNamespace("user"))]" && multi.inner.last?.hasPrefix("user:[") == true)
        }
    }
}

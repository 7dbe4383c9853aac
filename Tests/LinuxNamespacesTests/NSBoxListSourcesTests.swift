import Foundation
import Glibc
import Testing

/// `nsbox ls` finds what lsns master finds (namespaces only an fd, a socket or a bind mount
/// holds), prints NETNSID and NSFS as it does, and prints what lsns 2.38 prints where 2.38 has
/// the feature: compared output for output.
@Suite struct NSBoxListSourcesTests {
    /// A holder that gets, from a child in a new user and network namespace (`unshare -rn`),
    /// either an fd of that namespace or a socket made in it, and keeps it after the child
    /// exits; it writes the namespace's inode to the file it is given.
    static let holder = """
        import fcntl, os, socket, subprocess, sys, time
        out, mode = sys.argv[1], sys.argv[2]
        parent, child = socket.socketpair()
        make = "os.open('/proc/self/ns/net', os.O_RDONLY)" if mode == "fd" else "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).detach()"
        code = f"import os, socket; socket.send_fds(socket.socket(fileno={child.fileno()}), [b'x'], [{make}])"
        subprocess.run(["unshare", "-rn", sys.executable, "-c", code], pass_fds=[child.fileno()], check=True)
        _, fds, _, _ = socket.recv_fds(parent, 1, 1)
        held = fds[0] if mode == "fd" else fcntl.ioctl(fds[0], 0x894C)
        open(out + ".tmp", "w").write(str(os.fstat(held).st_ino))
        os.rename(out + ".tmp", out)
        if mode != "fd": os.close(held)
        time.sleep(600)
        """

    /// Starts a holder (as the user `prefix` runs as) and returns it with the inode it holds.
    func startHolder(_ mode: String, _ prefix: [String], in scratch: ScratchDirectory) throws -> (BackgroundCommand, UInt64) {
        chmod(scratch.path, 0o777)
        let script = scratch.path + "/holder.py", out = scratch.path + "/\(mode).inode"
        FileManager.default.createFile(atPath: script, contents: Data(Self.holder.utf8))
        // Debian's python3 by path: uid 65534 may not read a python3 in root's home.
        let python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"
        let holder = try BackgroundCommand(prefix + [python, script, out, mode])
        var inode: UInt64?
        _ = eventually(within: 10) {
            inode = (try? String(contentsOfFile: out, encoding: .utf8)).flatMap { UInt64($0) }
            return inode != nil
        }
        guard let inode else { throw TestFailure("the \(mode) holder did not start") }
        return (holder, inode)
    }

    @Test(.requiresTool("python3", package: "python3"))
    func namespacesHeldOnlyByAnFdOrASocketAreListedWithoutAProcess() throws {
        for prefix in [[], asUnprivileged] {
            for mode in ["fd", "socket"] {
                let scratch = ScratchDirectory()
                var holder: BackgroundCommand?, inode: UInt64
                (holder, inode) = try startHolder(mode, prefix, in: scratch)
                // (Once freed, the inode number goes to the next namespace made, of any kind.)
                let words = ["ls", "-t", "net", "-r", "-n", "-o", "NS,TYPE,NPROCS,PID,PPID,COMMAND,PATH", "-Q", "NS == \(inode) && NPROCS == 0"]
                let listed = try runCommand(prefix + [NSBox.path] + words)
                #expect(listed.status == 0, "\(listed.stderr)")
                let fields = listed.stdout.split(separator: "\n").first.map { $0.split(separator: " ", omittingEmptySubsequences: false) }
                // NPROCS 0, no PID, PPID or COMMAND (as lsns); PATH the fd for an fd, none for a socket.
                #expect(fields?.prefix(6) == ["\(inode)", "net", "0", "", "", ""], "\(prefix) \(mode): \(listed.stdout)")
                let path = fields?.last.map(String.init) ?? "?"
                #expect(mode == "fd" ? path.hasPrefix("/proc/\(holder!.pid)/fd/") : path.isEmpty, "\(mode): \(listed.stdout)")
                // -P lists it; -t net without -Q too.
                let persistent = try runCommand(prefix + [NSBox.path, "ls", "-P", "-r", "-n", "-o", "NS"])
                #expect(persistent.stdout.split(separator: "\n").contains(Substring("\(inode)")), "\(persistent.stdout)")
                // Negative control: once nothing holds it, it is gone from the listing.
                holder = nil
                #expect(eventually(within: 5) {
                    (try? runCommand(prefix + [NSBox.path] + words))?.stdout.isEmpty == true
                }, "\(mode): still listed after its holder was killed")
            }
        }
    }

    @Test(.requiresTool("ip", package: "iproute2"))
    func persistentNetnsShowsEveryNSFSPathAndTheNETNSIDIpReports() throws {
        let name = TestRun.name("lsns")
        let scratch = ScratchDirectory()
        let second = scratch.path + "/second"
        // The script runs in a shell of its own: the scratch path is written into it.
        let script = """
            set -e
            ip netns add \(name); trap 'ip netns delete \(name)' EXIT
            touch \(second); mount --bind /run/netns/\(name) \(second)
            ip netns set \(name) 7
            for format in "" -W -r; do \(NSBox.path) ls -t net -n $format -o NS,NETNSID,NSFS,NPROCS; echo ---; done
            \(NSBox.path) ls -t net -J -o NS,NSFS; echo ---
            ip netns list-id; echo ---; stat -L -c %i /run/netns/\(name)
            """
        let result = try runInPrivateMounts("", ["sh", "-c", script], scratch: scratch)
        #expect(result.status == 0, "\(result.stderr)")
        let parts = result.stdout.components(separatedBy: "---\n")
        try #require(parts.count == 6, "\(result.stdout)")
        let inode = parts[5].trimmingCharacters(in: .whitespacesAndNewlines)
        // ip says which nsid this namespace has here; NETNSID says the same.
        #expect(parts[4].contains("nsid 7 "), "\(parts[4])")
        // The table: one path per line, the second under the first; -W and -r: commas.
        let lines = parts[0].split(separator: "\n").map(String.init)
        let row = try #require(lines.firstIndex { $0.hasPrefix(inode + " ") }, "\(parts[0])")
        #expect(lines[row].split(separator: " ") == [Substring(inode), "7", Substring("/run/netns/\(name)"), "0"], "\(parts[0])")
        let column = try #require(lines[row].range(of: "/run/netns/")).lowerBound.utf16Offset(in: lines[row])
        #expect(row + 1 < lines.count && lines[row + 1] == String(repeating: " ", count: column) + second, "\(parts[0])")
        let joined = "/run/netns/\(name),\(second)"
        #expect(parts[1].split(separator: "\n").contains { $0.split(separator: " ") == [Substring(inode), "7", Substring(joined), "0"] }, "\(parts[1])")
        #expect(parts[2].split(separator: "\n").contains(Substring("\(inode) 7 \(joined) 0")), "\(parts[2])")
        #expect(parts[3].contains("\"ns\": \(inode),\n         \"nsfs\": \"/run/netns/\(name)\\n\(second)\""), "\(parts[3])")
    }

    /// lsns, asked again when a process of another test vanished while it read /proc (status 1).
    func lsns(_ prefix: [String], _ arguments: [String]) throws -> CommandResult {
        var result = try runCommand(prefix + ["lsns"] + arguments)
        for _ in 0..<3 where result.status != 0 { result = try runCommand(prefix + ["lsns"] + arguments) }
        return result
    }

    @Test func outputFormatsAreLsnsOwnAsRootAndAsNobody() throws {
        for prefix in [[], asUnprivileged] {
            // sh with two children, all in the new namespaces: a process tree inside them.
            let target = try TargetProcess(
                prefix + ["unshare", "-Urnu", "sh", "-c", "sleep 60 & sleep 61; wait"], differingIn: ["net", "uts", "user"],
                ready: { pid in
                    (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8))?
                        .split(separator: " ").count == 2
                })
            // Foundation sees the target end only when the sleeps, which inherited its end of
            // the socket pair it watches, end too: without killing them, kill() waits for sleep 61.
            let sleeps = (try? String(contentsOfFile: "/proc/\(target.pid)/task/\(target.pid)/children", encoding: .utf8))?
                .split(separator: " ").compactMap { pid_t($0) } ?? []
            defer {
                for sleep in sleeps { kill(sleep, SIGKILL) }
                target.kill()
            }
            let pid = String(target.pid), net = String(target.namespace("net")!)
            let task = ["-p", pid, "-t", "net", "-t", "uts"]
            for arguments in [
                task, task + ["-J"], task + ["-r"], task + ["-l"], task + ["-n"], task + ["-u"],
                task + ["-o", "NS,TYPE,NPROCS,PID,PPID,USER,UID,COMMAND,PATH"], task + ["-o", "+PPID", "-J"],
                task + ["--output-all", "-r"], task + ["-T", "-o", "NS,TYPE,NPROCS"],
                [net], [net, "-J"], [net, "-r"], [net, "-l"], [net, "-o", "PID,COMMAND,PATH,NS"], [net, "-n", "-u"],
            ] {
                let theirs = try lsns(prefix, arguments)
                let ours = try runCommand(prefix + [NSBox.path, "ls"] + arguments)
                #expect(theirs.status == 0, "lsns \(arguments): \(theirs.stderr)")
                // Widths follow libsmartcols master: a column whose cells are no wider than its
                // heading (1 without headings) keeps that width, where 2.38 widens it to the
                // column's width hint (PPID with 4-digit pids, -n, -T). Blanks are collapsed
                // outside JSON (3-digit pids shift them too), so the cells and their order are
                // compared, not the padding.
                let blanks = !arguments.contains("-J")
                let collapse = { (text: String) in
                    blanks ? text.replacingOccurrences(of: "(?m)^ +| +$", with: "", options: .regularExpression)
                        .replacingOccurrences(of: " +", with: " ", options: .regularExpression) : text
                }
                #expect(collapse(ours.stdout) == collapse(theirs.stdout) && ours.status == 0,
                    "\(prefix) \(arguments):\n\(ours.stdout)\(ours.stderr)---\n\(theirs.stdout)")
            }
        }
    }

    @Test func lsnsSpellingsTakeTheFastPathAndTheFullParserAlike() throws {
        func plan(_ arguments: [String], full: Bool) throws -> CommandResult {
            try runCommand(["env", "NSBOX_PRINT_PLAN=1"] + (full ? ["NSBOX_FULL_PARSER=1"] : []) + [NSBox.path, "ls"] + arguments)
        }
        for (arguments, needle) in [
            (["-oNS,TYPE", "-tnet"], "type=[\"net\"] task=nil output=Optional(\"NS,TYPE\")"),
            (["-T"], "tree=Optional(\"owner\")"), (["-Tparent"], "tree=Optional(\"parent\")"),
            (["--tree", "process"], "tree=Optional(\"process\")"), (["-T=parent"], "tree=Optional(\"parent\")"),
            (["-QNS == 1", "-P", "-W"], "filter=Optional(\"NS == 1\") persistent=true"), (["-H", "-J"], "listColumns=true"),
            (["--filter", "!PID", "--nowrap", "--persistent"], "nowrap=true"), (["-p1", "5"], "task=Optional(1)"),
        ] {
            let fast = try plan(arguments, full: false), full = try plan(arguments, full: true)
            #expect(fast.stdout.hasPrefix("fast path\n") && fast.stdout == "fast path\n" + full.stdout, "\(arguments): \(fast.stdout) \(fast.stderr)")
            #expect(full.stdout.contains(needle), "\(arguments): \(full.stdout)")
        }
        // -H: lsns' column list, also in JSON.
        let columns = try NSBox.run("ls", "-H")
        #expect(columns.stdout.contains("NETNSID <string>  namespace ID as used by network subsystem"), "\(columns.stdout)")
        #expect(try NSBox.run("ls", "-H", "-J").stdout.hasPrefix("{\n   \"lsns-columns\": [\n      {\n         \"holder\": \"NS\","))
        // The pairs lsns refuses.
        for arguments in [["-J", "-r"], ["-P", "-p", "1"], ["-l", "-T"], ["-p", "1", "4026531835"]] {
            let result = try NSBox.run(["ls"] + arguments)
            #expect(result.status == 125 && result.stderr.contains("exclude each other"), "\(arguments): \(result.stderr)")
        }
    }
}

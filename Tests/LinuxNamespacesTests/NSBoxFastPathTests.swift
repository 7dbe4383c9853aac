import Testing




@Suite struct NSBoxFastPathTests {
    /// The plan nsbox prints instead of running (`NSBOX_PRINT_PLAN`), by one parser or the other.
    func plan(_ arguments: [String], full: Bool, subcommand: String = "run") throws -> CommandResult {
        try runCommand(["env", "SWIFT_DETERMINISTIC_HASHING=1", "NSBOX_PRINT_PLAN=1"] + (full ? ["NSBOX_FULL_PARSER=1"] : [])
            + [NSBox.path, subcommand] + arguments)
    }

    /// enter has one parser (EnterOptions.table, nsenter's getopt rules): no fast path, and
    /// NSBOX_FULL_PARSER changes nothing.
    @Test(.requiresTool("ip", package: "iproute2")) func enterHasOneParserForEveryForm() throws {
        let target = try TargetProcess(["unshare", "-Urnu", "sleep", "60"], differingIn: ["net", "uts", "user"])
        defer { target.kill() }
        let pid = String(target.pid)
        for arguments in [["-t", pid, "-a", "true"], ["--target", pid, "-nU", "--", "ip", "link"], ["-t", pid, "--net", "--uts", "sh"],
            ["-t", pid, "-a", "--preserve-credentials", "--die-with-parent", "true"], ["-t", pid, "-a", "-S", "0", "true"],
            ["-t", pid, "--ns", "net=/proc/\(pid)/ns/net", "true"]] {
            let fast = try plan(arguments, full: false, subcommand: "enter"), full = try plan(arguments, full: true, subcommand: "enter")
            #expect(!fast.stdout.hasPrefix("fast path") && fast.stdout.contains("joins: ["), "\(arguments): \(fast.stderr)")
            #expect(fast.stdout == full.stdout && fast.stderr == full.stderr && fast.status == full.status, "\(arguments)")
        }
        for arguments in [["-t", "x", "-a", "true"], ["-a", "-a", "true"], ["-h"], ["-t", pid, "-aP", "true"]] {
            let fast = try plan(arguments, full: false, subcommand: "enter"), full = try plan(arguments, full: true, subcommand: "enter")
            #expect(fast.stdout == full.stdout && fast.stderr == full.stderr && fast.status == full.status, "\(arguments)")
        }
    }

    @Test func idTakesTheFastPathToTheSameOutput() throws {
        let target = try TargetProcess(["unshare", "-Urn", "sleep", "60"], differingIn: ["net", "user"])
        defer { target.kill() }
        let pid = String(target.pid)
        // (The JSON names the pid: with no -t that is each nsbox's own, so -t is given there.)
        for arguments in [[], ["-t", pid, "--json"], ["-t", pid, "net", "user"], ["--target", pid, "--json", "mnt"]] {
            let fast = try plan(arguments, full: false, subcommand: "id"), full = try plan(arguments, full: true, subcommand: "id")
            #expect(fast.stdout.hasPrefix("fast path\n"), "\(arguments)")
            #expect(fast.stdout == "fast path\n" + full.stdout && !full.stdout.isEmpty, "\(arguments)")
        }
        for arguments in [["nett"], ["-t", "x"], ["-t", pid, "--json", "--json"], ["-h"], ["-t", "99999999", "net"]] {
            let fast = try plan(arguments, full: false, subcommand: "id"), full = try plan(arguments, full: true, subcommand: "id")
            #expect(fast.stdout.replacingOccurrences(of: "fast path\n", with: "") == full.stdout
                && fast.stderr == full.stderr && fast.status == full.status, "\(arguments)")
        }
    }
    @Test func lsTakesTheFastPathToTheSameOptionsAndListing() throws {
        for arguments in [[], ["--json"], ["-J", "-n"], ["-t", "net", "-t", "user", "-p", "1"], ["--type=net", "--output=NS,TYPE"],
            ["-T", "owner", "-o", "+PNS"], ["--tree=parent", "4026531835"], ["-r", "-l", "-u", "--output-all"], ["-t", "nett"]] {
            let fast = try plan(arguments, full: false, subcommand: "ls"), full = try plan(arguments, full: true, subcommand: "ls")
            #expect(fast.stdout.hasPrefix("fast path\n"), "\(arguments) did not take the fast path: \(fast.stderr)")
            #expect(fast.stdout == "fast path\n" + full.stdout && full.stdout.hasPrefix("ls type="), "\(arguments)")
        }
        for arguments in [["-Jn"], ["-t"], ["-p", "x"], ["--json", "--json"], ["-h"], ["-p", "-1"], ["--raw=1"], ["1", "2"]] {
            let fast = try plan(arguments, full: false, subcommand: "ls"), full = try plan(arguments, full: true, subcommand: "ls")
            #expect(!fast.stdout.hasPrefix("fast path"), "\(arguments)")
            #expect(fast.stdout == full.stdout && fast.stderr == full.stderr && fast.status == full.status, "\(arguments)")
        }
        // The listing itself, of a process whose namespaces stay put; as 65534, the same refusal
        // to read a root process's namespaces.
        let target = try TargetProcess(["unshare", "-Urn", "sleep", "60"], differingIn: ["net", "user"])
        defer { target.kill() }
        for prefix in [[], asUnprivileged] {
            let words = [NSBox.path, "ls", "-p", String(target.pid), "-o", "NS,TYPE,PID,COMMAND", "--json"]
            let fast = try runCommand(prefix + words), full = try runCommand(prefix + ["env", "NSBOX_FULL_PARSER=1"] + words)
            #expect(fast.stdout == full.stdout && fast.stderr == full.stderr && fast.status == full.status, "\(prefix)")
            #expect(prefix.isEmpty ? fast.stdout.contains("\"sleep 60\"") : fast.status == 125 && fast.stderr.contains("EACCES"),
                "\(prefix): \(fast.stdout) \(fast.stderr)")
        }
    }
}

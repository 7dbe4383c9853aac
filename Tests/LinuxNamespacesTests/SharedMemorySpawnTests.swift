import Foundation
import Glibc
import Testing

/// A child that needs nothing from its parent before it executes runs on the parent's memory
/// (CLONE_VM | CLONE_VFORK) and writes one-line maps of the caller's own ids itself; one that
/// supervises, or whose maps the parent writes, is a copy. Checked on the system calls made.
@Suite(.requiresTool("strace", package: "strace")) struct SharedMemorySpawnTests {
    /// The clone calls of `nsbox run ARGS -- true` (or another subcommand), each as "clone3 FLAGS" or "clone FLAGS",
    /// and the files the processes opened under /proc.
    func cloneCalls(_ prefix: [String], _ args: [String], subcommand: [String] = ["run"]) throws -> (clones: [String], procFiles: [String], result: CommandResult) {
        let scratch = ScratchDirectory()
        chmod(scratch.path, 0o777)  // strace writes the trace as the user it runs as
        let trace = scratch.path + "/trace"
        let result = try runCommand(prefix + ["strace", "-f", "-qq", "-o", trace, "-e", "trace=clone,clone3,openat,execve", NSBox.path] + subcommand + args + ["--", "true"])
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        // A trace that missed the run (strace failed, or followed nothing) would pass any "no
        // clone" check: it must have followed the run down to the command's own execve (nsbox's
        // and the command's; once the ids change strace may not read the arguments).
        try #require(lines.filter { $0.contains(" execve(") }.count >= 2,
            "strace did not trace the command: \(result.stderr) \(lines)")
        let clones = lines.compactMap { line -> String? in
            guard let call = line.range(of: #"clone3?\("#, options: .regularExpression) else { return nil }
            let name = line[call].dropLast()
            guard let flags = line.range(of: #"flags=[A-Z_|]+"#, options: .regularExpression) else { return String(name) }
            return "\(name) \(line[flags].dropFirst("flags=".count))"
        }
        let procFiles = lines.compactMap { line -> String? in
            guard let path = line.range(of: #""/proc/[a-z0-9]+/(setgroups|uid_map|gid_map)""#, options: .regularExpression) else { return nil }
            return String(line[path].dropFirst().dropLast())
        }
        return (clones, procFiles, result)
    }

    @Test func theCommandAsPid1WithOurOwnIdsMappedSharesTheCallersMemoryAsRootAnd65534() throws {
        for prefix in [[], asUnprivileged] {
            let (clones, files, result) = try cloneCalls(prefix, ["-r", "-m", "-p", "-n", "--as-pid-1"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(clones.count == 1 && clones[0].hasPrefix("clone ") && clones[0].contains("CLONE_VM") && clones[0].contains("CLONE_VFORK")
                && clones[0].contains("CLONE_NEWUSER") && clones[0].contains("CLONE_NEWPID"), "\(prefix): \(clones)")
            // The child wrote its own maps, through /proc/self.
            #expect(files == ["/proc/self/setgroups", "/proc/self/uid_map", "/proc/self/gid_map"], "\(files)")
        }
    }

    @Test func nsboxsInitSharesNsboxsMemoryWithATLSOfItsOwnAndItsCommandTooAsRootAnd65534() throws {
        for prefix in [[], asUnprivileged] {
            let (clones, _, result) = try cloneCalls(prefix, ["-r", "-p"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(clones.count == 2, "\(clones)")
            // The init: on nsbox's memory for good (no CLONE_VFORK), with its own errno.
            #expect(clones.first.map { $0.hasPrefix("clone ") && $0.contains("CLONE_VM") && $0.contains("CLONE_SETTLS")
                && !$0.contains("CLONE_VFORK") && $0.contains("CLONE_NEWPID") } == true, "\(prefix): \(clones)")
            #expect(clones.last.map { $0.hasPrefix("clone ") && $0.contains("CLONE_VM") && $0.contains("CLONE_VFORK") } == true, "\(clones)")
        }
    }

    @Test func anInitThatJoinsOrHasClockOffsetsIsStillACopy() throws {
        // A time namespace: the clone cannot share memory (the offsets belong to it).
        let (clones, _, result) = try cloneCalls([], ["-r", "-p", "-T", "--monotonic", "5"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(clones.first.map { $0.hasPrefix("clone3 ") && !$0.contains("CLONE_VM") } == true, "\(clones)")
    }

    @Test func mapsTheParentMustWriteKeepTheChildACopy() throws {
        // Ranges beyond our own ids: root writes them from outside, while the child waits.
        let (clones, files, result) = try cloneCalls([], ["-U", "--map-users", "0:100000:1000", "--map-groups", "0:100000:1000", "--as-pid-1", "-p"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(clones.count == 1 && clones[0].hasPrefix("clone3 ") && !clones[0].contains("CLONE_VM"), "\(clones)")
        #expect(files.count == 2 && files.allSatisfy { !$0.hasPrefix("/proc/self/") }, "\(files)")
    }

    @Test func joiningAPidNamespaceForksTheCommandAsTheCallersChildAsRootAnd65534() throws {
        for prefix in [[], asUnprivileged] {
            // The target: `sleep` as pid 1 of that user's own sandbox (it dies with its nsbox).
            let target = try TargetProcess(prefix + [NSBox.path, "run", "--die-with-parent", "-r", "-p", "--as-pid-1", "--", "sleep", "60"],
                differingIn: [], ready: { firstChild(of: $0) != nil })
            defer { target.kill() }
            let sleeper = String(firstChild(of: target.pid) ?? 0)
            // --json-status-fd: Sandbox.spawn, not nsbox joining in place (ExecuteInPlaceTests).
            let (clones, _, result) = try cloneCalls(prefix, [], subcommand: ["enter", "-t", sleeper, "-U", "-p", "--preserve-credentials", "--json-status-fd", "2"])
            #expect(result.status == 0, "\(prefix): \(result.stderr)")
            // A copy that joins (it makes itself non-dumpable), then the command's process as
            // our own child, on the copy's memory: no supervisor.
            #expect(clones.count == 2 && clones[0].hasPrefix("clone3 ") && !clones[0].contains("CLONE_VM")
                && clones[1].contains("CLONE_PARENT") && clones[1].contains("CLONE_VM") && clones[1].contains("CLONE_VFORK"),
                "\(prefix): \(clones)")
        }
    }

    @Test(arguments: ["setgroups", "uid_map", "gid_map"])
    func aMapTheChildCannotWriteIsNamedAndLeavesNothing(file: String) throws {
        let marker = "own-map-\(file)-\(getpid())"
        for prefix in [[], asUnprivileged] {
            let result = try runCommand(prefix + [
                "strace", "-f", "-qq", "-o", "/dev/null", "-P", "/proc/self/\(file)", "-e", "trace=openat", "-e", "inject=openat:error=EPERM",
                NSBox.path, "run", "-r", "-m", "-p", "--as-pid-1", "--hostname", marker, "-u", "--", "true",
            ])
            // strace notes how it resolved the path; the rest is ours.
            let ours = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("strace: ") }
            #expect(result.status == 125, "\(prefix) \(file): \(result.stderr)")
            #expect(ours.count == 1 && ours[0].hasPrefix("nsbox: id maps: /proc/") && ours[0].contains("/\(file): EPERM"), "\(ours)")
            #expect(processes(matching: "--hostname \(marker)").isEmpty)
        }
    }

    @Test func aFailedSharedMemoryCloneIsNamedAndLeavesNothing() throws {
        for prefix in [[], asUnprivileged] {
            let result = try runCommand(prefix + ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=clone", "-e", "inject=clone:error=EPERM:when=1",
                NSBox.path, "run", "-r", "-m", "-p", "--as-pid-1", "--hostname", "shared-clone", "-u", "--", "true"])
            #expect(result.status == 125 && result.stderr.hasPrefix("nsbox: clone: clone(") && result.stderr.contains("EPERM"), "\(prefix): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(processes(matching: "--hostname shared-clone").isEmpty)
        }
    }

    @Test func concurrentSpawnsSharingOurMemoryKeepTheirOutcomesApart() throws {
        // 400 spawns on 8 threads, half of them with the command as pid 1 (sharing memory):
        // each outcome lands where it belongs, and no fd or child is left.
        for run in [Probe.run, Probe.runUnprivileged] {
            let result = try run(["churn", "400", "8"])
            let f = result.fields
            #expect(result.stdout.contains("outcome exited 0=40") && result.stdout.contains("outcome signaled 9=40")
                && result.stdout.contains("outcome exited 3=80") && result.stdout.contains("outcome child=80")
                && result.stdout.contains("outcome command not found=160"), "\(result.stdout)")
            #expect(f["fds_after"] == f["fds_before"] && f["children_after"] == "0", "\(result.stdout)")
        }
    }
}

import Glibc
import Testing

/// `Sandbox.apply()` (Perl's `setup`): the whole sandbox applied to the calling process, which
/// then goes on; and `forkIntoNamespaces` with term_child. Driven through `nsprobe`, which is
/// single-threaded, as root and as uid 65534.
@Suite struct InPlaceSandboxTests {
    /// Runs `nsprobe ARGS` as root or, with `unprivileged`, as 65534.
    func probe(_ unprivileged: Bool, _ arguments: [String]) throws -> CommandResult {
        unprivileged ? try Probe.runUnprivileged(arguments) : try Probe.run(arguments)
    }

    @Test func theCallerEntersTheSandboxAndGoesOnAsRootAnd65534() throws {
        let host = TestRun.name("inplace")
        for unprivileged in [false, true] {
            let result = try probe(unprivileged, ["apply", "--create", "user,mount,uts,network", "--map", "root",
                "--hostname", host, "--private-tmp"])
            let f = result.fields
            #expect(result.status == 0 && f["continued"] == "1", "\(unprivileged): \(result.stdout) \(result.stderr)")
            for (kind, field) in [("user", "user"), ("mnt", "mnt"), ("uts", "uts"), ("net", "net")] {
                #expect(f[field] != nil && f[field] != String(ourNamespace(kind)), "\(unprivileged) \(kind): \(result.stdout)")
            }
            // Not asked for: the caller's own.
            #expect(f["pid"] == String(ourNamespace("pid")) && f["ipc"] == String(ourNamespace("ipc")), "\(result.stdout)")
            #expect(f["uid"] == "0" && f["hostname"] == host && f["tmp_type"] == "tmpfs" && f["lo_up"] == "true", "\(unprivileged): \(result.stdout)")
            // The same process: no fork without a pid or time namespace.
            #expect(f["process_pid"] == f["proc_self"], "\(result.stdout)")
        }
    }

    @Test func withoutThoseFieldsNothingOfThemIsSetUpAsRootAnd65534() throws {
        // The negative controls of the checks above: lo stays down, /tmp is the caller's.
        for unprivileged in [false, true] {
            let result = try probe(unprivileged, ["apply", "--create", "user,mount,network", "--map", "root", "--lo-down"])
            let f = result.fields
            #expect(result.status == 0 && f["lo_up"] == "false" && f["tmp_type"] != "tmpfs", "\(unprivileged): \(result.stdout) \(result.stderr)")
        }
    }

    @Test func aMultithreadedCallerIsRefusedWithTheReason() throws {
        for unprivileged in [false, true] {
            let result = try probe(unprivileged, ["apply", "--with-thread", "--create", "user", "--map", "root"])
            #expect(result.status == 125 && result.stdout.hasPrefix("error: configuration: apply: this process has 2 threads")
                && result.stdout.contains("use Sandbox.spawn"), "\(unprivileged): \(result.stdout) \(result.stderr)")
            #expect(!result.stdout.contains("continued"))
        }
    }

    /// A semaphore raised with SEM_UNDO: unshare(CLONE_SYSVSEM) applies the adjustment at once
    /// (the value is back to 0); without it the adjustment waits for our exit. In an IPC
    /// namespace of the probe's own, so nothing is left on the host.
    @Test func privateSysVSemaphoresApplyTheUndoListAtOnceAsRootAnd65534() throws {
        for unprivileged in [false, true] {
            let outer = unprivileged ? asUnprivileged + ["unshare", "-Uri"] : ["unshare", "-i"]
            let create = unprivileged ? ["--create", "user,uts", "--map", "root"] : ["--create", "uts"]
            for (sysvsem, zeroAfter) in [(true, "true"), (false, "false")] {
                let result = try runCommand(outer + [Probe.path, "apply", "--semaphore"] + create + (sysvsem ? ["--sysvsem"] : []))
                let f = result.fields
                #expect(result.status == 0 && f["sem_zero_before"] == "false" && f["sem_zero_after"] == zeroAfter,
                    "\(unprivileged) \(sysvsem): \(result.stdout) \(result.stderr)")
            }
        }
    }

    /// term_child: a signal to the parent waiting in forkIntoNamespaces ends the child, with
    /// SIGTERM, then SIGKILL after the grace period where the child ignores SIGTERM; the
    /// parent lives on and reports how the child ended.
    @Test func aSignalToTheWaitingParentEndsTheChildAsRootAnd65534() throws {
        for unprivileged in [false, true] {
            let terminated = try probe(unprivileged, ["termchild", "5000"])
            let t = terminated.fields
            // The child outside the pid namespace exits with its init's status: 128 + SIGTERM.
            #expect(terminated.status == 0 && t["termination"] == "exited 143" && t["parent_status"] == "0"
                && (Int(t["elapsed_ms"] ?? "") ?? .max) < 4000, "\(unprivileged): \(terminated.stdout) \(terminated.stderr)")
            let killed = try probe(unprivileged, ["termchild", "600", "ignore"])
            let k = killed.fields
            #expect(killed.status == 0 && k["termination"] == "signaled 9" && k["parent_status"] == "0"
                && (Int(k["elapsed_ms"] ?? "") ?? 0) >= 600, "\(unprivileged): \(killed.stdout) \(killed.stderr)")
        }
    }
}

import Glibc
import Testing

/// While nsbox waits for its command (it forks: pid or time namespace, init, `-f`, a status
/// report, joined pid namespaces), a SIGTERM or SIGHUP sent to nsbox does not end nsbox and
/// orphan the command: it is passed on, and nsbox exits with the command's status.
@Suite struct NSBoxSignalTests {
    /// `sh -c 'NSBOX ARGS -- sleep MARKER & kill -SIGNAL $!; wait $!'`, after the command
    /// started: the status the shell saw and whether the command outlived nsbox. (The command
    /// writes nowhere: an orphan holding our pipes would make the run wait for it.)
    func signalNsbox(_ prefix: [String], _ arguments: [String], _ signal: String, marker: String) throws -> (status: Int32, stderr: String, orphaned: Bool) {
        let script = """
            "$@" -- sh -c 'exec sleep \(marker) >/dev/null 2>&1' & nsbox=$!
            for i in $(seq 200); do pgrep -f '^sleep \(marker)' >/dev/null && break; sleep 0.01; done
            sleep 0.1; kill -\(signal) $nsbox; wait $nsbox; echo "status $?"
            """
        let result = try runCommand(prefix + ["sh", "-c", script, "sh", NSBox.path] + arguments)
        let status = Int32(result.fields["status"] ?? "") ?? -1
        // nsbox has exited: a command left now was orphaned (its sleep would run for minutes).
        let orphans = processes(matching: "sleep \(marker)")
        for pid in orphans { kill(pid, SIGKILL) }
        return (status, result.stderr, !orphans.isEmpty)
    }

    @Test(arguments: [(1, ["run", "-r", "-f"]), (2, ["run", "-r", "-p"]), (3, ["run", "-r", "-T"]), (4, ["run", "-r", "--json-status-fd", "2"])])
    func aSignalSentToNsboxIsPassedOnAndItsStatusReportedAsRootAnd65534(id: Int, arguments: [String]) throws {
        for (index, prefix) in [[], asUnprivileged].enumerated() {
            for (signal, number) in [("TERM", SIGTERM), ("HUP", SIGHUP)] {
                // Unique per case (the cases run in parallel) and per run (suites run at once).
                let marker = "\(getpid())30\(id).\(index)\(number)"
                let (status, stderr, orphaned) = try signalNsbox(prefix, arguments, signal, marker: marker)
                #expect(status == 128 + number && !orphaned, "\(prefix) \(arguments) \(signal): status \(status), orphaned \(orphaned): \(stderr)")
            }
        }
    }

    @Test func aSignalSentToNsboxEnteringPidAndTimeNamespacesIsPassedOnAsRootAnd65534() throws {
        for (index, prefix) in [[], asUnprivileged].enumerated() {
            let target = try TargetProcess(prefix + ["unshare", "-UrmpfniuCT", "--mount-proc", "--kill-child", "sleep", "60"],
                differingIn: [], ready: { firstChild(of: $0).map { comm($0) == "sleep" } ?? false })
            defer { target.kill() }
            let sleeper = String(firstChild(of: target.pid) ?? 0)
            let enter = ["enter", "-t", sleeper, "-a"] + (prefix.isEmpty ? [] : ["--preserve-credentials"])
            let (status, stderr, orphaned) = try signalNsbox(prefix, enter, "TERM", marker: "\(getpid())31\(index).5")
            #expect(status == 143 && !orphaned, "\(prefix): status \(status), orphaned \(orphaned): \(stderr)")
        }
    }
}

import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// The ways nsbox waits for its command, each with the signals passed on as tini and dumb-init
/// do: every signal nsbox can catch reaches the command, job control stops and continues it,
/// and no signal ends nsbox while the command runs on.
enum WaitingForm: String, CaseIterable, Sendable {
    /// `run -r -p -f`: the default init is pid 1, the command pid 2.
    case initProcess
    /// `run -r -p --as-pid-1`: the command is pid 1 (the kernel drops what it has no handler for).
    case asPid1
    /// `run -r -f`: nsbox's child is the command.
    case fork
    /// `run -r --forward-signals`: unshare's option, which implies -f.
    case forwardSignals
    /// `run -r -T -f`: nsbox waits outside the time namespace (without -f it becomes the
    /// command, as unshare -T does).
    case timeNamespace
    /// `enter -t PID -U -m -p` into a pid namespace: nsbox enters, forks the command and waits.
    case enterPidNamespace

    /// A digit of its own, for markers that must be numbers.
    var digit: Int { Self.allCases.firstIndex(of: self)! }

    /// `nsbox ARGS` for this form, run as root or uid 65534; `body` gets them while whatever
    /// they need (a target to enter) runs.
    func withArguments(unprivileged: Bool, _ body: ([String]) throws -> Void) throws {
        switch self {
        case .initProcess: try body(["run", "-r", "-p", "-f"])
        case .asPid1: try body(["run", "-r", "-p", "--as-pid-1"])
        case .fork: try body(["run", "-r", "-f"])
        case .forwardSignals: try body(["run", "-r", "--forward-signals"])
        case .timeNamespace: try body(["run", "-r", "-T", "-f"])
        case .enterPidNamespace:
            let prefix = unprivileged ? asUnprivileged : []
            let target = try TargetProcess(prefix + ["unshare", "-Urmpf", "--mount-proc", "--kill-child", "sleep", "60"],
                differingIn: [], ready: { firstChild(of: $0).map { comm($0) == "sleep" } ?? false })
            defer { target.kill() }
            let sleeper = String(firstChild(of: target.pid) ?? 0)
            // The kinds it has (-a would re-enter the ones we share, which 65534 may not).
            try body(["enter", "-t", sleeper, "-U", "-m", "-p"] + (unprivileged ? ["--preserve-credentials"] : []))
        }
    }
}

@Suite struct NSBoxSignalPassingTests {
    /// A scratch directory uid 65534 may write in.
    func scratch() -> ScratchDirectory {
        let directory = ScratchDirectory()
        chmod(directory.path, 0o777)
        return directory
    }

    /// Starts `[prefix] nsbox ARGS -- sh -c SCRIPT MARKER OUT` and waits until the script has
    /// written "ready" to OUT and nsbox blocks the signals it passes on (it then waits).
    func start(_ prefix: [String], _ arguments: [String], script: String, marker: String, out: String) throws -> BackgroundCommand {
        let nsbox = try BackgroundCommand(prefix + [NSBox.path] + arguments + ["--", "sh", "-c", script, marker, out])
        let ready = eventually(within: 20) {
            ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("ready") && blocksSignal(nsbox.pid, SIGUSR1)
        }
        if !ready { throw TestFailure("\(arguments): the command did not start") }
        return nsbox
    }

    /// The command's own process: the shell whose command line carries `marker`.
    func commandProcess(_ marker: String) -> Int32? {
        processes(matching: marker).first { comm($0) == "sh" }
    }

    func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Kills what is left of a run (nothing, unless nsbox orphaned its command) and says so.
    func orphans(_ marker: String) -> Bool {
        let left = processes(matching: marker)
        for pid in left { kill(pid, SIGKILL) }
        return !left.isEmpty
    }

    @Test(arguments: WaitingForm.allCases)
    func everySignalSentToAWaitingNsboxReachesTheCommandAsRootAnd65534(form: WaitingForm) throws {
        let directory = scratch()
        // The command traps each and writes what it got; TERM last, which ends it with 3.
        let script = """
            for s in INT QUIT USR1 USR2 WINCH HUP ALRM PIPE; do trap "echo got $s >> $1" $s; done
            trap "echo got TERM >> $1; exit 3" TERM
            echo ready >> $1; while :; do sleep 0.05; done
            """
        let signals: [(String, Int32)] = [
            ("INT", SIGINT), ("QUIT", SIGQUIT), ("USR1", SIGUSR1), ("USR2", SIGUSR2), ("WINCH", SIGWINCH), ("HUP", SIGHUP),
            ("ALRM", SIGALRM), ("PIPE", SIGPIPE),
        ]
        for (index, unprivileged) in [false, true].enumerated() {
            try form.withArguments(unprivileged: unprivileged) { arguments in
                let marker = "nsbox-signals-\(getpid())-\(form.rawValue)-\(index)"
                let out = directory.path + "/\(form.rawValue)-\(index)"
                let nsbox = try start(unprivileged ? asUnprivileged : [], arguments, script: script, marker: marker, out: out)
                for (name, signal) in signals {
                    kill(nsbox.pid, signal)
                    let got = eventually(within: 10) { lines(out).contains("got \(name)") }
                    #expect(got, "\(form) \(index): \(name) did not reach the command: \(lines(out))")
                    #expect(processState(nsbox.pid) != "Z", "\(form) \(index): \(name) ended nsbox")
                }
                kill(nsbox.pid, SIGTERM)
                let status = nsbox.wait()
                #expect(status == 3, "\(form) \(index): status \(String(describing: status)): \(lines(out))")
                // Each once: nothing passed on twice or in a loop.
                #expect(lines(out) == ["ready"] + (signals.map(\.0) + ["TERM"]).map { "got \($0)" }, "\(form) \(index)")
                #expect(!orphans(marker), "\(form) \(index): the command outlived nsbox")
            }
        }
    }

    @Test(arguments: WaitingForm.allCases)
    func tstpStopsTheCommandAndNsboxAndContContinuesThemAsRootAnd65534(form: WaitingForm) throws {
        let directory = scratch()
        let script = """
            trap "echo got CONT >> $1" CONT; trap "exit 3" TERM
            echo ready >> $1; while :; do sleep 0.05; done
            """
        for (index, unprivileged) in [false, true].enumerated() {
            try form.withArguments(unprivileged: unprivileged) { arguments in
                let marker = "nsbox-jobs-\(getpid())-\(form.rawValue)-\(index)"
                let out = directory.path + "/\(form.rawValue)-\(index)"
                let nsbox = try start(unprivileged ? asUnprivileged : [], arguments, script: script, marker: marker, out: out)
                let command = try #require(commandProcess(marker))
                // SIGTSTP: passed on, then nsbox stops too, as a shell's job control expects. As
                // pid 1 with no handler for it the command is not stopped: the kernel drops it.
                kill(nsbox.pid, SIGTSTP)
                #expect(eventually { processState(nsbox.pid) == "T" }, "\(form) \(index): nsbox did not stop")
                if form == .asPid1 {
                    usleep(200_000)
                    #expect(processState(command) != "T", "\(form) \(index)")
                } else {
                    #expect(eventually { processState(command) == "T" }, "\(form) \(index): the command did not stop")
                }
                // SIGCONT: nsbox runs again and passes it on; the command runs and says so.
                kill(nsbox.pid, SIGCONT)
                #expect(eventually { processState(nsbox.pid) != "T" && processState(command) != "T" }, "\(form) \(index)")
                #expect(eventually { lines(out).filter { $0 == "got CONT" }.count == 1 }, "\(form) \(index): \(lines(out))")
                // SIGSTOP cannot be caught: it stops nsbox alone. The SIGCONT after it is passed on.
                kill(nsbox.pid, SIGSTOP)
                #expect(eventually { processState(nsbox.pid) == "T" }, "\(form) \(index)")
                usleep(200_000)
                #expect(processState(command) != "T", "\(form) \(index): SIGSTOP of nsbox stopped the command")
                kill(nsbox.pid, SIGCONT)
                #expect(eventually { lines(out).filter { $0 == "got CONT" }.count == 2 }, "\(form) \(index): \(lines(out))")
                kill(nsbox.pid, SIGTERM)
                #expect(nsbox.wait() == 3, "\(form) \(index)")
                #expect(!orphans(marker), "\(form) \(index): the command outlived nsbox")
            }
        }
    }

    /// Runs `[65534] nsbox ARGS -- sh -c SCRIPT MARKER` of `form` on a new terminal, which types
    /// Ctrl-C once the script printed "ready"; `check` gets what the terminal showed (ending in
    /// "status N") and the name of the case. Nothing may outlive nsbox.
    func typeCtrlC(
        _ form: WaitingForm, options: [String] = [], script: String, marker: (Int) -> String, _ check: (CommandResult, String) -> Void
    ) throws {
        let helper = Probe.sharedCopy(of: "sighelper")
        for (index, unprivileged) in [false, true].enumerated() {
            try form.withArguments(unprivileged: unprivileged) { arguments in
                let result = try runCommand([helper, "terminal", "\\003", "--"] + (unprivileged ? asUnprivileged : [])
                    + [NSBox.path] + arguments + options + ["--", "sh", "-c", script, marker(index)], timeout: 60)
                check(result, "\(form) \(index): \(result.stdout) \(result.stderr)")
                #expect(!orphans(marker(index)), "\(form) \(index): the command outlived nsbox")
            }
        }
    }

    /// README: a terminal's Ctrl-C goes to its foreground process group, the command's and
    /// nsbox's, and nsbox exits with the command's 130.
    @Test(arguments: WaitingForm.allCases)
    func ctrlCOnTheTerminalEndsTheCommandAndNsboxWith130AsRootAnd65534(form: WaitingForm) throws {
        // The command ends by SIGINT's default action; as pid 1 the kernel drops what pid 1 has
        // no handler for, so there the shell handles it.
        let script = form == .asPid1
            ? "trap 'exit 130' INT; echo ready; while :; do sleep 0.05; done; echo after $0"
            : "echo ready; exec sleep $0; echo after"
        try typeCtrlC(form, script: script, marker: { "1000.\(getpid())\(form.digit)\($0)" }) { result, name in
            #expect(result.fields["status"] == "130" && !result.stdout.contains("after"), "\(name)")
        }
    }

    /// A terminal's signal reaches a command in its foreground group once: nsbox (and an init
    /// or supervisor) got it too, and does not pass it on again.
    @Test(arguments: WaitingForm.allCases)
    func aTerminalsSignalReachesTheCommandOnceAsRootAnd65534(form: WaitingForm) throws {
        let script = "trap 'echo got INT' INT; echo ready; for i in $(seq 20); do sleep 0.05; done; exit 5"
        try typeCtrlC(form, script: script, marker: { "nsbox-terminal-\(getpid())-\(form.rawValue)-\($0)" }) { result, name in
            let got = result.stdout.components(separatedBy: "got INT").count - 1
            #expect(result.fields["status"] == "5" && got == 1, "\(name)")
        }
    }

    /// With --new-session the terminal's signals cannot reach the command: nsbox, or the init,
    /// passes them on (once).
    @Test(arguments: [WaitingForm.initProcess, .asPid1, .fork, .timeNamespace])
    func ctrlCReachesACommandInANewSessionOnceAsRootAnd65534(form: WaitingForm) throws {
        let script = "trap 'echo got INT; exit 130' INT; echo ready; while :; do sleep 0.05; done"
        try typeCtrlC(form, options: ["--new-session"], script: script, marker: { "nsbox-session-\(getpid())-\(form.rawValue)-\($0)" }) {
            result, name in
            let got = result.stdout.components(separatedBy: "got INT").count - 1
            #expect(result.fields["status"] == "130" && got == 1, "\(name)")
        }
    }

    @Test(arguments: WaitingForm.allCases)
    func aCallerThatIgnoresSigchldKeepsTheCommandsStatusAsRootAnd65534(form: WaitingForm) throws {
        let helper = Probe.sharedCopy(of: "sighelper")
        for unprivileged in [false, true] {
            try form.withArguments(unprivileged: unprivileged) { arguments in
                let result = try runCommand([helper, "ignore", String(SIGCHLD), "--"] + (unprivileged ? asUnprivileged : [])
                    + [NSBox.path] + arguments + ["--", "sh", "-c", "exit 3"])
                #expect(result.status == 3 && result.stderr.isEmpty, "\(form) \(unprivileged): \(result.status) \(result.stderr)")
            }
        }
        // The negative control: the helper does ignore it (a child of the helper is reaped by
        // the kernel, and the shell's wait finds nothing).
        let control = try runCommand([helper, "ignore", String(SIGCHLD), "--", "grep", "^SigIgn", "/proc/self/status"])
        let mask = UInt64(control.stdout.split(separator: "\t").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", radix: 16) ?? 0
        #expect(mask & (1 << UInt64(SIGCHLD - 1)) != 0, "\(control.stdout)")
    }

    @Test(arguments: [WaitingForm.initProcess, .fork, .timeNamespace, .enterPidNamespace])
    func signalsArePassedOnWithKillWherePidfdSendSignalIsRefusedAsRootAnd65534(form: WaitingForm) throws {
        let enosys = Probe.sharedCopy(of: "enosys")
        let directory = scratch()
        let script = "trap 'echo got USR1 >> $1; exit 7' USR1; echo ready >> $1; while :; do sleep 0.05; done"
        for (index, unprivileged) in [false, true].enumerated() {
            try form.withArguments(unprivileged: unprivileged) { arguments in
                let marker = "nsbox-enosys-\(getpid())-\(form.rawValue)-\(index)"
                let out = directory.path + "/\(form.rawValue)-\(index)"
                let nsbox = try start([enosys, "pidfd_send_signal", "--"] + (unprivileged ? asUnprivileged : []), arguments,
                    script: script, marker: marker, out: out)
                kill(nsbox.pid, SIGUSR1)
                let status = nsbox.wait()
                #expect(status == 7 && lines(out) == ["ready", "got USR1"], "\(form) \(index): \(String(describing: status)) \(lines(out))")
                #expect(!orphans(marker), "\(form) \(index): the command outlived nsbox")
            }
        }
    }

    /// strace makes wait4 fail in every process of the run. Once: the init tries again and the
    /// status passes through (it used to wait for a SIGCHLD that never came, for ever). Always:
    /// the init ends the command within seconds and nsbox names wait4 and the errno.
    @Test(.requiresTool("strace", package: "strace"))
    func aFailingWaitInTheInitIsRetriedThenNamedInsteadOfHangingAsRootAnd65534() throws {
        for (index, prefix) in [[], asUnprivileged].enumerated() {
            for (when, status) in [("1", Int32(3)), ("1+", Int32(125))] {
                let marker = "nsbox-wait4-\(getpid())-\(index)"
                let started = Date()
                let result = try runCommand(prefix + ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=wait4",
                    "-e", "inject=wait4:error=EIO:when=\(when)", NSBox.path, "run", "-r", "-p", "-f", "--",
                    "sh", "-c", "exit 3", marker], timeout: 60)
                #expect(result.status == status, "\(index) \(when): \(result.status) \(result.stderr)")
                if status == 125 {
                    #expect(result.stderr.hasPrefix("nsbox: ") && result.stderr.contains("wait4") && result.stderr.contains("EIO")
                        && result.stderr.split(separator: "\n").count == 1, "\(index): \(result.stderr)")
                    #expect(Date().timeIntervalSince(started) < 30)
                }
                #expect(!orphans(marker))
            }
        }
    }
}

/// Joining a pid namespace whose init has exited: the kernel's ENOMEM from fork, explained.
@Suite struct JoinedPidNamespaceWithoutInitTests {
    @Test func joiningAPidNamespaceWhoseInitExitedSaysSoAsRootAnd65534() throws {
        let directory = ScratchDirectory()
        chmod(directory.path, 0o777)
        for (index, prefix) in [[], asUnprivileged].enumerated() {
            // The namespace is kept by a bind mount in a mount namespace of the shell's own.
            let file = directory.path + "/pid-\(index)"
            let script = """
                touch $0 && unshare --pid=$0 --fork true || exit 99
                "$1" run --join pid=$0 -- true; echo "run $?"
                "$1" enter --ns pid=$0 -- true; echo "enter $?"
                """
            let result = try runCommand(prefix + ["unshare", "-U", "-r", "-m", "sh", "-c", script, file, NSBox.path])
            #expect(result.fields["run"] == "125" && result.fields["enter"] == "125", "\(index): \(result.stdout) \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 2 && lines.allSatisfy { $0.contains("ENOMEM") && $0.contains("init (its pid 1) has exited") },
                "\(index): \(result.stderr)")
        }
    }
}

/// `SandboxProcess.signal(_:)` sends, and only that: no job-control stop of the caller, and
/// nothing once the process is reaped (its pid may be another's by then).
@Suite struct SandboxProcessSignalTests {
    @Test func signalSendsToTheProcessOnlyAndNothingOnceItIsReaped() throws {
        var sandbox = Sandbox(create: [.user])
        sandbox.userMapping = .root
        let process = try sandbox.spawn(SandboxCommand("sleep", ["60"]))
        try process.signal(SIGTSTP)
        #expect(eventually { processState(process.pid.rawValue) == "T" })
        try process.signal(SIGKILL)
        #expect(try process.wait() == .signaled(.kill))
        #expect { try process.signal(SIGTERM) } throws: { ($0 as? SandboxError)?.errno == .noSuchProcess }
    }
}

import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Synchronization
import Testing

/// How the spawned process lives and ends: pid 1, exit status, signals, reaping, fds, lifetime.
@Suite struct SandboxProcessTests {
    @Test func theInitIsPid1AndTheCommandPid2() throws {
        let (output, _) = try runCapturing(Sandbox(create: [.pid]), "sh", ["-c", "echo $$; grep PPid /proc/self/status"])
        #expect(output.hasPrefix("2\n"))
        let asPid1 = { var s = Sandbox(create: [.pid]); s.pidOne = .command; return s }()
        let (own, _) = try runCapturing(asPid1, "sh", ["-c", "echo $$"])
        #expect(own == "1\n")
    }

    @Test(arguments: [0, 1, 2, 42, 125, 126, 127, 128, 200, 255])
    func exitStatusPassesThroughTheInit(code: Int32) throws {
        let (_, termination) = try runCapturing(Sandbox(create: [.user, .pid]), "sh", ["-c", "exit \(code)"])
        #expect(termination == .exited(code))
        #expect(termination.shellStatus == code)
    }

    @Test(arguments: [SIGTERM, SIGKILL, SIGSEGV, SIGUSR1])
    func deathBySignalIsReportedAsTheSignal(signal: Int32) throws {
        for sandbox in [Sandbox(create: [.user, .pid]), Sandbox(), Sandbox(create: [.user, .time])] {
            let (_, termination) = try runCapturing(sandbox, "sh", ["-c", "kill -\(signal) $$"])
            #expect(termination == .signaled(Signal(rawValue: signal)), "\(sandbox.create)")
            #expect(termination.shellStatus == 128 + signal)
        }
    }

    @Test func sigtermToTheHandleReachesTheCommandUnderTheInit() throws {
        let fds = makePipe()
        var command = SandboxCommand("sh", ["-c", "trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done"])
        command.fileDescriptors[.standardOutput] = FileDescriptor(rawValue: fds[1])
        let process = try Sandbox(create: [.user, .pid]).spawn(command)
        close(fds[1])
        let ready = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        #expect(String(decoding: ready.availableData, as: UTF8.self) == "ready\n")
        try process.signal(SIGTERM)
        #expect(try process.wait() == .exited(7))
    }

    @Test func orphansAreReapedByTheInitAndPileUpWithoutIt() throws {
        // The orphans end after sh has become `sleep`, which never waits for anything (while sh
        // still loops, its waits reap orphans too: hence 6 s, longer than the 100 forks take on
        // a loaded machine, under a sanitizer too; 3 s was not). Polled, not timed.
        let marker = "6.\(getpid())"
        let script = "for i in $(seq 100); do (sleep \(marker) &); done; exec sleep 30"
        for pidOne in [PIDOne.initProcess, .command] {
            var sandbox = Sandbox(create: [.user, .pid])
            sandbox.pidOne = pidOne
            let process = try sandbox.spawn(SandboxCommand("sh", ["-c", script]))
            let pid = process.pid.rawValue
            if pidOne == .initProcess {
                // Once every orphan has run its course, none is left unreaped.
                #expect(eventually(within: 25) { processes(matching: "sleep \(marker)").isEmpty })
                usleep(100_000)
                #expect(zombieChildren(of: pid) == 0)
            } else {
                // Negative control: sleep as pid 1 reaps nothing, so the check can fail.
                // At least the 100 sleeps; subshells that end after sh became sleep add to them.
                #expect(eventually(within: 25) { zombieChildren(of: pid) >= 100 }, "\(zombieChildren(of: pid)) zombies")
            }
            try process.signal(SIGKILL)
            #expect(try process.wait() == .signaled(.kill))
        }
    }

    @Test func aCallerFdWithoutCloexecDoesNotReachTheCommand() throws {
        let leaky = open("/dev/null", O_RDONLY)  // deliberately without O_CLOEXEC
        defer { close(leaky) }
        #expect(fcntl(leaky, F_GETFD) & FD_CLOEXEC == 0)
        // ls's own listing of /proc/self/fd opens fd 3.
        let (output, _) = try runCapturing(Sandbox(create: [.user, .pid]), "ls", ["/proc/self/fd"])
        #expect(output == "0\n1\n2\n3\n")
        var passing = SandboxCommand("sh", ["-c", "ls /proc/$$/fd"])
        passing.pass(FileDescriptor(rawValue: leaky))
        let fds = makePipe()
        passing.fileDescriptors[.standardOutput] = FileDescriptor(rawValue: fds[1])
        let process = try Sandbox().spawn(passing)
        close(fds[1])
        let listed = String(decoding: FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile(), as: UTF8.self)
        _ = try process.wait()
        #expect(listed.split(separator: "\n").sorted() == ["0", "1", "2", "\(leaky)"].sorted())
    }

    @Test func killingTheParentKillsTheSandboxWhenAsked() throws {
        for dieWithParent in [true, false] {
            let marker = "\(getpid()).\(dieWithParent ? 1 : 2)"
            var options = ["spawn", "--create", "user,pid", "--map", "root"]
            if dieWithParent { options.append("--die-with-parent") }
            let parent = try TargetProcess(
                [Probe.path] + options + ["--", "sh", "-c", "sleep \(marker); true"], differingIn: []
            ) { _ in sleepers(marker).count == 1 }
            let sandboxed = sleepers(marker)
            parent.kill()
            if dieWithParent {
                #expect(eventually { sleepers(marker).isEmpty })
            } else {
                // Negative control: without it the command outlives its parent.
                usleep(200_000)
                #expect(sleepers(marker) == sandboxed)
                #expect(sandboxed.count == 1)
                for pid in sandboxed { kill(pid, SIGKILL) }
            }
        }
    }

    @Test func spawnsFromConcurrentTasksWhileThreadsSpin() async throws {
        let spinning = SpinningThreads(count: 8)
        defer { spinning.stop() }
        #expect(currentThreadCount() > 8)
        try await withThrowingTaskGroup(of: Termination.self) { group in
            for index in 0..<8 {
                group.addTask {
                    var sandbox = Sandbox(create: [.user, .pid, .network, .mount])
                    sandbox.userMapping = .root
                    let process = try sandbox.spawn(SandboxCommand("sh", ["-c", "test $(id -u) = 0 && exit \(index)"]))
                    return try await process.wait()
                }
            }
            var codes: [Int32] = []
            for try await termination in group { codes.append(termination.shellStatus) }
            #expect(codes.sorted() == Array(0..<8))
        }
    }

    @Test func unprivilegedExitStatusAndSignals() throws {
        let exit = try Probe.runUnprivileged("spawn", "--create", "user,pid", "--map", "root", "--", "sh", "-c", "exit 42")
        #expect(exit.status == 42)
        #expect(exit.stdout == "termination exited 42\n")
        let killed = try Probe.runUnprivileged("spawn", "--create", "user,pid,time", "--", "sh", "-c", "kill -TERM $$")
        #expect(killed.status == 143)
        #expect(killed.stdout == "termination signaled 15\n")
    }
}

/// The `sleep MARKER` processes (not the shells or probes whose arguments mention it).
func sleepers(_ marker: String) -> [Int32] {
    processes(matching: "sleep \(marker)").filter { comm($0) == "sleep" }
}

/// Threads that burn CPU until stopped, to make the caller properly multithreaded.
final class SpinningThreads: Sendable {
    private let running = Atomic<Bool>(true)
    private let threads: Mutex<[pthread_t]> = Mutex([])

    init(count: Int) {
        for _ in 0..<count {
            var thread = pthread_t()
            let context = Unmanaged.passUnretained(self).toOpaque()
            pthread_create(&thread, nil, { raw in
                let spinning = Unmanaged<SpinningThreads>.fromOpaque(raw!).takeUnretainedValue()
                while spinning.running.load(ordering: .relaxed) {}
                return nil
            }, context)
            threads.withLock { $0.append(thread) }
        }
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        for thread in threads.withLock({ $0 }) { pthread_join(thread, nil) }
    }
}

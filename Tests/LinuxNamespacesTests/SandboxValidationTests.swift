import CNamespaces
import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// Every mistake in a configuration is a clear error before anything starts; a failing step
/// leaves nothing behind.
@Suite struct SandboxValidationTests {
    func expectError(
        _ sandbox: Sandbox, _ command: SandboxCommand = SandboxCommand("true"),
        stage: SandboxError.Stage, containing text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let process = try sandbox.spawn(command)
            _ = try? process.wait()
            Issue.record("spawn succeeded; expected \(stage): \(text)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.stage == stage, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aKindBothCreatedAndJoined() {
        var sandbox = Sandbox(create: [.network])
        sandbox.join(.network, .process(.current))
        expectError(sandbox, stage: .configuration, containing: "joins[0]: the net namespace is both created and joined")
    }

    @Test func aKindJoinedTwice() {
        var sandbox = Sandbox()
        sandbox.join(.uts, .process(.current))
        sandbox.join(.uts, .path("/proc/self/ns/uts"))
        expectError(sandbox, stage: .configuration, containing: "joins[1]: the uts namespace is joined twice")
    }

    @Test func mapsWithoutAUserNamespace() {
        var sandbox = Sandbox(create: [.pid])
        sandbox.userMapping = .root
        expectError(sandbox, stage: .configuration, containing: "userMapping: id maps need a new user namespace; add .user to create")
    }

    @Test func aJoinPathOfAnotherKind() {
        var sandbox = Sandbox()
        sandbox.join(.network, .path("/proc/self/ns/uts"))
        expectError(sandbox, stage: .configuration, containing: "this is a uts namespace, not a net namespace")
    }

    @Test func aJoinPathThatIsNotANamespace() {
        var sandbox = Sandbox()
        sandbox.join(.network, .path("/etc/passwd"))
        expectError(sandbox, stage: .configuration, containing: "not a namespace file")
        var missing = Sandbox()
        missing.join(.network, .process(ProcessID(rawValue: 999_999_999)))
        expectError(missing, stage: .configuration, containing: "ENOENT")
    }

    @Test func aMissingOrNonExecutableCommand() {
        expectError(Sandbox(create: [.user]), SandboxCommand("no-such-command-xyz"), stage: .commandNotFound,
            containing: "no-such-command-xyz: ENOENT")
        expectError(Sandbox(), SandboxCommand("/no/such/path"), stage: .commandNotFound, containing: "/no/such/path")
        expectError(Sandbox(), SandboxCommand("/etc"), stage: .commandNotExecutable, containing: "is a directory")
        #expect(SandboxError(.commandNotFound, .lookup("x"), detail: "").exitStatus == 127)
        #expect(SandboxError(.commandNotExecutable, .lookup("x"), detail: "").exitStatus == 126)
        #expect(SandboxError(.child, .execve("x"), detail: "").exitStatus == 125)
    }

    @Test func anEmptyCommandAndBadFds() {
        expectError(Sandbox(), SandboxCommand(""), stage: .configuration, containing: "the command is empty")
        var command = SandboxCommand("true")
        command.fileDescriptors[FileDescriptor(rawValue: 5)] = FileDescriptor(rawValue: 987_654)
        expectError(Sandbox(), command, stage: .configuration, containing: "fd 987654 is not open")
    }

    @Test func aFailingChildStepIsNamed() {
        var sandbox = Sandbox(create: [.user])
        sandbox.userMapping = .root
        sandbox.uid = 4242
        expectError(sandbox, stage: .child, containing: "setresuid(4242): EINVAL")
        var workingDirectory = SandboxCommand("true")
        workingDirectory.workingDirectory = "/no/such/dir"
        expectError(Sandbox(), workingDirectory, stage: .child, containing: "chdir /no/such/dir: ENOENT")
    }

    @Test func unprivilegedNetworkWithoutUserNamespaceIsRefusedWithAHint() throws {
        let result = try Probe.runUnprivileged("spawn", "--create", "net", "--", "true")
        #expect(result.status == 125)
        // The child would share our memory (clone(2) with CLONE_VM), so it is clone that fails.
        #expect(result.stdout.contains("clone(net): EPERM"), "\(result.stdout)")
        #expect(result.stdout.contains("create a user namespace in the same step"))
    }

    @Test func manySpawnsLeaveNoFdsAndNoChildren() throws {
        for run in [Probe.run, Probe.runUnprivileged] {
            let result = try run(["churn", "200"])
            let fields = result.stdout.split(separator: "\n").map { $0.split(separator: " ") }
            func value(_ key: String) -> String? { fields.first { $0.first.map(String.init) == key }.map { String($0[1]) } }
            #expect(value("fds_before") != nil)
            #expect(value("fds_after") == value("fds_before"), "\(result.stdout)")
            #expect(value("children_after") == "0")
            #expect(result.stdout.contains("outcome exited 0=20") && result.stdout.contains("outcome signaled 9=20"), "\(result.stdout)")
            #expect(result.stdout.contains("outcome child=40"))
            #expect(result.stdout.contains("outcome command not found=80"), "\(result.stdout)")
        }
    }

    @Test func aSpawnerThreadThatCannotStartIsAnErrorNotAHang() throws {
        // With die-with-parent, a spawn from a thread other than the main one clones from the
        // library's spawner thread. A uid of this run's own (no other test or suite uses it) may
        // have 2 tasks: the main thread and the spawning one, so the spawner thread cannot start.
        // One more task allowed: the spawner starts, and the clone is what the limit refuses.
        let asOwnUser = ["setpriv", "--reuid=\(TestRun.ownUID)", "--regid=\(TestRun.ownUID)", "--clear-groups"]
        let probe = asOwnUser + [Probe.path, "spawn", "--from-thread", "--die-with-parent",
            "--create", "user", "--map", "root", "--", "true"]
        let noThread = try runCommand(["prlimit", "--nproc=2:2"] + probe, timeout: 30)
        #expect(noThread.status == 125, "\(noThread.stdout) \(noThread.stderr)")
        #expect(noThread.stdout.contains("starting the spawner thread: EAGAIN") && noThread.stdout.contains("RLIMIT_NPROC"), "\(noThread.stdout)")
        let noChild = try runCommand(["prlimit", "--nproc=3:3"] + probe, timeout: 30)
        #expect(noChild.status == 125 && noChild.stdout.contains("(user): EAGAIN"), "\(noChild.stdout) \(noChild.stderr)")
        let fine = try runCommand(asOwnUser + [Probe.path, "spawn", "--from-thread",
            "--die-with-parent", "--create", "user,pid", "--map", "root", "--", "sh", "-c", "echo $$"], timeout: 30)
        #expect(fine.status == 0 && fine.stdout.hasPrefix("2\n"), "\(fine.stdout) \(fine.stderr)")
    }

    @Test func aSandboxSpawnedFromAShortLivedThreadOutlivesTheThread() throws {
        final class Box: @unchecked Sendable { var process: SandboxProcess?; var error: Error? }
        let box = Box()
        var thread = pthread_t()
        let context = Unmanaged.passRetained(box).toOpaque()
        pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            var sandbox = Sandbox(create: [.user, .pid])
            sandbox.dieWithParent = true
            do { box.process = try sandbox.spawn(SandboxCommand("sleep", ["30"])) } catch { box.error = error }
            return nil
        }, context)
        pthread_join(thread, nil)
        let process = try #require(box.process)
        usleep(300_000)
        // PR_SET_PDEATHSIG fires when the creating thread exits: it must not have here.
        #expect(comm(process.pid.rawValue) != nil)
        let state = try String(contentsOfFile: "/proc/\(process.pid.rawValue)/stat", encoding: .utf8)
        #expect(!state.contains(") Z "), "\(state)")
        try process.signal(SIGKILL)
        #expect(try process.wait() == .signaled(.kill))
    }
}

/// A working directory that names one of the caller's fds (directly or through a symlink)
/// cannot smuggle the host's tree into the sandbox: the child has closed that fd first.
@Suite struct WorkingDirectoryEscapeTests {
    @Test func aProcSelfFdWorkingDirectoryIsRefused() throws {
        let scratch = ScratchDirectory()
        let fd = open(scratch.path, O_RDONLY | O_DIRECTORY)  // not close-on-exec on purpose
        #expect(fd >= 0)
        defer { close(fd) }
        let link = scratch.path + "/fd-link"
        symlink("/proc/self/fd/\(fd)", link)
        for directory in ["/proc/self/fd/\(fd)", link] {
            var command = SandboxCommand("pwd")
            command.workingDirectory = FilePath(directory)
            var sandbox = Sandbox(create: [.user, .mount])
            sandbox.userMapping = .root
            do {
                let process = try sandbox.spawn(command)
                _ = try? process.wait()
                Issue.record("\(directory): the command started in the caller's directory")
            } catch {
                #expect(error.stage == .child && error.description.contains("chdir \(directory): ENOENT"), "\(error)")
            }
        }
    }
}

/// Every fd the library hands out or keeps is close-on-exec: a caller that execs or spawns
/// something else does not leak it.
@Suite struct CloseOnExecTests {
    /// Whether fd is close-on-exec, from /proc/self/fdinfo (flags are octal; O_CLOEXEC 02000000).
    func isCloseOnExec(_ fd: Int32) -> Bool {
        let info = (try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8)) ?? ""
        guard let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags:") }),
            let flags = Int(line.dropFirst("flags:".count).trimmingCharacters(in: .whitespaces), radix: 8)
        else { return false }
        return flags & 0o2000000 != 0
    }

    @Test func pidfdsHandlesAndTheFdsOfASpawnInFlightAreCloseOnExec() throws {
        var sandbox = Sandbox(create: [.user, .pid])
        sandbox.userMapping = .root
        // The handle keeps the pidfd and the status pipe; pipes come from SpawnPipe, which
        // always uses pipe2(O_CLOEXEC). (Other suites open fds meanwhile, so only the fds known
        // to be ours are checked.)
        let process = try sandbox.spawn(SandboxCommand("sleep", ["1"]))
        #expect(process.pidfd.rawValue >= 0 && isCloseOnExec(process.pidfd.rawValue))
        var pipeEnds: [Int32] = [-1, -1]
        #expect(cn_pipe_cloexec(&pipeEnds) == 0)
        #expect(isCloseOnExec(pipeEnds[0]) && isCloseOnExec(pipeEnds[1]))
        close(pipeEnds[0]); close(pipeEnds[1])
        let handle = try NamespaceHandle.open(.network, of: .current)
        #expect(isCloseOnExec(handle.fileDescriptor.rawValue))
        try handle.close()
        try process.signal(SIGKILL)
        _ = try process.wait()
        // Negative control: a plain pipe without O_CLOEXEC is seen as such.
        var plain: [Int32] = [0, 0]
        pipe(&plain)
        #expect(!isCloseOnExec(plain[0]))
        close(plain[0]); close(plain[1])
    }
}

/// The target of a symlink, or nil.
func readlinkString(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buffer, buffer.count - 1)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// Standard I/O in swift-subprocess's shape: collected output, input, 100 MB, limits, streaming.
@Suite struct SandboxIOTests {
    @Test(arguments: [false, true])
    func stdoutAndStderrComeBackAsStringsWithTheTermination(unprivileged: Bool) throws {
        // The command is pid 2 under the init: its stdout says so.
        try NSIO.expect("capture", unprivileged: unprivileged, [
            "stdout": "out 2", "stderr": "err", "termination": "exited 3", "pid": "true",
        ])
    }

    @Test(arguments: [false, true])
    func stringAndArrayInputReachTheCommand(unprivileged: Bool) throws {
        try NSIO.expect("stdin", unprivileged: unprivileged, [
            "stdout": "HELLO SANDBOX", "termination": "exited 0", "count": "5",
        ])
    }

    @Test(arguments: [false, true])
    func hundredMegabytesFlowOutAndThroughWithoutDeadlock(unprivileged: Bool) throws {
        // In and out at once through cat: a run that wrote all input before reading would
        // deadlock once both pipes are full. NSBOX_TESTS_BIG_BYTES: a smaller size for the
        // ThreadSanitizer run (Scripts/ci-sanitizers.sh), where 100 MB took past the timeout.
        let size = ProcessInfo.processInfo.environment["NSBOX_TESTS_BIG_BYTES"].flatMap { Int($0) } ?? 100_000_000
        try NSIO.expect("big", ["\(size)"], unprivileged: unprivileged, [
            "out_bytes": "\(size)", "out_zeros": "true", "cat_equal": "true", "termination": "exited 0",
        ])
    }

    @Test(arguments: [false, true])
    func outputPastItsLimitIsAClearErrorAndTheCommandIsKilled(unprivileged: Bool) throws {
        // The command would sleep 30 s: it was killed, not waited for.
        let fields = try NSIO.expect("limit", unprivileged: unprivileged, ["stage": "io", "seconds_under_5": "true"])
        #expect(fields["error"]?.contains("standard output: the command wrote more than the limit of 1000 bytes") == true)
    }

    @Test(arguments: [false, true])
    func theClosureFormStreamsOutputAndWritesInput(unprivileged: Bool) throws {
        // The first line is read before any input is written: it streams.
        try NSIO.expect("stream", unprivileged: unprivileged, [
            "first": "first", "rest": "got second", "stderr": "to-err", "termination": "exited 0", "pid_matches": "true",
            "namespaces": "mnt,pid,user", "lines": "a|b|c", "writer_error": "true", "unread": "signaled 13",
        ])
    }

    /// In the test runner itself (many threads), with a file as output and an fd as input.
    @Test func fileDescriptorInputAndOutputInTheTestRunner() async throws {
        let directory = ScratchDirectory()
        let inputPath = directory.path + "/in", outputPath = directory.path + "/out"
        try "from a file\n".write(toFile: inputPath, atomically: true, encoding: .utf8)
        let input = open(inputPath, O_RDONLY | O_CLOEXEC), output = open(outputPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        var sandbox = Sandbox(create: [.user, .pid])
        sandbox.userMapping = .root
        let result = try await sandbox.run(
            SandboxCommand("sh", ["-c", "cat; echo done >&2"]), input: .fileDescriptor(.init(rawValue: input), closeAfterSpawningProcess: true),
            output: .fileDescriptor(.init(rawValue: output), closeAfterSpawningProcess: true), error: .string(limit: 100))
        #expect(result.termination.isSuccess)
        #expect(result.standardError == "done\n")
        #expect(try String(contentsOfFile: outputPath, encoding: .utf8) == "from a file\n")
        // closeAfterSpawningProcess closed both. Other tests' threads may have been given the
        // same numbers since: closed means the number no longer refers to our file.
        #expect(!refersTo(input, inputPath) && !refersTo(output, outputPath))
    }

    /// A sandbox that cannot be set up throws as spawn does, and leaves no fd behind.
    @Test func aFailedSpawnThrowsItsErrorAndLeaksNoFD() async throws {
        let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        for _ in 0..<20 {
            await #expect(throws: SandboxError.self) {
                _ = try await Sandbox().run(SandboxCommand("/nonexistent/\(getpid())"), input: .string("x"), output: .string(limit: 10), error: .bytes(limit: 10))
            }
        }
        let after = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        // Other tests open fds meanwhile: 20 runs of 5 fds each would leak 100.
        #expect(after - before < 20)
    }
}

/// Whether `fd` is open on the file at `path` (the same device and inode).
private func refersTo(_ fd: Int32, _ path: String) -> Bool {
    var open = stat(), file = stat()
    return fstat(fd, &open) == 0 && stat(path, &file) == 0 && open.st_dev == file.st_dev && open.st_ino == file.st_ino
}

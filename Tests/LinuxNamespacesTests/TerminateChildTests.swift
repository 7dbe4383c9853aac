import Foundation
import Glibc
import Testing

/// `Sandbox.run(..., terminateChildAfter:)` (Perl's `term_child` on the async closure form):
/// cancelling the task sends SIGTERM first and SIGKILL only after the grace period; without
/// it, SIGKILL at once. Driven through `nsio` (user + mount + pid, root mapped), as root and
/// as 65534; the command's TERM trap leaves a line in a file of the run's scratch directory.
@Suite struct TerminateChildTests {
    /// Runs `nsio term-child MODE GRACE_MS FILE` and returns its fields and what the trap wrote.
    func cancel(_ mode: String, graceMS: Int, unprivileged: Bool) throws -> ([String: String], String) {
        let scratch = ScratchDirectory()
        chmod(scratch.path, 0o777)
        let file = scratch.path + "/term"
        let fields = try NSIO.run(["term-child", mode, String(graceMS), file], unprivileged: unprivileged)
        return (fields, (try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
    }

    @Test func cancellingSendsTermFirstAndTheCommandEndsWithinTheGraceAsRootAnd65534() throws {
        for unprivileged in [false, true] {
            let (f, trapped) = try cancel("exit", graceMS: 10_000, unprivileged: unprivileged)
            #expect(f["run"] == "CancellationError" && f["pid_gone"] == "true", "\(unprivileged): \(f)")
            #expect(trapped == "term\n", "\(unprivileged): \(trapped)")
            // It ended on SIGTERM: well before the 10 s after which SIGKILL would come.
            #expect(f["elapsed_ms"].flatMap { Int($0) }.map { $0 < 3000 } == true, "\(unprivileged): \(f)")
        }
    }

    @Test func aCommandThatIgnoresTermIsKilledAfterTheGraceAsRootAnd65534() throws {
        for unprivileged in [false, true] {
            let (f, trapped) = try cancel("ignore", graceMS: 700, unprivileged: unprivileged)
            #expect(f["run"] == "CancellationError" && f["pid_gone"] == "true", "\(unprivileged): \(f)")
            #expect(trapped == "term\n", "\(unprivileged): \(trapped)")
            #expect(f["elapsed_ms"].flatMap { Int($0) }.map { (700..<5000).contains($0) } == true, "\(unprivileged): \(f)")
        }
    }

    @Test func withoutAGraceCancellingKillsAtOnceAsRootAnd65534() throws {
        // The negative control of the trap's line: SIGKILL leaves the trap no chance.
        for unprivileged in [false, true] {
            let (f, trapped) = try cancel("none", graceMS: 0, unprivileged: unprivileged)
            #expect(f["run"] == "CancellationError" && f["pid_gone"] == "true", "\(unprivileged): \(f)")
            #expect(trapped == "" && f["elapsed_ms"].flatMap { Int($0) }.map { $0 < 2000 } == true, "\(unprivileged): \(f) \(trapped)")
        }
    }
}

import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// Awaiting sandboxes at scale: pidfd readiness on one thread, no lock held while waiting,
/// cancellation.
@Suite struct SandboxAsyncTests {
    @Test(arguments: [false, true])
    func aThousandConcurrentRunsKeepTheThreadCountBounded(unprivileged: Bool) throws {
        let fields = try NSIO.run(["many", "1000"], unprivileged: unprivileged)
        #expect(fields["correct"] == "1000")
        // Main thread, the cooperative pool (one per CPU), the epoll thread, the sampler, and
        // a few of the runtime's: far from one per sandbox.
        let peak = try #require(fields["peak_threads"].flatMap { Int($0) })
        let cpus = try #require(fields["cpus"].flatMap { Int($0) })
        #expect(peak <= cpus + 8, "peak \(peak) threads")
    }

    /// The negative control: a thread per waiter shows in the same sampler.
    @Test func theSamplerSeesAThreadPerWaiter() throws {
        let fields = try NSIO.run(["thread-per-waiter", "200"], unprivileged: false)
        let peak = try #require(fields["peak_threads"].flatMap { Int($0) })
        #expect(peak >= 200)
    }

    @Test(arguments: [false, true])
    func namespacesAreReadableWhileATaskAndAThreadWait(unprivileged: Bool) throws {
        try NSIO.expect("namespaces", unprivileged: unprivileged, [
            "still_running": "true", "read_ms_under_50": "true", "kinds": "3", "task": "exited 0", "thread": "exited 0",
        ])
    }

    @Test(arguments: [false, true])
    func cancellingAWaitDetachesAndTheProcessRunsOn(unprivileged: Bool) throws {
        try NSIO.expect("cancel-wait", unprivileged: unprivileged, [
            "waiter": "canceled", "alive_after_cancel": "true", "termination": "signaled 9",
        ])
    }

    @Test(arguments: [false, true])
    func cancellingARunKillsTheWholeSandbox(unprivileged: Bool) throws {
        // The background loop inside died with the pid namespace.
        try NSIO.expect("cancel-run", unprivileged: unprivileged, [
            "run": "CancellationError", "seconds_under_5": "true", "pid_gone": "true", "left_behind": "0",
        ])
    }

    /// In the test runner: many tasks await one process, one reads its namespaces meanwhile.
    @Test func manyTasksAwaitOneProcess() async throws {
        var sandbox = Sandbox(create: [.user, .pid])
        sandbox.userMapping = .root
        let process = try sandbox.spawn(SandboxCommand("sleep", ["0.5"]))
        let endings = try await withThrowingTaskGroup(of: Termination.self) { group in
            for _ in 0..<20 { group.addTask { try await process.wait() } }
            #expect(process.namespaces.count == 2)
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(endings == Array(repeating: .exited(0), count: 20))
        #expect(try await process.wait() == .exited(0))
    }
}

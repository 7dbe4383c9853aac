import Dispatch
import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// A `SandboxProcess` used from several threads at once. Run under ThreadSanitizer
/// (`Scripts/ci-sanitizers.sh thread`), a lock it cannot see shows here as a race report, which
/// fails the run.
@Suite struct SharedHandleTests {
    @Test func threadsWaitAndReadTheNamespacesOfOneHandleAtOnce() throws {
        var sandbox = Sandbox(create: [.user, .pid])
        sandbox.userMapping = .root
        let process = try sandbox.spawn(SandboxCommand("sleep", ["0.2"]))
        let pid = process.namespaces[.pid]
        #expect(pid != nil)
        // The first wait holds the handle's lock while the command runs: the others wait for
        // the lock, then read what the first one wrote.
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                #expect((try? process.wait()) == .exited(0))
                #expect(process.namespaces[.pid] == pid)
                group.leave()
            }
        }
        group.wait()
    }
}

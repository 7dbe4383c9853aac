@testable import LinuxNamespaces
import Testing

/// Where a time namespace needs a fork, decided without the kernel: since Linux 6.2 execve
/// enters it (no fork); before, the child forks a copy into it, as it always did.
@Suite struct TimeNamespaceGeometryTests {
    func sandbox(_ create: NamespaceSet, pidOne: PIDOne = .initProcess, joinTime: Bool = false) -> Sandbox {
        var sandbox = Sandbox(create: create)
        sandbox.pidOne = pidOne
        if joinTime { sandbox.join(.time, .process(ProcessID(rawValue: 1))) }
        return sandbox
    }

    @Test func kernelReleasesFromSixTwoEnterTheTimeNamespaceAtExec() {
        for (release, enters) in [("6.18.44-fc-v1098", true), ("6.2.0", true), ("7.0-rc1", true), ("6.1.128-lts", false),
            ("5.15.0-91-generic", false), ("6", false), ("", false)] {
            #expect(KernelRelease(release).isAtLeast(6, 2) == enters, "\(release)")
        }
    }

    @Test func aNewTimeNamespaceForksOnlyWhereExecDoesNotEnterIt() {
        for mode in [LaunchMode.spawn, .execute] {
            let new = ProcessGeometry(sandbox([.user, .time]), mode: mode, kernelEntersTimeAtExec: true)
            #expect(!new.forkForChildren && new.unshareFlags.contains(.time), "\(mode)")
            let old = ProcessGeometry(sandbox([.user, .time]), mode: mode, kernelEntersTimeAtExec: false)
            #expect(old.forkForChildren && old.unshareFlags.contains(.time) && !old.forkAsSibling, "\(mode)")
        }
        // apply goes on in the caller's own code, which no execve takes inside: always a fork.
        #expect(ProcessGeometry(sandbox([.user, .time]), mode: .apply, kernelEntersTimeAtExec: true).forkForChildren)
    }

    @Test func theCommandAsPidOneComesFromTheCloneUnlessTheTimeNamespaceForks() {
        let box = sandbox([.user, .pid, .time], pidOne: .command)
        let new = ProcessGeometry(box, kernelEntersTimeAtExec: true)
        #expect(new.cloneFlags.contains(.pid) && !new.forkForChildren && !new.mayHaveSupervisor)
        let old = ProcessGeometry(box, kernelEntersTimeAtExec: false)
        #expect(!old.cloneFlags.contains(.pid) && old.unshareFlags.isSuperset(of: [.pid, .time]) && old.forkForChildren && old.mayHaveSupervisor)
    }

    @Test func aJoinedTimeNamespaceNeverForks() {
        for enters in [true, false] {
            for mode in [LaunchMode.spawn, .execute, .apply] {
                #expect(!ProcessGeometry(sandbox([], joinTime: true), mode: mode, kernelEntersTimeAtExec: enters).forkForChildren, "\(mode) \(enters)")
            }
        }
        #expect(!sandbox([], joinTime: true).childOnlyNamespaces.contains(.time))
    }
}

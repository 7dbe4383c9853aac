import Foundation
import Glibc
import Testing

/// `--die-with-parent` as bwrap means it: nsbox and its sandbox die with the process that
/// started nsbox; `--kill-child` keeps unshare's meaning (the command dies with nsbox).
@Suite struct DieWithParentTests {
    /// Starts `nsbox run OPTIONS -- sleep MARKER` in the background of a shell that kills itself
    /// 0.3 s later, as root or 65534; returns the marker (`sleep`'s argument, in nsbox's command
    /// line too), unique to this test process and round.
    func orphanNSBox(_ options: [String], asRoot: Bool, round: Int) throws -> String {
        let marker = "1000.\(getpid())\(round)"
        let script = "\"$0\" run \(options.joined(separator: " ")) -- sleep \(marker) >/dev/null 2>&1 & sleep 0.3; kill -9 $$"
        let result = try runCommand((asRoot ? [] : asUnprivileged) + ["sh", "-c", script, NSBox.path], timeout: 30)
        #expect(result.status == 128 + SIGKILL)
        return marker
    }

    @Test func nsboxAndTheSandboxDieWithTheProcessThatStartedNSBoxAsRootAnd65534() throws {
        for (round, asRoot) in [true, false].enumerated() {
            for (index, options) in [["-rpf", "--die-with-parent"], ["-r", "--die-with-parent"], ["-rm", "--die-with-parent", "--ro-bind", "/", "/"], ["--sandbox"]].enumerated() {
                let marker = try orphanNSBox(options, asRoot: asRoot, round: round * 10 + index)
                #expect(eventually(within: 5) { processes(matching: marker).isEmpty }, "\(options) root: \(asRoot)")
                for pid in processes(matching: marker) { kill(pid, SIGKILL) }
            }
        }
    }

    /// Negative control: with `--kill-child` (unshare's option: the command dies with nsbox)
    /// nsbox and the command outlive the shell that started them.
    @Test func withKillChildNSBoxOutlivesTheProcessThatStartedIt() throws {
        let marker = try orphanNSBox(["-rpf", "--kill-child"], asRoot: true, round: 90)
        defer { for pid in processes(matching: marker) { kill(pid, SIGKILL) } }
        usleep(500_000)
        #expect(processes(matching: marker).count >= 2, "nsbox and sleep should still run")
        // And --kill-child still means unshare's: killing nsbox takes the command along.
        for pid in processes(matching: marker) where comm(pid) == "nsbox" { kill(pid, SIGKILL) }
        #expect(eventually(within: 5) { processes(matching: marker).isEmpty })
    }
}

import Foundation
import Glibc
import Testing

/// `nsbox enter -S follow -G follow` takes the target's ids as the entered user namespace sees
/// them, as nsenter master does (it stats /proc/PID after setns; 2.38 has no `follow`).
@Suite struct NSBoxEnterFollowTests {
    @Test func followIsTheTargetsIdInsideTheEnteredUserNamespace() throws {
        for prefix in [[], asUnprivileged] {
            // Root inside (-r): 0, whether the target is root or 65534 outside.
            let target = try TargetProcess(prefix + ["unshare", "-r", "sleep", "60"], differingIn: ["user"])
            defer { target.kill() }
            let entered = try runCommand(
                prefix + [NSBox.path, "enter", "-t", String(target.pid), "-U", "--preserve-credentials",
                          "-S", "follow", "-G", "follow", "--", "sh", "-c", "echo $(id -u) $(id -g)"])
            #expect(entered.status == 0, "\(entered.stderr)")
            #expect(entered.stdout == "0 0\n", "\(entered.stdout)")
        }
    }
}

import Glibc
import Testing

/// A namespace held only by an fd opened through a path (a bind-mounted nsfs file, unmounted
/// since: the fd's link reads "/"), as util-linux's `lsns/filedesc` test makes it: listed as lsns
/// lists it, with no process.
@Suite struct NSBoxListPathHeldTests {
    @Test(.requiresTool("ip", package: "iproute2")) func aNamespaceHeldByAnFdOpenedByItsPathIsListed() throws {
        let name = TestRun.name("held")
        // In a private mount namespace with its own /run: nothing of it reaches the host.
        func list(holding: Bool) throws -> CommandResult {
            let open = holding ? "exec 4</run/netns/\(name);" : ""
            let script = """
                mount -t tmpfs tmpfs /run && ip netns add \(name) && ino=$(stat -L -c %i /run/netns/\(name)) && \(open) \
                ip netns delete \(name) && \(NSBox.path) ls -n -r -o TYPE,NPROCS,USER -Q "NS == $ino"
                """
            return try runCommand(["unshare", "-m", "--propagation", "private", "sh", "-c", script])
        }
        let held = try list(holding: true)
        #expect(held.status == 0 && held.stdout == "net 0 root\n", "\(held)")
        // Negative control: with the fd not opened, the namespace is gone and nothing matches.
        let gone = try list(holding: false)
        #expect(gone.status == 0 && gone.stdout.isEmpty, "\(gone)")
    }
}

import Foundation
import LinuxNamespaces
import SystemPackage
import Testing

/// Named namespaces, compatible with ip netns.
@Suite struct NamedNamespacesTests {
    @Test(.requiresTool("ip", package: "iproute2")) func aNamedNetworkNamespaceIsSharedWithIpNetnsAndRemovable() throws {
        let name = "nsbox-test-\(getpid())"
        let made = try NSBox.run("run", "-U", "-r", "-n", "--net=\(name)", "--", "true")
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try runCommand(["ip", "netns", "list"]).stdout.contains(name))
        #expect(NamedNamespaces.list(.network).contains(name))
        let id = try NamespaceID(path: NamedNamespaces.path(.network, name))
        // The namespace outlived its process; ip netns exec and nsbox enter both join it.
        let viaIP = try runCommand(["ip", "netns", "exec", name, "stat", "-L", "-c", "%i", "/proc/self/ns/net"])
        let viaUs = try NSBox.run("enter", "--net=\(name)", "--", "stat", "-L", "-c", "%i", "/proc/self/ns/net")
        #expect(viaIP.stdout == "\(id.inode)\n")
        #expect(viaUs.stdout == "\(id.inode)\n")
        #expect(try NSBox.run("rm", name).status == 0)
        #expect(!NamedNamespaces.list(.network).contains(name))
        let again = try NSBox.run("rm", name)
        #expect(again.status == 125 && again.stderr.contains("there is no net namespace named '\(name)'"))
    }

    @Test(.requiresTool("ip", package: "iproute2")) func otherKindsLiveUnderRunNsboxAndIpNetnsNamesAreOurs() throws {
        let name = "nsbox-test-uts-\(getpid())"
        #expect(try NSBox.run("run", "-u", "--hostname", "named", "--uts=\(name)", "--", "true").status == 0)
        #expect(try NSBox.run("names", "uts").stdout.contains("uts \(name)\n"))
        #expect(try NSBox.run("enter", "--uts=\(name)", "--", "hostname").stdout == "named\n")
        #expect(try NSBox.run("rm", "--type", "uts", name).status == 0)

        let ipName = "nsbox-test-ip-\(getpid())"
        #expect(try runCommand(["ip", "netns", "add", ipName]).status == 0)
        #expect(NamedNamespaces.list(.network).contains(ipName))
        try NamedNamespaces.remove(.network, ipName)
        #expect(!(try runCommand(["ip", "netns", "list"]).stdout.contains(ipName)))
    }

    @Test func badNamesAndOrdinaryUsersAreRefused() throws {
        #expect(throws: NamespaceError.self) { try NamedNamespaces.prepare(.network, "../escape") }
        let denied = try NSBox.runUnprivileged("run", "-U", "-n", "--net=\(TestRun.name("nsbox-denied"))", "--", "true")
        #expect(denied.status == 125)
        #expect(denied.stderr.contains("needs root") || denied.stderr.contains("EACCES") || denied.stderr.contains("EPERM"), "\(denied.stderr)")
    }
}

import CNamespaces
import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// `-V/--version` on every subcommand, `--json` errors (one object on stderr), `names` and
/// `rm` in JSON, and the library calls `nsbox enter -a` is made of.
@Suite struct NSBoxEnterVersionAndJSONTests {
    @Test func everySubcommandPrintsTheVersion() throws {
        for arguments in [["-V"], ["--version"], ["run", "-V"], ["run", "-r", "--version"], ["enter", "-V"], ["enter", "--version"],
            ["ls", "-V"], ["id", "--version"], ["names", "-V"], ["rm", "--version"]] {
            let result = try NSBox.run(arguments)
            #expect(result.status == 0 && result.stdout == "nsbox from swift-linux-namespaces 0.1\n", "\(arguments): \(result.stderr)")
        }
        // After the command, -V is the command's.
        #expect(try NSBox.run("run", "-r", "--", "echo", "-V").stdout == "-V\n")
        #expect(try NSBox.run("run", "-r", "printf", "%s\\n", "--version").stdout == "--version\n")
    }

    @Test func jsonMakesEveryFailureOneObjectOnStderr() throws {
        for arguments in [["enter", "--json", "-t", "0x", "true"], ["enter", "--json", "true"], ["run", "--json", "--bogus"],
            ["run", "--json", "--hostname", "x", "true"], ["names", "--json", "nett"], ["rm", "--json", "no-such-name-\(getpid())"],
            ["id", "--json", "nett"], ["run", "--json", "-r", "no-such-command-\(getpid())"]] {
            let plain = try NSBox.run(arguments.filter { $0 != "--json" })
            let json = try NSBox.run(arguments)
            // (rm --json lists what it removed before the failure: nothing here.)
            #expect(json.status == plain.status && json.status != 0, "\(arguments): \(json.stderr)")
            #expect(json.stdout == (arguments[0] == "rm" ? "[]\n" : ""), "\(arguments): \(json.stdout)")
            let lines = json.stderr.split(separator: "\n")
            let object = try #require(lines.count == 1 ? try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any] : nil, "\(arguments): \(json.stderr)")
            #expect(object.count == 2 && object["exitCode"] as? Int == Int(json.status), "\(object)")
            // The same words as the plain line, without its "nsbox: ".
            #expect("nsbox: \(object["error"] as? String ?? "")\n" == plain.stderr, "\(object) vs \(plain.stderr)")
        }
    }

    @Test func namesAndRemoveInJSON() throws {
        // (The test process has a /run of its own: TestIsolation.)
        let name = TestRun.name("json")
        #expect(try NSBox.run("run", "-u", "--uts=\(name)", "true").status == 0)
        let listed = try NSBox.run("names", "--json", "uts")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: String]], "\(listed.stdout)")
        #expect(array.contains { $0 == ["type": "uts", "name": name, "path": "/run/nsbox/uts/\(name)"] }, "\(array)")
        let removed = try NSBox.run("rm", "--json", "-t", "uts", name)
        #expect(removed.status == 0 && removed.stdout == "[{\"type\": \"uts\", \"name\": \"\(name)\", \"path\": \"/run/nsbox/uts/\(name)\"}]\n", "\(removed.stderr)")
        let after = try NSBox.run("names", "--json", "uts")
        #expect(!after.stdout.contains(name) && after.status == 0, "\(after.stdout)")
    }

    @Test func theLibraryFindsWhatDiffersAndJoinsItInOrder() throws {
        let target = try TargetProcess(["unshare", "--uts", "--ipc", "sleep", "60"], differingIn: ["uts", "ipc"])
        let pid = ProcessID(rawValue: target.pid)
        #expect(try pid.namespacesDifferingFromOurs() == [.uts, .ipc])
        #expect(try ProcessID.current.namespacesDifferingFromOurs().isEmpty)
        var sandbox = Sandbox()
        sandbox.join(.network, .path("/proc/self/ns/net"))
        #expect(try sandbox.joinAll(of: pid) == [.uts, .ipc])
        #expect(sandbox.joins.map(\.kind) == [.network, .uts, .ipc])
        #expect(sandbox.joins.last?.path == FilePath("/proc/\(target.pid)/ns/ipc"))
        sandbox.join([.pid], of: pid)
        #expect(sandbox.joins.last?.path == FilePath("/proc/\(target.pid)/ns/pid_for_children"))
        #expect(try NamedNamespaces.resolve(.network, "demo") == "/run/netns/demo")
        #expect(try NamedNamespaces.resolve(.uts, "./demo") == "./demo")
        let gone = try TargetProcess(["sleep", "60"], differingIn: [])
        let gonePID = ProcessID(rawValue: gone.pid)
        gone.kill()
        #expect { try gonePID.namespacesDifferingFromOurs() } throws: { ($0 as? NamespaceError)?.errno == .noSuchFileOrDirectory }
    }

    @Test func aPinnedTargetMustStillBeTheSameProcess() throws {
        let target = try TargetProcess(["unshare", "--uts", "sleep", "60"], differingIn: ["uts"])
        let pidfd = cn_pidfd_open(target.pid, 0)
        try #require(pidfd >= 0)
        defer { close(pidfd) }
        var info = stat()
        try #require(fstat(pidfd, &info) == 0)
        let good = try NSBox.run("enter", "-t", "\(target.pid):\(info.st_ino)", "-u", "--", "stat", "-L", "-c", "%i", "/proc/self/ns/uts")
        #expect(good.status == 0 && good.stdout == "\(target.namespace("uts")!)\n", "\(good.stderr)")
        let wrong = try NSBox.run("enter", "-t", "\(target.pid):\(info.st_ino + 1)", "-u", "true")
        #expect(wrong.status == 125 && wrong.stderr.contains("failed to obtain a valid file descriptor for PID \(target.pid)"), "\(wrong.stderr)")
    }
}

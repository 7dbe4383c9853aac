import Foundation
import Glibc
import Testing

/// `nsbox run --new-root`: pivot_root into a directory, the old root detached.
@Suite struct NSBoxNewRootTests {
    /// A root holding a marker, a script that exists nowhere else, empty /usr, /proc and /tmp,
    /// and the merged-/usr links, so that binding /usr gives a shell. Not a mount point: nsbox
    /// binds it onto itself for pivot_root.
    func makeRoot(_ scratch: ScratchDirectory) -> String {
        let root = scratch.sub("root")
        for dir in ["usr", "proc", "tmp"] { _ = scratch.sub("root/\(dir)") }
        for link in ["bin", "lib", "lib64", "sbin"] where access("/\(link)", F_OK) == 0 {
            symlink("usr/\(link)", "\(root)/\(link)")
        }
        FileManager.default.createFile(atPath: "\(root)/marker", contents: Data("inside\n".utf8))
        FileManager.default.createFile(atPath: "\(root)/from-new-root", contents: Data("#!/bin/sh\necho ran from the new root\n".utf8))
        chmod("\(root)/marker", 0o644)
        chmod("\(root)/from-new-root", 0o755)
        return root
    }

    @Test func theOldRootIsGoneAndTheCommandRunsFromTheNewRootAsRootAnd65534() throws {
        let scratch = ScratchDirectory()
        let root = makeRoot(scratch)
        let outside = scratch.path + "/outside"
        FileManager.default.createFile(atPath: outside, contents: Data())
        #expect(!hostMountinfo().contains(" \(root) "), "the new root must not be a mount point for this test")
        #expect(access("/from-new-root", F_OK) != 0)
        // What the command sees of the tree: its directory, the marker, whether a file outside
        // the new root is there, '..' of '/', and every mount point of its namespace. (No
        // redirection to /dev/null: the new root has no /dev.)
        let look = "pwd; cat /marker || echo no marker; test -e \(outside) && echo outside reachable || echo outside gone; "
            + "test \"$(ls -a /..)\" = \"$(ls -a /)\" && echo dotdot is root; cut -d' ' -f5 /proc/self/mountinfo | sort | tr '\\n' ' '"
        for (user, prefix) in bothUsers {
            let base = prefix + [NSBox.path, "run", "-r", "-m", "-p", "--mount-proc", "--ro-bind", "/usr", "/usr"]
            let inside = try runCommand(base + ["--new-root", root, "--", "sh", "-c", look])
            #expect(inside.status == 0, "\(user): \(inside.stderr)")
            #expect(inside.stdout == "/\ninside\noutside gone\ndotdot is root\n/ /proc /usr ", "\(user): \(inside.stdout)")
            // Negative control: without --new-root the same look sees the host's tree and mounts.
            let host = try runCommand(prefix + [NSBox.path, "run", "-r", "-m", "--", "sh", "-c", look])
            let hostLines = host.stdout.split(separator: "\n")
            #expect(hostLines.count == 5 && hostLines[1] == "no marker" && hostLines[2] == "outside reachable", "\(user): \(host.stdout)")
            #expect(hostLines.last.map { $0.split(separator: " ").count > 3 } == true, "\(user): \(host.stdout)")
            // The command is looked up and executed in the new root: this file exists only there.
            let script = try runCommand(base + ["--new-root", root, "--", "/from-new-root"])
            #expect(script.status == 0 && script.stdout == "ran from the new root\n", "\(user): \(script.stderr)")
        }
    }

    @Test func theInitAndTheCommandBothLiveInTheNewRoot() throws {
        // The init stays alive beside the command: had it kept the old root, /proc/1/root would
        // lead there from inside.
        let scratch = ScratchDirectory()
        let root = makeRoot(scratch)
        let outside = "outside-\(getpid())"
        FileManager.default.createFile(atPath: "\(scratch.path)/\(outside)", contents: Data())
        for (user, prefix) in bothUsers {
            let target = try TargetProcess(
                prefix + [NSBox.path, "run", "-r", "-m", "-p", "--mount-proc", "--ro-bind", "/usr", "/usr", "--new-root", root, "--", "sleep", "60"],
                differingIn: []
            ) { pid in firstChild(of: pid).flatMap { firstChild(of: $0) }.map { comm($0) == "sleep" } ?? false }
            // setpriv execs nsbox: the target's pid is nsbox itself, the init its child.
            let initPID = try #require(firstChild(of: target.pid))
            let command = try #require(firstChild(of: initPID))
            for pid in [initPID, command] {
                #expect(access("/proc/\(pid)/root/marker", F_OK) == 0, "\(user): \(pid) is not in the new root")
                #expect(access("/proc/\(pid)/root\(scratch.path)/\(outside)", F_OK) != 0, "\(user): \(pid) reaches the old root")
            }
            // Negative control: nsbox itself, outside, sees the host's tree.
            #expect(access("/proc/\(target.pid)/root\(scratch.path)/\(outside)", F_OK) == 0)
            target.kill()
        }
    }

    @Test func badNewRootsAreRefusedWithOneLineAndStatus125AsRootAnd65534() throws {
        let scratch = ScratchDirectory()
        let root = makeRoot(scratch)
        let file = scratch.path + "/a-file"
        FileManager.default.createFile(atPath: file, contents: Data())
        let closed = scratch.sub("closed")
        chmod(closed, 0o700)
        let cases: [(String, [String], String)] = [
            ("all", ["-r", "-m", "--new-root", "/no/such/dir"], "newRoot: '/no/such/dir' is not an absolute path to a directory"),
            ("all", ["-r", "-m", "--new-root", file], "newRoot: '\(file)' is not an absolute path to a directory"),
            ("all", ["-r", "-m", "--new-root", "relative/dir"], "newRoot: 'relative/dir' is not an absolute path to a directory"),
            ("all", ["-r", "--new-root", root], "newRoot: mounting needs a new mount namespace"),
            ("all", ["-r", "-m", "--new-root", root, "--ro-bind", "/usr", "/no-such-target"], "the target \(root)/no-such-target does not exist"),
            // Root may enter any directory; 65534 is refused by the kernel at the bind: named.
            ("65534", ["-r", "-m", "--new-root", closed], "pivot_root \(closed): EACCES"),
        ]
        for (user, prefix) in bothUsers {
            for (who, options, message) in cases where who == "all" || who == user {
                let result = try runCommand(prefix + [NSBox.path, "run"] + options + ["--", "true"])
                #expect(result.status == 125, "\(user) \(options): \(result.status) \(result.stderr)")
                #expect(result.stderr.hasPrefix("nsbox: ") && result.stderr.contains(message), "\(user) \(options): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1 && result.stdout.isEmpty, "\(user) \(options): \(result.stderr)")
            }
            // A new root without the command: not found, 127, as any missing command.
            let missing = try runCommand(prefix + [NSBox.path, "run", "-r", "-m", "--new-root", root, "--", "sh", "-c", "true"])
            #expect(missing.status == 127 && missing.stderr.hasPrefix("nsbox: command not found"), "\(user): \(missing.stderr)")
        }
        #expect(!hostMountinfo().contains(" \(root) ") && !hostMountinfo().contains(" \(closed) "), "a failed new root left a mount")
    }
}

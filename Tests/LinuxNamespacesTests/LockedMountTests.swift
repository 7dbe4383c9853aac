import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// Read-only means read-only: the mounts of a sandbox with read-only mounts in a new user
/// namespace are locked by a nested user + mount namespace, so that even a command that keeps
/// CAP_SYS_ADMIN cannot make them writable, unmount them or mount proc; as root and 65534.
@Suite struct LockedMountTests {
    /// Every attempt the command makes on the mount at `$0` (a scratch directory: what an
    /// unmount reveals is ours), then what it can see of its capabilities.
    static let attempts = """
        mount -o remount,rw,bind "$0" 2>/dev/null && echo remounted
        umount "$0" 2>/dev/null && echo unmounted
        umount -l "$0" 2>/dev/null && echo detached
        echo hacked > "$0/f" 2>/dev/null && echo written
        mount -t proc proc /proc 2>/dev/null && echo proc
        hostname hacked 2>/dev/null && echo hostname
        grep CapEff /proc/self/status | tr -d '\\t'
        """

    /// A directory 65534 may write to, with a file `f` that says "original".
    static func writableDirectory(_ scratch: ScratchDirectory) -> String {
        let directory = scratch.sub("data")
        chmod(directory, 0o777)
        FileManager.default.createFile(atPath: directory + "/f", contents: Data("original\n".utf8))
        chmod(directory + "/f", 0o666)
        return directory
    }

    @Test func aReadOnlyBindCannotBeRemountedUnmountedOrWrittenEvenWithCapSysAdminAsRootAnd65534() throws {
        let scratch = ScratchDirectory()
        let data = Self.writableDirectory(scratch)
        let target = scratch.sub("target")
        for (who, run) in CapabilityTests.runners {
            for fork in [["-u"], ["-u", "-p", "-f"], ["-u", "-p", "--as-pid-1"]] {
                let result = try run(["run", "-r", "-m"] + fork + ["--ro-bind", data, target, "--", "sh", "-c", Self.attempts, target])
                #expect(result.status == 0, "\(who) \(fork): \(result.stderr)")
                // It kept every capability, and none of the attempts worked.
                #expect(result.stdout == "CapEff:000001ffffffffff\n", "\(who) \(fork): \(result.stdout)")
                #expect(try String(contentsOfFile: data + "/f", encoding: .utf8) == "original\n", "\(who) \(fork)")
            }
        }
    }

    /// Negative control: the same attempts without the lock (`mountLocking = .never`), the
    /// escape the issue reported: the remount works and the host's file is written.
    @Test func withoutTheLockTheRemountEscapeWorks() throws {
        let scratch = ScratchDirectory()
        let data = Self.writableDirectory(scratch)
        let target = scratch.sub("target")
        var sandbox = Sandbox(create: [.user, .mount, .uts])
        sandbox.userMapping = .root
        sandbox.mounts = [.bind(data, target, readOnly: true)]
        sandbox.mountLocking = .never
        let escape = "mount -o remount,rw,bind \"$0\" && echo hacked > \"$0/f\" && echo written"
        let (output, _) = try runCapturing(sandbox, "sh", ["-c", escape, target])
        #expect(output == "written\n", "\(output)")
        #expect(try String(contentsOfFile: data + "/f", encoding: .utf8) == "hacked\n")
        // The library's default locks it.
        FileManager.default.createFile(atPath: data + "/f", contents: Data("original\n".utf8))
        sandbox.mountLocking = .whenReadOnly
        let (locked, _) = try runCapturing(sandbox, "sh", ["-c", Self.attempts, target])
        #expect(locked == "CapEff:000001ffffffffff\n", "\(locked)")
        #expect(try String(contentsOfFile: data + "/f", encoding: .utf8) == "original\n")
    }

    /// `/` bound read-only over itself: the root the command sees is that mount, locked, and
    /// its working directory is on it too (not on the writable mount underneath).
    @Test func aReadOnlyRootCannotBeRemountedUnmountedOrWrittenThroughTheWorkingDirectoryAsRootAnd65534() throws {
        let scratch = ScratchDirectory()
        let data = Self.writableDirectory(scratch)
        let script = """
            cd \(data) && echo hacked > f 2>/dev/null && echo written-through-cwd
            echo hacked > \(data)/f 2>/dev/null && echo written
            mount -o remount,rw / 2>/dev/null && echo remounted
            umount -l / 2>/dev/null && echo detached
            echo done
            """
        for (who, run) in CapabilityTests.runners {
            let result = try runCommandIn(data, [NSBox.path, "run", "-r", "-m", "--ro-bind", "/", "/", "--", "sh", "-c", script], asRoot: who == "root")
            #expect(result.status == 0 && result.stdout == "done\n", "\(who): \(result.stdout) \(result.stderr)")
            #expect(try String(contentsOfFile: data + "/f", encoding: .utf8) == "original\n", "\(who)")
        }
    }

    /// A tmpfs made read-only stays read-only.
    @Test func aReadOnlyTmpfsCannotBeRemountedWritable() throws {
        let scratch = ScratchDirectory()
        let target = scratch.sub("target")
        var sandbox = Sandbox(create: [.user, .mount])
        sandbox.userMapping = .root
        sandbox.mounts = [Mount(.tmpfs(options: nil), on: target, readOnly: true)]
        let script = "mount -o remount,rw \"$0\" 2>/dev/null && echo remounted; touch \"$0/x\" 2>/dev/null && echo written; umount \"$0\" 2>/dev/null && echo unmounted; echo done"
        let (output, ending) = try runCapturing(sandbox, "sh", ["-c", script, target])
        #expect(ending == .exited(0) && output == "done\n", "\(output)")
        // Negative control: unlocked, the remount works.
        sandbox.mountLocking = .never
        let (open, _) = try runCapturing(sandbox, "sh", ["-c", script, target])
        #expect(open.hasPrefix("remounted\nwritten\n"), "\(open)")
    }

    /// Without read-only mounts nothing is nested: the command's user namespace is the child of
    /// ours, as with unshare -r; with one, the nested namespace sits between, mapping the same ids.
    @Test func onlyReadOnlyMountsNestTheUserNamespace() throws {
        let own = try NamespaceID(.user)
        for (options, depth) in [(["-r"], 1), (["-r", "-m", "--tmpfs", "/mnt"], 1), (["-r", "-m", "--ro-bind", "/", "/"], 2)] {
            let target = try TargetProcess([NSBox.path, "run"] + options + ["--", "sleep", "60"], differingIn: ["user"])
            defer { target.kill() }
            var handle = try NamespaceHandle.open(.user, of: ProcessID(rawValue: target.pid))
            var levels = 0
            while try handle.id() != own {
                handle = try handle.parent()
                levels += 1
            }
            #expect(levels == depth, "\(options)")
            let map = try String(contentsOfFile: "/proc/\(target.pid)/uid_map", encoding: .utf8)
            #expect(map.split(separator: " ", omittingEmptySubsequences: true) == ["0", "0", "1\n"], "\(options): \(map)")
        }
    }

    /// A user namespace without maps cannot have a nested one (its ids are mapped nowhere):
    /// such a sandbox runs unlocked as before, and asking for the lock is a named error.
    @Test func aUserNamespaceWithoutMapsRunsUnlockedAndAlwaysIsRefused() throws {
        let scratch = ScratchDirectory()
        let target = scratch.sub("target")
        for (who, run) in CapabilityTests.runners {
            let result = try run(["run", "-U", "-m", "--ro-bind", "/usr", target, "--", "true"])
            #expect(result.status == 0, "\(who): \(result.stderr)")
            let refused = try run(["run", "-U", "--disable-userns", "--", "true"])
            #expect(refused.status == 125 && refused.stderr.contains("disableUserNamespaces: the nested user namespace needs id maps"), "\(who): \(refused.stderr)")
        }
        var sandbox = Sandbox(create: [.user, .mount])
        sandbox.mountLocking = .always
        #expect(throws: SandboxError.self) { try sandbox.spawn(SandboxCommand("true")) }
    }

    /// Larger maps (written through a process left in the outer namespace) map the same ids.
    @Test func largerMapsAreMappedThroughTheNestedNamespace() throws {
        let result = try NSBox.run(
            "run", "-U", "-m", "--map-users", "0:0:1000", "--map-groups", "0:0:1000", "--ro-bind", "/", "/", "--", "sh", "-c",
            "cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; setpriv --reuid=5 --regid=5 --clear-groups id -u; mount -o remount,rw / 2>/dev/null && echo remounted; true")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == " 0 0 1000\n 0 0 1000\n5\n", "\(result.stdout)")
        // Maps that leave out the caller's own ids: it becomes the first mapped ones first.
        let shifted = try NSBox.run(
            "run", "-U", "-m", "--map-users", "0:100000:1000", "--map-groups", "0:100000:1000", "--ro-bind", "/", "/", "--", "sh", "-c",
            "id -u; mount -o remount,rw / 2>/dev/null && echo remounted; true")
        #expect(shifted.status == 0 && shifted.stdout == "0\n", "\(shifted.stdout) \(shifted.stderr)")
    }
}

/// Runs `arguments` with `directory` as the working directory, as root or as 65534.
func runCommandIn(_ directory: String, _ arguments: [String], asRoot: Bool) throws -> CommandResult {
    try runCommand(["sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + (asRoot ? [] : asUnprivileged) + arguments)
}

import Foundation
import Glibc
import Testing

/// bwrap's options that shape the sandbox's files and environment, applied in the order given,
/// as root and as 65534.
@Suite struct BwrapOptionsTests {
    @Test func mountOptionsApplyInOrderAndCreateTargetsInsideTheSandboxsOwnTmpfsAsRootAnd65534() throws {
        let script = "pwd; cd /mnt && find . -maxdepth 2 ! -path './usr/*' | sort | tr '\\n' ' '; echo; cat link; env | sort | tr '\\n' ' '"
        for (who, run) in CapabilityTests.runners {
            let result = try run([
                "run", "-r", "-m", "--tmpfs", "/mnt", "--dir", "/mnt/a/b", "--symlink", "/etc/hostname", "/mnt/link",
                "--ro-bind", "/usr", "/mnt/usr", "--ro-bind-try", "/nonexistent-\(getpid())", "/mnt/skipped",
                "--dev", "/mnt/dev", "--chdir", "/mnt", "--clearenv", "--setenv", "FOO", "bar", "--setenv", "PATH", "/usr/bin:/bin",
                "--", "sh", "-c", script,
            ])
            #expect(result.status == 0, "\(who): \(result.stderr)")
            let hostname = try String(contentsOfFile: "/etc/hostname", encoding: .utf8)
            #expect(result.stdout == """
                /mnt
                . ./a ./a/b ./dev ./dev/core ./dev/fd ./dev/full ./dev/null ./dev/ptmx ./dev/pts ./dev/random ./dev/shm \
                ./dev/stderr ./dev/stdin ./dev/stdout ./dev/tty ./dev/urandom ./dev/zero ./link ./usr 
                \(hostname)FOO=bar OLDPWD=/mnt PATH=/usr/bin:/bin PWD=/mnt 
                """, "\(who): \(result.stdout)")
        }
    }

    /// A tmpfs given after a read-only `/` is mounted on top of it (the order given), and
    /// --unsetenv removes one variable.
    @Test func aTmpfsAfterAReadOnlyRootIsWritableAndUnsetenvRemovesOne() throws {
        for (who, run) in CapabilityTests.runners {
            let result = try run(["run", "-r", "-m", "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--unsetenv", "HOME", "--",
                "sh", "-c", "touch /tmp/x && echo tmp-writable; touch /x 2>/dev/null || echo root-read-only; echo home=${HOME-unset}"])
            #expect(result.stdout == "tmp-writable\nroot-read-only\nhome=unset\n", "\(who): \(result.stdout) \(result.stderr)")
        }
    }

    /// `--seccomp FD` loads the compiled BPF program read from FD: this one refuses mkdir and
    /// mkdirat with EPERM (x86_64 numbers; a real filter checks the architecture first).
    /// Negative control: without it, the directory is made.
    @Test func seccompLoadsTheFilterReadFromTheFdAsRootAnd65534() throws {
        #if arch(x86_64)
        let scratch = ScratchDirectory()
        chmod(scratch.path, 0o777)
        let file = seccompFilterRefusing([83, 258], in: scratch)  // mkdir, mkdirat
        for (index, asRoot) in [true, false].enumerated() {
            for filtered in [true, false] {
                let directory = scratch.path + "/made-\(index)-\(filtered)"
                let options = filtered ? "--no-new-privs --seccomp 5" : "--no-new-privs"
                let line = "exec 5<\(file); exec \(NSBox.path) run -r \(options) -- sh -c 'mkdir \(directory) 2>/dev/null && echo made || echo refused'"
                let result = try runCommand((asRoot ? [] : asUnprivileged) + ["sh", "-c", line])
                #expect(result.stdout == (filtered ? "refused\n" : "made\n"), "root: \(asRoot) filtered: \(filtered): \(result.stdout) \(result.stderr)")
            }
        }
        #else
        Issue.record("the test's filter is written for x86_64 system call numbers")
        #endif
    }

    /// Outside a tmpfs of the sandbox's own, a missing target is an error, not a directory made
    /// on the host's file system.
    @Test func aMissingTargetOnTheHostIsNotCreated() throws {
        let missing = "/tmp/nsbox-missing-\(getpid())"
        let result = try NSBox.run("run", "-r", "-m", "--bind", "/usr", missing, "--", "true")
        #expect(result.status == 125 && result.stderr.contains("the target \(missing) does not exist"), "\(result.stderr)")
        #expect(access(missing, F_OK) != 0)
    }
}

import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// A command that cannot be run is reported by its real cause with util-linux's exit status
/// (errexec: 127 for ENOENT, 126 otherwise), side by side with `unshare` 2.38, as root and
/// as uid 65534 (issue 18).
@Suite struct CommandLookupDiagnosisTests {
    static let users: [[String]] = [[], asUnprivileged]

    /// `nsbox run -r WORDS` and `unshare -r WORDS` under `prefix`, with PATH set to `path`.
    func both(_ prefix: [String], path: String = "/usr/bin:/bin", _ words: [String], options: [String] = ["-r"]) throws -> (ours: CommandResult, theirs: CommandResult) {
        let env = prefix + ["/usr/bin/env", "PATH=\(path)"]
        return (try runCommand(env + [NSBox.path, "run"] + options + words), try runCommand(env + ["/usr/bin/unshare"] + options + words))
    }

    /// `contents` in a new file of `scratch`, mode 0755, written by `cp` from a copy: a file this
    /// process had open for writing may be held open a moment longer by a child another test
    /// forks (until it executes), and executing it would then fail with ETXTBSY.
    func file(_ scratch: ScratchDirectory, _ name: String, _ contents: [UInt8]) throws -> String {
        let path = scratch.path + "/" + name
        FileManager.default.createFile(atPath: path + ".source", contents: Data(contents))
        #expect(try runCommand(["cp", path + ".source", path]).status == 0)
        chmod(path, 0o755)
        return path
    }

    /// A copy of /bin/true whose ELF interpreter names a file that does not exist: `ld-linux`
    /// in its PT_INTERP string becomes `ld-nsbox` (same length). Returns the path and that name.
    func trueWithMissingInterpreter(_ scratch: ScratchDirectory) throws -> (String, String) {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/bin/true")))
        let needle = Array("ld-linux".utf8)
        guard let at = (0..<(bytes.count - needle.count)).first(where: { bytes[$0..<($0 + needle.count)].elementsEqual(needle) })
        else { throw TestFailure("no ld-linux in /bin/true") }
        bytes.replaceSubrange((at + 3)..<(at + 8), with: Array("nsbox".utf8))
        let start = bytes[..<at].lastIndex(of: 0).map { $0 + 1 } ?? 0
        let end = bytes[at...].firstIndex(of: 0) ?? bytes.count
        return (try file(scratch, "true-missing-interp", bytes), String(decoding: bytes[start..<end], as: UTF8.self))
    }

    @Test func aPathDirectoryThatCannotBeSearchedIsEACCESWhenNoLaterEntryHasTheCommand() throws {
        let scratch = ScratchDirectory()
        let locked = scratch.sub("locked"), open = scratch.sub("open"), empty = scratch.sub("empty")
        _ = try file(scratch, "locked/tool-\(getpid())", [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/bin/true"))))
        _ = try file(scratch, "open/tool-\(getpid())", [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/bin/true"))))
        chmod(locked, 0o700)
        let tool = "tool-\(getpid())"
        // 65534 cannot search the root-owned 0700 directory: execvp remembers EACCES.
        for path in ["\(locked)", "\(locked):\(empty)", "\(empty):\(locked):\(empty)"] {
            let (ours, theirs) = try both(asUnprivileged, path: path, [tool])
            #expect(theirs.status == 126 && theirs.stderr.contains("Permission denied"), "\(theirs.stderr)")
            #expect(ours.status == 126 && ours.stderr == "nsbox: command not executable: \(tool): EACCES (Permission denied): "
                + "cannot search the PATH directory \(locked) (uid 65534), and no later one has \(tool); "
                + "give its full path, or drop the directory from PATH\n", "\(path): \(ours.stderr)")
            // The same through the spawned child (-f), and by full path.
            let forked = try both(asUnprivileged, path: path, [tool], options: ["-r", "-f"])
            #expect(forked.ours.status == 126 && forked.ours.stderr.contains("cannot search the PATH directory \(locked)"), "\(forked.ours.stderr)")
            let direct = try both(asUnprivileged, ["\(locked)/\(tool)"])
            #expect(direct.theirs.status == 126 && direct.ours.status == 126
                && direct.ours.stderr.contains("cannot search the directory \(locked) (uid 65534)"), "\(direct.ours.stderr)")
        }
        // A later entry that has it still wins; root searches the directory.
        for (prefix, path) in [(asUnprivileged, "\(locked):\(open)"), (asUnprivileged, "\(empty):\(locked):\(open)"), ([], locked)] {
            let (ours, theirs) = try both(prefix, path: path, [tool])
            #expect(theirs.status == 0 && ours.status == 0, "\(prefix) \(path): \(ours.stderr)")
        }
        // Not found anywhere is still 127 for both.
        let (ours, theirs) = try both(asUnprivileged, path: empty, [tool])
        #expect(theirs.status == 127 && ours.status == 127 && ours.stderr.contains("not found in PATH"), "\(ours.stderr)")
    }

    @Test(arguments: [false, true]) func aMissingElfInterpreterIsNamed(unprivileged: Bool) throws {
        let scratch = ScratchDirectory()
        let (path, interpreter) = try trueWithMissingInterpreter(scratch)
        #expect(interpreter.hasPrefix("/") && interpreter.contains("ld-nsbox"), "\(interpreter)")
        let prefix = unprivileged ? asUnprivileged : []
        for options in [["-r"], ["-r", "-f"]] {
            let (ours, theirs) = try both(prefix, [path], options: options)
            #expect(theirs.status == 127 && theirs.stderr.contains("No such file or directory"), "\(theirs.stderr)")
            #expect(ours.status == 127 && ours.stderr == "nsbox: interpreter not found: execve \(path): ENOENT (No such file or directory): "
                + "cannot run: its interpreter \(interpreter) does not exist; install it, or run the file with an interpreter that exists\n",
                "\(options): \(ours.stderr)")
            // Looked up in PATH: the candidate is named.
            let named = try both(prefix, path: scratch.path, ["true-missing-interp"], options: options)
            #expect(named.theirs.status == 127 && named.ours.status == 127
                && named.ours.stderr.contains("found as \(path), which cannot run: its interpreter \(interpreter) does not exist"), "\(named.ours.stderr)")
        }
        // Negative control: the unpatched copy runs.
        let good = try file(scratch, "true-copy", [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/bin/true"))))
        #expect(try both(prefix, [good]).ours.status == 0)
    }

    @Test(arguments: [false, true]) func aMissingHashBangInterpreterIsNamed(unprivileged: Bool) throws {
        let scratch = ScratchDirectory()
        let missing = "/nonexistent-\(getpid())/interp"
        let script = try file(scratch, "script", Array("#!\(missing) -x\nexit 0\n".utf8))
        let (ours, theirs) = try both(unprivileged ? asUnprivileged : [], [script])
        #expect(theirs.status == 127 && theirs.stderr.contains("No such file or directory"), "\(theirs.stderr)")
        #expect(ours.status == 127 && ours.stderr.contains("interpreter not found: execve \(script)")
            && ours.stderr.contains("its interpreter \(missing) does not exist"), "\(ours.stderr)")
        // Negative control: with an interpreter that exists, it runs.
        let working = try file(scratch, "working", Array("#!/bin/sh\nexit 3\n".utf8))
        #expect(try both(unprivileged ? asUnprivileged : [], [working]).ours.status == 3)
    }

    /// execve(2) says ENOEXEC; unshare's glibc execvp(3) then hands the file to /bin/sh, which
    /// nsbox does not: it reports the format instead (126).
    @Test(arguments: [false, true]) func aFileWithoutHashBangThatIsNotElfIsAnExecFormatError(unprivileged: Bool) throws {
        let scratch = ScratchDirectory()
        let text = try file(scratch, "text", Array("exit 3\n".utf8))
        let (ours, theirs) = try both(unprivileged ? asUnprivileged : [], [text])
        #expect(theirs.status == 3, "unshare runs it through /bin/sh: \(theirs.stderr)")
        #expect(ours.status == 126 && ours.stderr == "nsbox: command not executable: execve \(text): ENOEXEC (Exec format error): "
            + "is neither an ELF executable nor a script starting with #!; add a #! line naming its interpreter, or run it through one (sh FILE)\n",
            "\(ours.stderr)")
        // The ELF magic with a class the kernel refuses: no valid header, not "another machine".
        let damaged = try file(scratch, "damaged", [0x7f, 0x45, 0x4c, 0x46, 9, 9, 1] + [UInt8](repeating: 0, count: 57))
        let bad = try both(unprivileged ? asUnprivileged : [], [damaged])
        #expect(bad.ours.status == 126 && bad.ours.stderr.contains("starts like an ELF file but has no valid ELF header"), "\(bad.ours.stderr)")
        // A 64-bit little-endian executable header for the other architecture (EM_AARCH64 on
        // x86_64, EM_X86_64 on aarch64): the kernel's ELF loader refuses it.
        #if arch(x86_64)
        let machine: [UInt8] = [183, 0]
        #else
        let machine: [UInt8] = [62, 0]
        #endif
        let elf = try file(scratch, "elf", [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1] + [UInt8](repeating: 0, count: 9) + [2, 0] + machine + [1, 0, 0, 0]
            + [UInt8](repeating: 0, count: 40))
        let foreign = try both(unprivileged ? asUnprivileged : [], [elf])
        #expect(foreign.ours.status == 126 && foreign.ours.stderr.contains("is an ELF file for another architecture (e_machine \(machine[0])"), "\(foreign.ours.stderr)")
    }

    @Test(arguments: [false, true]) func aDirectoryIsNamedAsADirectory(unprivileged: Bool) throws {
        let scratch = ScratchDirectory()
        let directory = scratch.sub("dir")
        for options in [["-r"], ["-r", "-f"]] {
            let (ours, theirs) = try both(unprivileged ? asUnprivileged : [], [directory], options: options)
            #expect(theirs.status == 126 && theirs.stderr.contains("Permission denied"), "\(theirs.stderr)")
            #expect(ours.status == 126 && ours.stderr == "nsbox: command not executable: \(directory): EACCES (Permission denied): is a directory\n",
                "\(ours.stderr)")
        }
        // A path through a file: ENOTDIR, which errexec makes 126 (only ENOENT is 127).
        let through = try file(scratch, "file", Array("#!/bin/sh\n".utf8)) + "/x"
        let notDirectory = try both(unprivileged ? asUnprivileged : [], [through])
        #expect(notDirectory.theirs.status == 126 && notDirectory.theirs.stderr.contains("Not a directory"), "\(notDirectory.theirs.stderr)")
        #expect(notDirectory.ours.status == 126 && notDirectory.ours.stderr == "nsbox: command not executable: \(through): ENOTDIR (Not a directory): "
            + "has a component before its last that is not a directory\n", "\(notDirectory.ours.stderr)")
        // A file without x: the chmod hint is right here, and only here.
        let plain = try file(scratch, "plain", Array("#!/bin/sh\n".utf8))
        chmod(plain, 0o644)
        let (ours, theirs) = try both(unprivileged ? asUnprivileged : [], [plain])
        #expect(theirs.status == 126 && ours.status == 126
            && ours.stderr.contains("has no execute permission for uid \(unprivileged ? 65534 : 0); chmod +x it"), "\(ours.stderr)")
    }

    @Test(arguments: [false, true]) func aFileOnANoexecMountIsNamedAsSuch(unprivileged: Bool) throws {
        let scratch = ScratchDirectory()
        let mountPoint = scratch.sub("noexec")
        let setUp = "mount -t tmpfs -o noexec,mode=0755 tmpfs \(mountPoint); cp /bin/true \(mountPoint)/t; chmod 755 \(mountPoint)/t"
        let prefix = unprivileged ? asUnprivileged : []
        for options in [["-r"], ["-r", "-f"]] {
            let ours = try runInPrivateMounts(setUp, prefix + [NSBox.path, "run"] + options + ["\(mountPoint)/t"], scratch: scratch)
            let theirs = try runInPrivateMounts(setUp, prefix + ["unshare"] + options + ["\(mountPoint)/t"], scratch: scratch)
            #expect(theirs.status == 126 && theirs.stderr.contains("Permission denied"), "\(theirs.stderr)")
            #expect(ours.status == 126 && ours.stderr == "nsbox: command not executable: \(mountPoint)/t: EACCES (Permission denied): "
                + "is on a file system mounted noexec; run it from a file system mounted without noexec\n", "\(ours.stderr)")
        }
        // Negative control: the same mount without noexec runs it.
        let exec = setUp.replacingOccurrences(of: "noexec,", with: "")
        #expect(try runInPrivateMounts(exec, prefix + [NSBox.path, "run", "-r", "\(mountPoint)/t"], scratch: scratch).status == 0)
    }

    @Test(arguments: [false, true]) func aFileOpenForWritingIsTextFileBusy(unprivileged: Bool) throws {
        let scratch = ScratchDirectory()
        let path = try file(scratch, "busy", [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/bin/true"))))
        let writer = open(path, O_WRONLY | O_CLOEXEC)
        #expect(writer >= 0)
        for options in [["-r"], ["-r", "-f"]] {
            let (ours, theirs) = try both(unprivileged ? asUnprivileged : [], [path], options: options)
            #expect(theirs.status == 126 && theirs.stderr.contains("Text file busy"), "\(theirs.stderr)")
            #expect(ours.status == 126 && ours.stderr == "nsbox: command not executable: execve \(path): ETXTBSY (Text file busy): "
                + "is open for writing by a process, and the kernel runs no file being written; wait until the writer closes it\n", "\(ours.stderr)")
        }
        close(writer)
        // Negative control: closed, it runs.
        #expect(try both(unprivileged ? asUnprivileged : [], [path]).ours.status == 0)
    }

    /// The library reports the same: a stage to switch on, and the shell's status.
    @Test func theLibraryGivesAMissingInterpreterItsOwnStage() throws {
        let scratch = ScratchDirectory()
        let (path, interpreter) = try trueWithMissingInterpreter(scratch)
        do {
            let process = try Sandbox().spawn(SandboxCommand(path))
            _ = try? process.wait()
            Issue.record("spawn succeeded")
        } catch {
            #expect(error.stage == .interpreterNotFound && error.exitStatus == 127, "\(error)")
            #expect(error.description.contains("its interpreter \(interpreter) does not exist"), "\(error)")
        }
    }
}

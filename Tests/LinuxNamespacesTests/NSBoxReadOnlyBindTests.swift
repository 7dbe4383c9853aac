import Foundation
import Glibc
import Testing

/// `nsbox run --ro-bind`: a single file, and a directory whose submount is read-only too, with
/// mount_setattr and on the fallback for kernels without it (seccomp ENOSYS).
@Suite struct NSBoxReadOnlyBindTests {
    @Test func readOnlyBindsOfAFileAndOfADirectoryWithASubmountAsRootAnd65534WithAndWithoutMountSetattr() throws {
        let scratch = ScratchDirectory()
        let data = scratch.sub("data")
        _ = scratch.sub("data/sub")
        // A second submount whose name mountinfo escapes (\040 for the space).
        _ = scratch.sub("data/sub two")
        chmod(data, 0o777)
        let file = scratch.path + "/file", target = scratch.path + "/target"
        FileManager.default.createFile(atPath: file, contents: Data("original\n".utf8))
        FileManager.default.createFile(atPath: target, contents: Data())
        chmod(file, 0o666)
        let enosys = Probe.sharedCopy(of: "enosys")
        let kernels: [(String, [String])] = [
            ("current", []), ("no-mount_setattr", [enosys, "mount_setattr", "--"]),
            ("no-new-mount-api", [enosys, "open_tree,move_mount,mount_setattr", "--"]),
        ]
        // In the command: how a write to the bound directory, its submounts and the bound file
        // ends (tags $1, the file's target $2).
        let probe = """
            check() { if e=$("$@" 2>&1); then printf 'writable '; else case "$e" in *'Read-only file system'*) printf 'ro ';; *) printf 'other(%s) ' "$e";; esac; fi; }
            check touch /mnt/a-$1; check touch /mnt/sub/b-$1; check touch "/mnt/sub two/c-$1"; check sh -c "echo $1 >> $2"; echo
            """
        // The submounts are mounted inside the test's own private mount namespace.
        var script = "mount -t tmpfs -o mode=1777 tmpfs \(shellQuoted(data + "/sub"))\nmount -t tmpfs -o mode=1777 tmpfs \(shellQuoted(data + "/sub two"))\n"
        var tags: [(tag: String, readOnly: Bool)] = []
        for (user, prefix) in bothUsers {
            for (kernel, wrapper) in kernels {
                for readOnly in [true, false] {
                    let tag = "\(user)-\(kernel)-\(readOnly ? "ro" : "rw")"
                    let option = readOnly ? "--ro-bind" : "--bind"
                    let run = prefix + wrapper + [NSBox.path, "run", "-r", "-m", option, data, "/mnt", option, file, target, "--", "sh", "-c", probe, "sh", tag, target]
                    script += "printf '%s ' \(tag); \(shellLine(run))\n"
                    tags.append((tag, readOnly))
                }
            }
        }
        let result = try runInPrivateMounts(script, ["true"], scratch: scratch)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == tags.count, "\(result.stdout) \(result.stderr)")
        for (tag, readOnly) in tags {
            // Negative control: the same binds without read-only take every write.
            let expected = readOnly ? "\(tag) ro ro ro ro " : "\(tag) writable writable writable writable "
            #expect(lines.contains(expected), "\(tag): \(lines.first { $0.hasPrefix(tag + " ") } ?? "nothing") \(result.stderr)")
        }
        // The bound file took the writable runs' lines only.
        let written = try String(contentsOfFile: file, encoding: .utf8)
        #expect(written == "original\n" + tags.filter { !$0.readOnly }.map { $0.tag + "\n" }.joined(), "\(written)")
        #expect(!hostMountinfo().contains(" \(data)/sub "), "the submount reached the host")
    }
}

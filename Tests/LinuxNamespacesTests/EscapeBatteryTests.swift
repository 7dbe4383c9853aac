import Foundation
import Glibc
import Testing

/// The escape battery: each attempt a sandboxed command makes to get out of `nsbox run
/// --sandbox`, as root and as uid 65534. An attempt that works prints `ESCAPE-NAME`; the tests
/// fail on any such line. The negative control runs the same battery under util-linux
/// `unshare -r` with a read-only bind made by hand, where the mount escapes work.
@Suite struct EscapeBatteryTests {
    /// The battery, run by `sh -c BATTERY T D S HOSTPID`: `T` a read-only bind of the host
    /// directory `D` (0777, its file `f` 0666), `S` a host directory everyone may write, `HOSTPID`
    /// a host process of the caller's uid. fd 5 is open on a host file when nsbox starts.
    static let battery = """
        T=$0 D=$1 S=$2 HOSTPID=$3
        echo hacked 2>/dev/null > "$D/f" && echo ESCAPE-write-host-file
        touch "$S/escaped" 2>/dev/null && echo ESCAPE-write-host-dir
        mount -o remount,rw,bind "$T" 2>/dev/null && echo ESCAPE-remount-rw
        umount "$T" 2>/dev/null && echo ESCAPE-umount
        umount -l "$T" 2>/dev/null && echo ESCAPE-umount-lazy
        mount -t tmpfs cover "$T" 2>/dev/null && echo ESCAPE-mount-over
        mount -t proc proc /proc 2>/dev/null && echo ESCAPE-mount-proc
        mount -t tmpfs scratch /tmp 2>/dev/null && echo ESCAPE-mount-tmpfs
        mount -o remount,rw / 2>/dev/null && echo ESCAPE-remount-root
        mknod /tmp/disk b 8 0 2>/dev/null && echo ESCAPE-mknod
        echo hacked 2>/dev/null > "$T/f" && echo ESCAPE-write-bind
        kill -0 "$HOSTPID" 2>/dev/null && echo ESCAPE-signal-host-process
        test -e "/proc/$HOSTPID" && echo ESCAPE-see-host-process
        (echo hacked >&5) 2>/dev/null && echo ESCAPE-inherited-fd
        echo '0 0 4294967295' 2>/dev/null > /proc/self/uid_map && echo ESCAPE-uid-map
        hostname hacked 2>/dev/null && echo ESCAPE-hostname
        grep -q '^CapEff:.*[1-9a-f]' /proc/self/status && echo ESCAPE-capabilities
        capsh --addamb=cap_net_admin -- -c true 2>/dev/null && echo ESCAPE-ambient
        unshare -U true 2>/dev/null && echo ESCAPE-user-namespace
        capsh --caps=cap_sys_admin+eip -- -c true 2>/dev/null && echo ESCAPE-capset
        test "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ')" != "lo " && echo ESCAPE-network
        (exec 6</dev/tty) 2>/dev/null && echo ESCAPE-controlling-terminal
        echo done
        """

    /// Runs the battery in `prefix` (a command that takes the battery's words), as root or
    /// 65534, and returns its output; `f` must still say "original" and `S` hold nothing.
    func attempt(_ prefix: [String], asRoot: Bool) throws -> String {
        let scratch = ScratchDirectory()
        chmod(scratch.path, 0o755)
        let data = scratch.sub("data"), target = scratch.sub("target"), open = scratch.sub("open")
        for directory in [data, target, open] { chmod(directory, 0o777) }
        FileManager.default.createFile(atPath: data + "/f", contents: Data("original\n".utf8))
        chmod(data + "/f", 0o666)
        FileManager.default.createFile(atPath: open + "/fd", contents: Data())
        chmod(open + "/fd", 0o666)
        let host = try TargetProcess((asRoot ? [] : asUnprivileged) + ["sleep", "60"], differingIn: [])
        defer { host.kill() }
        let command = prefix.map { $0.replacingOccurrences(of: "DATA", with: data).replacingOccurrences(of: "TARGET", with: target) }
        // Under script(1): a terminal is there to reach, and fd 5 is a host file.
        let inner = (asRoot ? [] : asUnprivileged) + command + ["sh", "-c", Self.battery, target, data, open, String(host.pid)]
        let line = "exec 5>>\(open)/fd; exec " + inner.map { "'\($0.replacingOccurrences(of: "'", with: "'\\''"))'" }.joined(separator: " ")
        let result = try runCommand(["script", "-qec", line, "/dev/null"], timeout: 60)
        #expect(try String(contentsOfFile: data + "/f", encoding: .utf8) == "original\n" || result.stdout.contains("ESCAPE"))
        return result.stdout.replacingOccurrences(of: "\r", with: "")
    }

    @Test(.requiresTool("capsh", package: "libcap2-bin")) func everyAttemptFailsInTheSandboxPresetAsRootAnd65534() throws {
        for asRoot in [true, false] {
            let output = try attempt([NSBox.path, "run", "--sandbox", "--disable-userns", "--ro-bind", "DATA", "TARGET", "--"], asRoot: asRoot)
            #expect(output == "done\n", "root: \(asRoot): \(output)")
        }
    }

    /// What the preset gives, and how an option opens a piece back up.
    @Test func theSandboxPresetHasAFreshProcAMinimalDevAndAnEmptyWritableTmpAsRootAnd65534() throws {
        let script = "ls /dev | tr '\\n' ' '; echo; ls -A /tmp | wc -l; touch /tmp/x && echo tmp-writable; ps -e -o pid= | wc -l; "
            + "tail -n +3 /proc/net/dev | wc -l; grep CapEff /proc/self/status | tr -d '\\t'"
        for (who, run) in CapabilityTests.runners {
            let result = try run(["run", "--sandbox", "--", "sh", "-c", script])
            #expect(result.stdout == """
                core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero \n0
                tmp-writable
                4
                1
                CapEff:0000000000000000\n
                """, "\(who): \(result.stdout) \(result.stderr)")
            // --share-net keeps the caller's network namespace; --cap-add gives one capability back.
            let opened = try run(["run", "--sandbox", "--share-net", "--cap-add", "CAP_NET_ADMIN", "--", "sh", "-c",
                "readlink /proc/self/ns/net; grep CapEff /proc/self/status | tr -d '\\t'"])
            #expect(opened.stdout.hasSuffix("net:[\(ourNamespace("net"))]\nCapEff:0000000000001000\n"), "\(who): \(opened.stdout) \(opened.stderr)")
        }
    }

    /// `--disable-userns`: the command can create no user namespace, and cannot lift the limit
    /// (it can only set its own namespace's); without the option it can (negative control).
    @Test func disableUsernsRefusesUserNamespacesToTheCommandAsRootAnd65534() throws {
        let script = "echo 1000 > /proc/sys/user/max_user_namespaces; unshare -U true 2>/dev/null && echo created; echo done"
        for (who, run) in CapabilityTests.runners {
            for options in [["-r", "--disable-userns"], ["--sandbox", "--disable-userns"], ["-r"], ["--sandbox"]] {
                let result = try run(["run"] + options + ["--", "sh", "-c", script])
                let expected = options.contains("--disable-userns") ? "done\n" : "created\ndone\n"
                #expect(result.stdout == expected, "\(who) \(options): \(result.stdout) \(result.stderr)")
            }
        }
    }

    /// Negative control: util-linux unshare with the same read-only bind, made by hand, and
    /// without any of the rest: the battery sees the escapes.
    @Test(.requiresTool("capsh", package: "libcap2-bin")) func theBatterySeesTheEscapesOfAPlainUnshare() throws {
        let script = "mount --bind \"$1\" \"$2\" && mount -o remount,ro,bind \"$2\" && shift 2 && exec \"$@\""
        let output = try attempt(["unshare", "-r", "-m", "sh", "-c", script, "sh", "DATA", "TARGET"], asRoot: true)
        for escape in ["remount-rw", "umount", "mount-over", "mount-tmpfs", "write-host-dir", "signal-host-process",
            "see-host-process", "inherited-fd", "capabilities", "network", "controlling-terminal", "user-namespace"] {
            #expect(output.contains("ESCAPE-\(escape)\n"), "\(escape): \(output)")
        }
        #expect(uname().contains("hacked") == false)
    }
}

/// This machine's hostname.
func uname() -> String {
    var name = utsname()
    Glibc.uname(&name)
    return withUnsafeBytes(of: &name.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}

import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// An OCI config never loses isolation silently: what nsbox can apply (a root file system,
/// read-only, mounts, masked and read-only paths) is applied, and every other field that would
/// change isolation is refused, naming its JSON path.
@Suite struct OCIIsolationTests {
    /// A bundle: `rootfs/` with sh and cat and the libraries they load (a busybox-style root:
    /// nothing of the host), empty /proc, /dev, /tmp, /etc, and `config.json`.
    final class Bundle {
        let scratch = ScratchDirectory()
        var path: String { scratch.path }
        var config: String { scratch.path + "/config.json" }

        init(_ json: String) throws {
            let root = scratch.sub("rootfs")
            for dir in ["proc", "dev", "tmp", "etc", "bin", "sys"] { _ = scratch.sub("rootfs/" + dir) }
            for program in ["/bin/sh", "/bin/cat"] {
                let real = URL(fileURLWithPath: program).resolvingSymlinksInPath().path
                try copy(real, to: root + "/bin/" + (program as NSString).lastPathComponent)
                // ldd lines: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)".
                let ldd = try runCommand(["ldd", real])
                for line in ldd.stdout.split(separator: "\n") {
                    let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                    guard let library = words.first(where: { $0.hasPrefix("/") }).map(String.init) else { continue }
                    try copy(URL(fileURLWithPath: library).resolvingSymlinksInPath().path, to: root + library)
                }
            }
            FileManager.default.createFile(atPath: config, contents: Data(json.utf8), attributes: [.posixPermissions: 0o644])
        }

        private func copy(_ source: String, to target: String) throws {
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755])
            if !FileManager.default.fileExists(atPath: target) { try FileManager.default.copyItem(atPath: source, toPath: target) }
        }
    }

    /// The config of a read-only root with the mounts of `runc spec`, minus what nsbox refuses.
    static func config(uid: UInt32, script: String) -> String {
        """
        {"ociVersion": "1.0.2",
         "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", \(jsonString(script))],
           "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": true,
           "capabilities": {"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
             "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
             "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]}},
         "root": {"path": "rootfs", "readonly": true},
         "hostname": "oci-root",
         "mounts": [
           {"destination": "/proc", "type": "proc", "source": "proc"},
           {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
           {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
            "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
           {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
           {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
           {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}
         ],
         "linux": {
           "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "user"}],
           "uidMappings": [{"containerID": 0, "hostID": \(uid), "size": 1}],
           "gidMappings": [{"containerID": 0, "hostID": \(uid), "size": 1}],
           "maskedPaths": ["/proc/version", "/proc/sys/dev", "/proc/no-such-file"],
           "readonlyPaths": ["/proc/sys", "/proc/fs", "/proc/no-such-dir"]
         }}
        """
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }

    /// Prints the mount options of `$1` from mountinfo (dash's builtins only).
    static let options = "opts() { while read -r a b c d point options rest; do [ \"$point\" = \"$1\" ] && echo \"$1 ${options%%,*}\"; done < /proc/self/mountinfo; }; "

    @Test func aBundleRunsInItsReadOnlyRootWithItsMountsMaskedAndReadOnlyPathsAsRootAnd65534() throws {
        let script = Self.options + """
            opts /; opts /proc/sys; opts /proc/fs; opts /proc/sys/dev; opts /dev/pts; opts /dev/mqueue; opts /tmp
            (echo x > /etc/written) 2>/dev/null && echo root-writable
            echo x > /tmp/written && echo tmp-writable
            [ -c /proc/version ] && echo version-is-null
            [ -z "$(cat /proc/version)" ] && echo version-empty
            set -- /proc/sys/dev/*; [ "$1" = "/proc/sys/dev/*" ] && echo sys-dev-empty
            [ -c /dev/pts/ptmx ] && echo private-ptmx
            [ -e /usr ] || echo no-host-usr
            [ $$ -gt 1 ] && echo under-an-init
            while read -r key value; do case $key in CapEff:|CapBnd:|CapAmb:|NoNewPrivs:) echo "$key $value";; esac; done < /proc/self/status
            """
        for (uid, prefix) in [(UInt32(0), [String]()), (unprivilegedUID, asUnprivileged)] {
            let bundle = try Bundle(Self.config(uid: uid, script: script))
            let result = try runCommand(prefix + [NSBox.path, "run", "--config", bundle.config])
            let lines = result.stdout.split(separator: "\n").map(String.init)
            let expected = [
                // /proc/sys/dev twice: its mask, and the copy of it in the read-only rebind of /proc/sys.
                "/ ro", "/proc/sys ro", "/proc/fs ro", "/proc/sys/dev ro", "/proc/sys/dev ro", "/dev/pts rw", "/dev/mqueue rw", "/tmp rw",
                "tmp-writable", "version-is-null", "version-empty", "sys-dev-empty", "private-ptmx", "no-host-usr", "under-an-init",
                // KILL (5), NET_BIND_SERVICE (10), AUDIT_WRITE (29): 0x20000420, and nothing else.
                "CapEff: 0000000020000420", "CapBnd: 0000000020000420", "CapAmb: 0000000020000420", "NoNewPrivs: 1",
            ]
            #expect(result.status == 0 && lines == expected, "uid \(uid): \(result.stdout) \(result.stderr)")
            // Read-only means the root's files too: nothing was written into the bundle.
            #expect(!FileManager.default.fileExists(atPath: bundle.path + "/rootfs/etc/written"))
        }
    }

    @Test func withoutReadonlyTheRootIsWritableAndWithoutMasksTheFilesAreThere() throws {
        // The negative controls of the test above.
        let script = Self.options + "opts /; opts /proc/sys; [ -c /proc/version ] && echo version-is-null; [ -n \"$(cat /proc/version)\" ] && echo version-has-text; true"
        var json = Self.config(uid: 0, script: script)
        json = json.replacingOccurrences(of: "\"readonly\": true", with: "\"readonly\": false")
        json = json.replacingOccurrences(of: "\"/proc/version\", ", with: "")
        json = json.replacingOccurrences(of: "\"/proc/sys\", ", with: "")
        let bundle = try Bundle(json)
        let result = try NSBox.run("run", "--config", bundle.config)
        #expect(result.status == 0 && result.stdout == "/ rw\nversion-has-text\n", "\(result.stdout) \(result.stderr)")
    }

    @Test func emptyCapabilitySetsLeaveTheCommandNoneAsRootAnd65534() throws {
        let script = "while read -r key value; do case $key in CapPrm:|CapEff:|CapBnd:|CapAmb:) echo \"$key $value\";; esac; done < /proc/self/status"
        let json = Self.config(uid: 0, script: script).replacingOccurrences(
            of: #""bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]"#, with: #""bounding": []"#)
        for (uid, prefix) in [(UInt32(0), [String]()), (unprivilegedUID, asUnprivileged)] {
            let bundle = try Bundle(json.replacingOccurrences(of: "\"hostID\": 0", with: "\"hostID\": \(uid)"))
            let result = try runCommand(prefix + [NSBox.path, "run", "--config", bundle.config])
            #expect(result.status == 0 && result.stdout == "CapPrm: 0000000000000000\nCapEff: 0000000000000000\nCapBnd: 0000000000000000\nCapAmb: 0000000000000000\n",
                "uid \(uid): \(result.stdout) \(result.stderr)")
        }
    }

    /// Fields that change isolation and that nsbox cannot apply: each refused, naming its path.
    static let refused: [(String, String)] = [
        (#""linux": {"resources": {"devices": [{"allow": false, "access": "rwm"}]}}"#, "linux.resources: cannot be applied here"),
        (#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}}"#, "linux.seccomp: cannot be applied here"),
        (#""linux": {"sysctl": {"net.ipv4.ip_forward": "1"}}"#, "linux.sysctl: cannot be applied here"),
        (#""linux": {"devices": []}"#, "linux.devices: cannot be applied here"),
        (#""linux": {"cgroupsPath": "/x"}"#, "linux.cgroupsPath: cannot be applied here"),
        (#""hooks": {"prestart": []}"#, "hooks: cannot be applied here"),
        (#""process": {"args": ["true"], "apparmorProfile": "x"}"#, "process.apparmorProfile: cannot be applied here"),
        (#""process": {"args": ["true"], "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]}"#,
            "process.rlimits: cannot be applied here"),
        (#""process": {"args": ["true"], "terminal": true}"#, "process.terminal: a terminal for the process is not made here"),
        (#""process": {"args": ["true"], "user": {"uid": 0, "umask": 18}}"#, "process.user.umask: cannot be applied here"),
        (#""mounts": [{"destination": "/mnt", "type": "tmpfs", "options": ["rshared"]}], "linux": {"namespaces": [{"type": "mount"}]}"#,
            "mounts[0].options[0]: \"rshared\" is not supported"),
        (#""mounts": [{"destination": "/mnt", "type": "tmpfs", "uidMappings": []}]"#, "mounts[0].uidMappings: cannot be applied here"),
        (#""root": {"path": "rootfs", "mode": 1}"#, "root.mode: cannot be applied here"),
        (#""mountz": []"#, "mountz: cannot be applied here"),
        (#""process": {"args": ["true"], "capabilities": {"bounding": ["CAP_KILL", "CAP_NOPE"]}}"#,
            "process.capabilities.bounding[1]: \"CAP_NOPE\" is not a capability"),
    ]

    @Test func fieldsThatWouldChangeIsolationAreRefusedNamingThemAsRootAnd65534() throws {
        for (member, needle) in Self.refused {
            let file = try Bundle("{\"ociVersion\": \"1.0.2\", \(member)}")
            for prefix in [[], asUnprivileged] {
                let result = try runCommand(prefix + [NSBox.path, "run", "--config", file.config, "--", "echo", "ran"])
                #expect(result.status == 125 && result.stdout.isEmpty, "\(member): \(result.status) \(result.stdout) \(result.stderr)")
                #expect(result.stderr.hasPrefix("nsbox: --config ") && result.stderr.contains(needle) && result.stderr.split(separator: "\n").count == 1,
                    "\(member): \(result.stderr)")
            }
        }
    }

    @Test func theLibraryReadsTheFileSystemFieldsIntoTheSandbox() throws {
        let bundle = try Bundle(Self.config(uid: 0, script: "true"))
        let config = try OCIConfig(contentsOf: bundle.config)
        let sandbox = try config.sandbox()
        #expect(sandbox.newRoot == FilePath(bundle.path + "/rootfs") && sandbox.readOnlyRoot)
        #expect(sandbox.procMount == .none)
        #expect(sandbox.mounts.map(\.description) == [
            "proc on /proc", "tmpfs on /dev", "devpts on /dev/pts", "tmpfs on /dev/shm", "mqueue on /dev/mqueue", "tmpfs on /tmp",
            "mask over /proc/version", "mask over /proc/sys/dev", "mask over /proc/no-such-file",
            "read-only rebind of /proc/sys", "read-only rebind of /proc/fs", "read-only rebind of /proc/no-such-dir",
        ])
        #expect(sandbox.mounts[4].restrictions == [.noSetuid, .noExecute, .noDevices])
        #expect(sandbox.mounts.suffix(6).allSatisfy { $0.ifExists })
        #expect(sandbox.noNewPrivileges && sandbox.capabilities == CapabilitySet([.kill, .netBindService, Capability(name: "AUDIT_WRITE")!]))
    }
}

import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// "ID MOUNTPOINT" of the host's mounts on `points` or below `prefix`: what changes when a
/// mount is added or removed there, and not when another test flips propagation flags.
func hostMountPoints(_ points: Set<String>, under prefix: String) -> [String] {
    hostMountinfo().split(separator: "\n").compactMap { line in
        let fields = line.split(separator: " ")
        let point = String(fields[4])
        return points.contains(point) || point.hasPrefix(prefix) ? "\(fields[0]) \(point)" : nil
    }
}

/// Mounts, /proc, /tmp, network, hostname, time, persistence: what the command finds inside.
@Suite(.serialized) struct SandboxEnvironmentTests {
    /// Spawns `script` with stdin held open; `whileRunning` runs while it waits, then it goes on.
    func withRunning(
        _ sandbox: Sandbox, _ script: String, whileRunning: () throws -> Void
    ) throws -> (String, Termination) {
        let input = makePipe(), output = makePipe()
        var command = SandboxCommand("sh", ["-c", "echo ready; read line; " + script])
        command.fileDescriptors[.standardInput] = FileDescriptor(rawValue: input[0])
        command.fileDescriptors[.standardOutput] = FileDescriptor(rawValue: output[1])
        let process = try sandbox.spawn(command)
        close(input[0]); close(output[1])
        let reader = FileHandle(fileDescriptor: output[0], closeOnDealloc: true)
        var text = String(decoding: reader.availableData, as: UTF8.self)
        #expect(text == "ready\n")
        try whileRunning()
        close(input[1])
        text = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        return (text, try process.wait())
    }

    @Test func aMountInsideStaysInsideEvenWhenTheHostRootIsShared() throws {
        let scratch = ScratchDirectory()
        let target = scratch.sub("target")
        // Only in the runner's own mount namespace: the host's / is never touched.
        try #require(TestRun.hasPrivateMounts, "the runner has no mount namespace of its own")
        #expect(try runCommand(["mount", "--make-shared", "/"]).status == 0)
        defer { _ = try? runCommand(["mount", "--make-slave", "/"]) }
        for propagation in [MountPropagation.private, .slave, .shared] {
            var sandbox = Sandbox(create: [.mount])
            sandbox.mountPropagation = propagation
            sandbox.mounts = [.tmpfs(target)]
            let (inside, _) = try withRunning(sandbox, "grep -c ' \(target) ' /proc/self/mountinfo") {
                let onHost = hostMountinfo().contains(" \(target) ")
                // Negative control: with shared propagation the mount does reach the host.
                #expect(onHost == (propagation == .shared), "\(propagation)")
            }
            #expect(inside == "1\n")
            _ = try? runCommand(["umount", target])
        }
    }

    @Test func slaveSeesHostMountsMadeLaterAndPrivateDoesNot() throws {
        let scratch = ScratchDirectory()
        let shared = scratch.sub("shared")
        #expect(try runCommand(["mount", "-t", "tmpfs", "tmpfs", shared]).status == 0)
        #expect(try runCommand(["mount", "--make-shared", shared]).status == 0)
        for propagation in [MountPropagation.slave, .private] {
            let later = shared + "/later-\(propagation)"
            mkdir(later, 0o755)
            var sandbox = Sandbox(create: [.mount])
            sandbox.mountPropagation = propagation
            let (inside, _) = try withRunning(sandbox, "grep -c ' \(later) ' /proc/self/mountinfo; true") {
                let mounted = try runCommand(["mount", "-t", "tmpfs", "tmpfs", later])
                #expect(mounted.status == 0)
            }
            #expect(inside == (propagation == .slave ? "1\n" : "0\n"), "\(propagation)")
        }
    }

    @Test func procInsideListsOnlyTheSandboxesProcesses() throws {
        var sandbox = Sandbox(create: [.user, .pid, .mount])
        sandbox.userMapping = .root
        let (output, termination) = try runCapturing(sandbox, "sh", ["-c", "ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '"])
        #expect(termination == .exited(0))
        // init (1), sh (2), the pipeline's ls, grep, sort, tr: nothing of the host.
        let pids = output.split(separator: " ").compactMap { Int($0) }
        #expect(pids.first == 1 && pids.count <= 6 && pids.allSatisfy { $0 < 20 }, "\(output)")
    }

    @Test func privateTmpIsEmptyAndGoneAfterwards() throws {
        let marker = "nsbox-private-tmp-\(getpid())"
        FileManager.default.createFile(atPath: "/tmp/\(marker)-host", contents: Data())
        defer { unlink("/tmp/\(marker)-host") }
        var sandbox = Sandbox(create: [.user, .mount])
        sandbox.userMapping = .root
        sandbox.privateTmp = true
        let (output, _) = try runCapturing(sandbox, "sh", ["-c", "ls -A /tmp; echo x > /tmp/\(marker); ls /tmp"])
        #expect(output == "\(marker)\n")
        #expect(access("/tmp/\(marker)", F_OK) != 0)
    }

    @Test func readOnlyBindRefusesWritesIncludingSubmounts() throws {
        let scratch = ScratchDirectory()
        let data = scratch.sub("data")
        let sub = scratch.sub("data/sub")
        #expect(try runCommand(["mount", "-t", "tmpfs", "tmpfs", sub]).status == 0)
        var sandbox = Sandbox(create: [.user, .mount])
        sandbox.userMapping = .root
        sandbox.mounts = [.bind(data, data, readOnly: true)]
        let (output, _) = try runCapturing(sandbox, "sh", ["-c", "touch \(data)/a 2>&1; touch \(sub)/b 2>&1; true"])
        #expect(output.components(separatedBy: "Read-only file system").count == 3, "\(output)")
        var writable = Sandbox(create: [.user, .mount])
        writable.userMapping = .root
        writable.mounts = [.bind(data, data)]
        let (ok, termination) = try runCapturing(writable, "sh", ["-c", "touch \(sub)/c"])
        #expect(termination == .exited(0), "\(ok)")
    }

    @Test func aNewRootShowsOnlyItsOwnTree() throws {
        let scratch = ScratchDirectory()
        let root = scratch.sub("root")
        for dir in ["usr", "proc", "tmp"] { _ = scratch.sub("root/\(dir)") }
        for link in ["bin", "lib", "lib64", "sbin"] where access("/\(link)", F_OK) == 0 {
            symlink("usr/\(link)", "\(root)/\(link)")
        }
        FileManager.default.createFile(atPath: "\(root)/marker", contents: Data())
        for mode in [RootMode.pivot, .chroot] {
            var sandbox = Sandbox(create: [.user, .mount, .pid])
            sandbox.userMapping = .root
            sandbox.newRoot = FilePath(root)
            sandbox.rootMode = mode
            sandbox.mounts = [.bind("/usr", "/usr", readOnly: true)]
            let (output, termination) = try runCapturing(sandbox, "sh", ["-c", "ls / | tr '\\n' ' '; test -d /proc/self/ns && echo proc"])
            #expect(termination == .exited(0), "\(mode): \(output)")
            let expected = ["bin", "lib", "lib64", "sbin"].filter { access("/\($0)", F_OK) == 0 } + ["marker", "proc", "tmp", "usr"]
            #expect(output == expected.sorted().joined(separator: " ") + " proc\n", "\(mode)")
        }
    }

    @Test(.requiresTool("python3", package: "python3"), .requiresTool("ip", package: "iproute2")) func onlyLoopbackExistsItIsUpAndAnswers() throws {
        let script = """
            ip -o link | cut -d: -f2 | tr -d ' \\n'; echo
            ip -o link show lo | grep -q '<LOOPBACK,UP' && echo up || echo down
            python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); c=socket.create_connection(s.getsockname(), timeout=2); print('answers')" 2>/dev/null || echo silent
            """
        for loopbackUp in [true, false] {
            var sandbox = Sandbox(create: [.user, .network])
            sandbox.userMapping = .root
            sandbox.loopbackUp = loopbackUp
            let (output, _) = try runCapturing(sandbox, "sh", ["-c", script])
            // Negative control: with lo left down nothing answers on 127.0.0.1.
            #expect(output == (loopbackUp ? "lo\nup\nanswers\n" : "lo\ndown\nsilent\n"), "\(output)")
        }
    }

    @Test func hostnameChangesInsideOnly() throws {
        let before = try runCommand(["hostname"]).stdout
        var sandbox = Sandbox(create: [.user, .uts])
        sandbox.userMapping = .root
        sandbox.hostname = "inside-box"
        sandbox.domainName = "example.test"
        let (output, _) = try runCapturing(sandbox, "sh", ["-c", "hostname; cat /proc/sys/kernel/domainname"])
        #expect(output == "inside-box\nexample.test\n")
        #expect(try runCommand(["hostname"]).stdout == before)
    }

    @Test func uptimeIsShiftedByTheTimeOffsets() throws {
        var sandbox = Sandbox(create: [.user, .time])
        sandbox.timeOffsets = TimeOffsets(monotonic: 5000, boottime: 100_000)
        let (output, termination) = try runCapturing(sandbox, "cat", ["/proc/uptime"])
        #expect(termination == .exited(0))
        let host = try String(contentsOfFile: "/proc/uptime", encoding: .utf8)
        let inside = Double(output.split(separator: " ")[0])!, outside = Double(host.split(separator: " ")[0])!
        #expect(abs(inside - outside - 100_000) < 5, "\(inside) vs \(outside)")
    }

    @Test func aPersistentNetworkNamespaceOutlivesItsProcessAndIsJoinedByPath() throws {
        let scratch = ScratchDirectory()
        let file = scratch.path + "/netns"
        var sandbox = Sandbox(create: [.network])
        sandbox.persist = [.network: FilePath(file)]
        let process = try sandbox.spawn(SandboxCommand("true"))
        let id = try #require(process.namespaces[.network])
        #expect(try process.wait() == .exited(0))
        #expect(try NamespaceID(path: FilePath(file)) == id)
        var joiner = Sandbox()
        joiner.join(.network, .path(FilePath(file)))
        let (output, _) = try runCapturing(joiner, "stat", ["-L", "-c", "%i", "/proc/self/ns/net"])
        #expect(output == "\(id.inode)\n")
        #expect(try runCommand(["umount", file]).status == 0)
    }

    @Test func persistingAsAnOrdinaryUserIsRefusedWithAHint() throws {
        let scratch = ScratchDirectory()
        chmod(scratch.path, 0o777)
        let result = try NSBox.runUnprivileged("run", "-U", "-n", "--net=\(scratch.path)/netns", "true")
        #expect(result.status == 125)
        #expect(result.stderr.contains("persist[net]") && result.stderr.contains("EPERM"), "\(result.stderr)")
        #expect(!hostMountinfo().contains("\(scratch.path)/netns"))
    }

    @Test func environmentFieldsWithoutTheirNamespaceAreRefused() {
        func refuse(_ change: (inout Sandbox) -> Void, _ text: String) {
            var sandbox = Sandbox(create: [.user])
            change(&sandbox)
            #expect(throws: SandboxError.self) { try sandbox.spawn(SandboxCommand("true")) }
            do { _ = try sandbox.spawn(SandboxCommand("true")) } catch {
                #expect(error.description.contains(text), "\(error)")
            }
        }
        refuse({ $0.hostname = "x" }, "hostname: setting it needs a new UTS namespace")
        refuse({ $0.timeOffsets = TimeOffsets(boottime: 1) }, "timeOffsets: clock offsets need a new time namespace")
        refuse({ $0.privateTmp = true }, "mounting needs a new mount namespace")
        refuse({ $0.create.insert(.mount); $0.mounts = [.bind("relative/dir", "/mnt")] }, "the source must be an absolute path")
        refuse({ $0.create.insert(.mount); $0.mounts = [.bind("/no/such/source", "/mnt")] }, "the source /no/such/source does not exist")
        refuse({ $0.create.insert(.mount); $0.mounts = [.tmpfs("/no/such/target")] }, "the target /no/such/target does not exist")
        refuse({ $0.persist = [.network: "/tmp/x"] }, "only a namespace the sandbox creates can be persisted")
    }
}

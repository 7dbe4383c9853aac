// `nsprobe fail SCENARIO`: spawns a sandbox that fails at one step for a real reason and prints
// the step as a `switch` over `SandboxError.Step` names it (`step mount 0 /mnt`), with `stage`,
// `errno` and `message` lines. A spawn that succeeds prints `succeeded`.
import Glibc
import LinuxNamespaces
import SystemPackage

func failCommand(_ args: ArraySlice<String>) throws(NamespaceError) {
    guard let scenario = args.first else { throw NamespaceError(.parse, detail: "usage: fail SCENARIO") }
    var sandbox = Sandbox(create: [.user, .mount])
    sandbox.userMapping = .root
    var command = SandboxCommand("/bin/true")
    var holder: SandboxProcess?
    defer { if let holder { try? holder.signal(SIGKILL); _ = try? holder.wait() } }
    switch scenario {
    case "configuration":
        sandbox.mounts = [.tmpfs("relative/target")]
    case "lookup":
        command = SandboxCommand("/nonexistent/nsprobe-command")
    case "pipe":
        // No fd left for the spawn's pipes.
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        getrlimit(resource, &limit)
        limit.rlim_cur = 3
        setrlimit(resource, &limit)
    case "clone":
        // A network namespace without a user namespace needs CAP_SYS_ADMIN.
        sandbox = Sandbox(create: [.network])
    case "setns":
        // The network namespace of a sandbox in a user namespace of its own: entering it needs
        // CAP_SYS_ADMIN there, which the caller (without that user namespace) lacks but for root.
        holder = spawnHolder([.user, .network])
        sandbox = Sandbox()
        sandbox.join(.network, .process(holder!.pid))
    case "time-offsets":
        // Further back than the clock has run: the kernel refuses the offset.
        sandbox.create = [.user, .time]
        sandbox.timeOffsets = TimeOffsets(monotonic: -1_000_000_000_000)
    case "mount":
        sandbox.mounts = [Mount(.fileSystem(type: "nsprobe-no-such-fs", options: nil), on: "/mnt")]
    case "setuid":
        sandbox.uid = 4242
    case "chdir":
        command.workingDirectory = "/nonexistent/nsprobe-directory"
    case "execve":
        // In a joined mount namespace the caller cannot look the command up: the child tries.
        holder = spawnHolder([.user, .mount])
        sandbox = Sandbox()
        sandbox.join(.user, .process(holder!.pid))
        sandbox.join(.mount, .process(holder!.pid))
        command = SandboxCommand("/nonexistent/nsprobe-command")
    case "write-id-map":
        // uid 0 of the caller mapped into a new user namespace: refused without CAP_SETFCAP.
        sandbox.userMapping = .maps(uid: try IDMap(inside: 0, outside: 0, count: 10), gid: try IDMap(inside: 0, outside: 0, count: 10))
    case "persist":
        sandbox.create = [.user, .uts]
        sandbox.persist[.uts] = FilePath(args.dropFirst().first ?? "/nonexistent/nsprobe-persist")
    default:
        throw NamespaceError(.parse, detail: "no scenario \(scenario)")
    }
    do {
        let process = try sandbox.spawn(command)
        _ = try process.wait()
        print("succeeded")
    } catch {
        print("stage", error.stage.rawValue)
        print("step", name(of: error.step))
        print("errno", error.errno.map { "\($0.rawValue)" } ?? "-")
        print("message", error)
        print("exit", error.exitStatus)
    }
}

/// A process that holds new namespaces of `kinds` (with a root mapping) for the scenario.
private func spawnHolder(_ kinds: NamespaceSet) -> SandboxProcess {
    var owner = Sandbox(create: kinds)
    owner.userMapping = .root
    do {
        return try owner.spawn(SandboxCommand("/bin/sleep", ["60"]))
    } catch {
        print("error:", error)
        exit(1)
    }
}

/// The step as a `switch` sees it: its case and the values it carries.
private func name(of step: SandboxError.Step) -> String {
    switch step {
    case .configuration(let field): "configuration \(field)"
    case .lookup(let path): "lookup \(path)"
    case .pipe: "pipe"
    case .spawnerThread: "spawnerThread"
    case .clone(let kinds, let shared): "clone \(kinds) \(shared)"
    case .fork: "fork"
    case .pidfdOpen(let pid): "pidfdOpen \(pid.rawValue)"
    case .writeIDMap(let file): "writeIDMap \(file.lastComponent?.string ?? "")"
    case .idMapHelper(let helper): "idMapHelper \(helper)"
    case .persist(let kind, let file): "persist \(kind) \(file)"
    case .signal(let signal): "signal \(signal)"
    case .wait: "wait"
    case .initWait: "initWait"
    case .parentDeathSignal: "parentDeathSignal"
    case .parentGone: "parentGone"
    case .synchronization: "synchronization"
    case .setns(let kinds): "setns \(kinds)"
    case .unshare(let kinds): "unshare \(kinds)"
    case .lockMounts(let part): "lockMounts \(part)"
    case .namespaceOwner(let owner): "namespaceOwner \(owner.uid):\(owner.gid)"
    case .binaryFormat(let index): "binaryFormat \(index)"
    case .setgroups: "setgroups"
    case .setgid(let gid): "setgid \(gid)"
    case .setuid(let uid): "setuid \(uid)"
    case .setsid: "setsid"
    case .foreground: "foreground"
    case .timeOffsets: "timeOffsets"
    case .mountPropagation(let propagation): "mountPropagation \(propagation)"
    case .mount(let index, let target): "mount \(index) \(target)"
    case .newRoot(let root, let mode): "newRoot \(root) \(mode)"
    case .hostname(let name): "hostname \(name)"
    case .domainName(let name): "domainName \(name)"
    case .loopback: "loopback"
    case .chdir(let directory): "chdir \(directory)"
    case .fileDescriptor(let fd): "fileDescriptor \(fd)"
    case .signalMask: "signalMask"
    case .capabilities(let part): "capabilities \(part)"
    case .noNewPrivileges: "noNewPrivileges"
    case .seccomp: "seccomp"
    case .execve(let name): "execve \(name)"
    case .unreported: "unreported"
    case .unknown(let number): "unknown \(number)"
    case .entryPoint(let name): "entryPoint \(name)"
    case .ioSetup(let call): "ioSetup \(call)"
    case .stream(let stream): "stream \(stream)"
    }
}

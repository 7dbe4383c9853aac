import Glibc
import LinuxNamespaces
import SystemPackage

/// The options of `nsbox run` as plain values, and what they mean: the `Sandbox` and command.
/// Filled in from the words by `RunOptions.table`.
struct RunOptions: Equatable {
    var user = false, mount = false, pid = false, net = false, uts = false, ipc = false, cgroup = false, time = false
    var persist: [String] = []
    var mapRootUser = false, mapCurrentUser = false
    var mapUser: UInt32?, mapGroup: UInt32?
    var mapUsers: [String] = [], mapGroups: [String] = []
    var mapAuto = false
    /// --map-subids: --map-users=subids --map-groups=subids.
    var mapSubids = false
    /// --owner UID:GID.
    var owner: UserNamespaceOwner?
    /// --mount-binfmt[=DIR] (or -l): where binfmt_misc is mounted; -l's rule (the last one wins).
    var binfmtAt: String?, binfmtRule: String?
    var setgroups: SetgroupsPolicy?
    /// -f/--fork: nsbox forks and waits for the command even where it could become it.
    var fork = false
    /// --forward-signals (util-linux 2.42): implies --fork. Whenever nsbox waits it passes on
    /// every signal it can catch (unshare: SIGTERM and SIGINT), so there is nothing else to do.
    var forwardSignals = false
    /// Whether nsbox forks and waits even where it could become the command.
    var forks: Bool { fork || forwardSignals }
    var mountProc = false
    var mountProcAt: String?
    var propagation: MountPropagation?
    var killChild = false
    var killChildSignal: String?
    var root: String?, newRoot: String?, workingDirectory: String?
    var monotonic: Int64?, boottime: Int64?
    var setUID: UInt32?, setGID: UInt32?
    var hostname: String?
    var privateTmp = false
    /// bwrap's mount options in the order given: a kind (`bind`, `ro-bind`, `bind-try`,
    /// `ro-bind-try`, `symlink`, `tmpfs`, `dev`, `dir`), then its values.
    var mountOps: [String] = []
    var dieWithParent = false, newSession = false, asPid1 = false
    var join: [String] = []
    var sandbox = false
    /// --cap-drop and --cap-add in the order given, as `drop:NAME` and `add:NAME`.
    var capabilityChanges: [String] = []
    var noNewPrivs = false
    /// With --sandbox: stay in the caller's network namespace (bwrap's --share-net).
    var shareNet = false
    var disableUserns = false
    var setenvPairs: [String] = [], unsetenv: [String] = []
    var clearenv = false
    /// unshare's --whitelist-env: the caller's variables kept when the environment is cleared.
    var keptEnvironment: [String] = []
    /// --seccomp FD: the fd a compiled BPF program is read from.
    var seccompFD: Int32?
    /// --keep-caps: the permitted capabilities left after -S/-G are raised as ambient.
    var keepCaps = false
    /// --close-fds: the command gets 0, 1 and 2 only (--sandbox implies it).
    var closeFDs = false
    /// --json-status-fd FD: where the child's pid, namespaces and exit are written as JSON.
    var jsonStatusFD: Int32?
    /// --config FILE: an OCI runtime-spec config.json.
    var config: String?
    /// -h/--help before the command.
    var help = false
    var version = false

    /// --mount-binfmt without DIR, as unshare takes it: the default mount point, and /proc
    /// mounted first unless --mount-proc was given already.
    mutating func binfmtDefault() {
        binfmtAt = BinaryFormats.defaultMountPoint.string
        if mountProcAt == nil { mountProc = true }
    }

    /// The caller's fds the command gets: all that are not close-on-exec, as unshare passes
    /// them, unless --close-fds or --sandbox.
    var inheritedFileDescriptors: InheritedFileDescriptors { closeFDs || sandbox ? .none : .all }

    /// The sandbox and the command (`words` as captured after the options; the user's shell
    /// when empty).
    func plan(_ words: [String]) throws -> (Sandbox, SandboxCommand) {
        let box = try makeSandbox()
        // bwrap's meaning: nsbox (and with it the sandbox) dies with the process that started it.
        if dieWithParent || sandbox {
            do { try ParentDeath.arm(parent: startingParent) } catch { throw Failure(message: "--die-with-parent: prctl(PR_SET_PDEATHSIG): \(error.symbolicDescription)") }
        }
        let words = try commandWords(words, subcommand: "run")
        var command = SandboxCommand(words[0], Array(words.dropFirst()))
        command.workingDirectory = workingDirectory.map { FilePath($0) }
        // Only when changed: even storing nil makes the runtime build `[String: String]?`'s
        // metadata, whose String: Hashable check scans every conformance (a third of start-up).
        if let environment = try environment() { command.environment = environment }
        command.inheritedFileDescriptors = inheritedFileDescriptors
        return (box, command)
    }

    /// The options as a `Sandbox`.
    func makeSandbox() throws -> Sandbox {
        // Bit by bit, not from an array of pairs: each new array element type costs the
        // runtime a metadata instantiation at start-up.
        var create = NamespaceSet()
        if user { create.insert(.user) }
        if mount { create.insert(.mount) }
        if pid { create.insert(.pid) }
        if net { create.insert(.network) }
        if uts { create.insert(.uts) }
        if ipc { create.insert(.ipc) }
        if cgroup { create.insert(.cgroup) }
        if time { create.insert(.time) }
        // --sandbox starts from the library's preset; the other options change it.
        var box = sandbox ? Sandbox.untrustedCode() : Sandbox()
        box.create.formUnion(create)
        if shareNet { box.create.remove(.network) }
        if let mapping = try userMapping() { box.userMapping = mapping }
        if box.userMapping != nil { box.create.insert(.user) }
        if let owner {
            box.userNamespaceOwner = owner
            box.create.insert(.user)
        }
        if let binfmtAt {
            box.binaryFormats = BinaryFormats(mountPoint: FilePath(binfmtAt), rules: binfmtRule.map { [$0] } ?? [])
            box.create.formUnion([.user, .mount])
        }
        if mountProc || mountProcAt != nil { box.create.insert(.mount) }
        // Asked for, /proc is mounted with or without a new pid namespace, as unshare does (as
        // an ordinary user the kernel refuses a proc mount without one: a named error).
        if let mountProcAt { box.procMount = .at(FilePath(mountProcAt)) } else if mountProc { box.procMount = .at("/proc") }
        if privateTmp { box.privateTmp = true }
        if let propagation { box.mountPropagation = propagation }
        for entry in persist {
            let (kind, file) = try kindAndValue(entry, option: "--KIND=FILE")
            // A plain name (no '/') is a named namespace: /run/netns/NAME or /run/nsbox/KIND/NAME.
            do { box.persist[kind] = try NamedNamespaces.resolve(kind, file, creating: true) } catch {
                throw Failure(error)
            }
        }
        for entry in join {
            let (kind, target) = try kindAndValue(entry, option: "--join")
            box.join(kind, pid_t(target).map { .process(ProcessID(rawValue: $0)) } ?? .path(FilePath(target)))
        }
        if killChild || killChildSignal != nil || dieWithParent {
            box.parentDeathSignal = Signal(rawValue: try killChildSignal.map(parseSignal) ?? SIGKILL)
        }
        if let root {
            box.newRoot = FilePath(root)
            box.rootMode = .chroot
        }
        if let newRoot {
            box.newRoot = FilePath(newRoot)
            box.rootMode = .pivot
        }
        if monotonic != nil || boottime != nil {
            box.timeOffsets = TimeOffsets(monotonic: monotonic ?? 0, boottime: boottime ?? 0)
        }
        box.uid = setUID
        box.gid = setGID
        // As unshare -G: setgroups(0, NULL) before setgid, and its refusal is an error.
        if setGID != nil { box.supplementaryGroups = .drop }
        box.hostname = hostname
        if !mountOps.isEmpty { box.mounts += try mounts(mountOps) }
        // As unshare master: after -S/-G the permitted set becomes ambient, with a new user
        // namespace only (a change from uid 0 to another has emptied it: nothing kept then).
        if keepCaps { box.permittedCapabilitiesAsAmbient = box.create.contains(.user) }
        if !capabilityChanges.isEmpty { box.capabilities = try capabilities(applying: capabilityChanges, to: box.capabilities) }
        if noNewPrivs { box.noNewPrivileges = true }
        if disableUserns { box.disableUserNamespaces = true }
        if let seccompFD { box.seccompProgram = try readAll(seccompFD, option: "--seccomp") }
        if newSession { box.session = .newSession }
        if asPid1 { box.pidOne = .command }
        // nsbox only waits for its sandbox: the init may run on its memory (no copy).
        box.initSharesCallerMemory = true
        return box
    }

    /// `start` after bwrap's --cap-drop and --cap-add, in order: `ALL` or a capability name.
    private func capabilities(applying changes: [String], to start: CapabilitySet) throws -> CapabilitySet {
        var result = start
        for change in changes {
            let (verb, name) = change.hasPrefix("add:") ? ("add", change.dropFirst(4)) : ("drop", change.dropFirst(5))
            if name.uppercased() == "ALL" {
                result = verb == "add" ? .all : []
                continue
            }
            guard let capability = Capability(name: String(name)) else {
                throw Failure(message: "--cap-\(verb) '\(name)': unknown capability; write a name of capabilities(7) such as CAP_NET_ADMIN, or ALL")
            }
            if verb == "add" { result.insert(capability) } else { result.remove(capability) }
        }
        return result
    }

    /// Everything `fd` holds, read to its end.
    private func readAll(_ fd: Int32, option: String) throws -> [UInt8] {
        do { return try nsbox.readAll(fd) } catch {
            throw Failure(message: "\(option) \(fd): cannot read it: \(error.symbolicDescription)")
        }
    }

    /// The mounts `--mount-op` words describe, in order (see `mountOps`).
    private func mounts(_ words: [String]) throws -> [Mount] {
        var result: [Mount] = []
        // Where the sandbox's own tmpfs mounts are: targets below them are created first (as
        // bwrap does), which changes nothing outside.
        var privateDirectories = sandbox ? ["/tmp", "/dev"] : []
        func add(_ mount: Mount) {
            var mount = mount
            mount.createsTarget = privateDirectories.contains { mount.target.string.hasPrefix($0 + "/") }
            result.append(mount)
        }
        var index = 0
        while index < words.count {
            let kind = words[index]
            let arity = ["bind", "ro-bind", "bind-try", "ro-bind-try", "symlink"].contains(kind) ? 2 : 1
            guard arity > 0, index + arity < words.count else { throw Failure(message: "--\(kind) needs \(max(arity, 1)) value(s)") }
            let values = Array(words[(index + 1)...(index + arity)])
            index += arity + 1
            switch kind {
            case "bind", "ro-bind": add(.bind(values[0], values[1], readOnly: kind == "ro-bind"))
            // As bwrap: skipped where the source does not exist.
            case "bind-try", "ro-bind-try":
                if access(values[0], F_OK) == 0 { add(.bind(values[0], values[1], readOnly: kind == "ro-bind-try")) }
            case "symlink": add(Mount(.symlink(FilePath(values[0])), on: values[1]))
            case "tmpfs":
                add(.tmpfs(values[0]))
                privateDirectories.append(values[0])
            case "dev":
                let devices = Mount.devices(at: values[0])
                add(devices[0])
                result += devices.dropFirst()
                privateDirectories.append(values[0])
            default: add(Mount(.directory, on: values[0]))
            }
        }
        return result
    }

    /// The command's environment after --clearenv (or --clear-env, --whitelist-env), --unsetenv
    /// and --setenv (in that order);
    /// nil when none was given (the caller's, as it is).
    func environment() throws -> [String: String]? {
        guard clearenv || !unsetenv.isEmpty || !setenvPairs.isEmpty else { return nil }
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if !clearenv || keptEnvironment.contains(name) { result[name] = String(text[text.index(after: equals)...]) }
            }
            entry += 1
        }
        for name in unsetenv { result[name] = nil }
        for (name, value) in try pairs(setenvPairs, "--setenv") { result[name] = value }
        return result
    }

    /// The user mapping the options ask for, if any.
    private func userMapping() throws -> UserMapping? {
        let uid = geteuid(), gid = getegid()
        // As unshare: a one-gid map of -r, -c or --map-group is written with setgroups denied.
        // (With gid blocks or another owner the gid map is written from outside: no conflict.)
        if setgroups == .allow && writesOneGIDWithSetgroupsDenied {
            throw Failure(message: "--setgroups allow and -r, -c or --map-group are mutually exclusive (as in unshare): "
                + "their gid map is written with setgroups denied; drop --setgroups allow, or map gids with --map-groups")
        }
        // unshare's blocks (INSIDE:OUTSIDE:COUNT, auto, subids, all), --map-auto and --map-subids:
        // laid out with the caller's own ids (-r, -c, --map-user, --map-group) as unshare master does.
        if mapAuto || mapSubids || !mapUsers.isEmpty || !mapGroups.isEmpty {
            func ranges(_ values: [String], _ option: String) throws -> [IDRange] {
                var result: [IDRange] = try values.map { value in
                    switch value {
                    case "auto": return .subordinateIDs
                    case "subids": return .identitySubordinateIDs
                    case "all": return .parentNamespace
                    default: return .mapping(try mapBlock(value, option: option))
                    }
                }
                if mapAuto { result.append(.subordinateIDs) }
                if mapSubids { result.append(.identitySubordinateIDs) }
                return result
            }
            let base: (UInt32, UInt32)? = mapRootUser ? (0, 0) : mapCurrentUser ? (uid, gid) : nil
            return .ranges(
                uid: try ranges(mapUsers, "--map-users"), gid: try ranges(mapGroups, "--map-groups"),
                callerUID: mapUser ?? base?.0, callerGID: mapGroup ?? base?.1, setgroups: setgroups)
        }
        // Alone, --map-user maps the uid only and --map-group the gid only, as in unshare.
        if !mapRootUser && !mapCurrentUser && (mapUser == nil) != (mapGroup == nil) {
            return .ranges(uid: [], gid: [], callerUID: mapUser, callerGID: mapGroup, setgroups: setgroups)
        }
        // --map-user and --map-group override what -r or -c set, as in unshare.
        if mapUser != nil || mapGroup != nil {
            let base: (UInt32, UInt32) = mapRootUser ? (0, 0) : (uid, gid)
            return .user(uid: mapUser ?? base.0, gid: mapGroup ?? base.1)
        }
        if mapRootUser { return .root }
        if mapCurrentUser { return .currentUser }
        // -U --setgroups deny: no maps, only /proc/PID/setgroups written, as unshare does.
        return setgroups.map { .unmapped(setgroups: $0) }
    }
}

import Glibc
import LinuxNamespaces

/// Every option of `nsbox run`, in the order help lists them: the one place an option is
/// spelled, documented and given its meaning (parsing, help and completion all read it).
extension RunOptions: OptionFields {
    static let table = OptionTable<RunOptions>(specs: namespaceSpecs + otherSpecs, subcommand: "run")

    /// `-U --user[=FILE]` ... `-T --time[=FILE]`: a new namespace, kept on FILE (or named NAME).
    private static var namespaceSpecs: [OptionSpec<RunOptions>] {
        // (Closures, not key paths: each key path is an object the runtime instantiates at start-up.)
        func kind(_ letter: Character, _ name: String, _ procName: String, _ help: String, _ set: @escaping @Sendable (inout RunOptions) -> Void)
            -> OptionSpec<RunOptions>
        {
            OptionSpec(long: [name], short: letter, arity: .optional, valueName: "FILE", help: help) { options, values in
                set(&options)
                if let file = values.first { options.persist.append("\(procName)=\(file)") }
            }
        }
        return [
            kind("U", "user", "user", "New user namespace.", { $0.user = true }),
            kind("m", "mount", "mnt", "New mount namespace.", { $0.mount = true }),
            kind("p", "pid", "pid", "New pid namespace.", { $0.pid = true }),
            kind("n", "net", "net", "New network namespace, lo up.", { $0.net = true }),
            kind("u", "uts", "uts", "New UTS namespace.", { $0.uts = true }),
            kind("i", "ipc", "ipc", "New IPC namespace.", { $0.ipc = true }),
            kind("C", "cgroup", "cgroup", "New cgroup namespace.", { $0.cgroup = true }),
            kind("T", "time", "time", "New time namespace.", { $0.time = true }),
        ]
    }

    private static var otherSpecs: [OptionSpec<RunOptions>] {
        typealias Spec = OptionSpec<RunOptions>
        func mount(_ name: String, _ arity: OptionArity, _ valueName: String, _ help: String = "") -> Spec {
            Spec(long: [name], arity: arity, valueName: valueName, help: help) { options, values in
                options.mountOps += [name] + values
            }
        }
        return [
            flag(["map-root-user"], short: "r", "Map your uid/gid to root (implies -U).") { $0.mapRootUser = true },
            flag(["map-current-user"], short: "c", "Map your uid/gid to themselves (implies -U).") { $0.mapCurrentUser = true },
            value(["map-user"], nil, "UID|NAME", "Map your uid to UID inside (implies -U).") { $0.mapUser = try userID($1, option: "--map-user") },
            value(["map-group"], nil, "GID|NAME", "Map your gid to GID inside (implies -U).") { $0.mapGroup = try groupID($1, option: "--map-group") },
            value(["map-users"], nil, "MAP", "uid block INSIDE:OUTSIDE:COUNT (or the deprecated OUTSIDE,INSIDE,COUNT), auto (your /etc/subuid range from 0), subids (it, to itself) or all (every uid); repeatable, implies -U.") { $0.mapUsers.append($1) },
            value(["map-groups"], nil, "MAP", "gid block INSIDE:OUTSIDE:COUNT, auto, subids or all (from /etc/subgid); repeatable, implies -U.") { $0.mapGroups.append($1) },
            flag(["map-auto"], "Map your /etc/subuid and /etc/subgid ranges from 0 (implies -U).") { $0.mapAuto = true },
            flag(["map-subids"], "Map your /etc/subuid and /etc/subgid ranges to themselves (implies -U).") { $0.mapSubids = true },
            value(["owner"], nil, "UID:GID", "The new user namespace belongs to UID:GID, who may enter it (root only; implies -U).") {
                $0.owner = try namespaceOwner($1)
            },
            value(["setgroups"], nil, "allow|deny", "allow or deny setgroups(2) in the user namespace.") {
                $0.setgroups = try choice($1, [.allow, .deny], option: "--setgroups")
            },
            flag(["fork"], short: "f", "Fork and wait for the command (done anyway where something needs it).") { $0.fork = true },
            flag(["forward-signals"], "Implies -f. The default: while nsbox waits, every signal it can catch but SIGCHLD is passed on to the command (unshare's: SIGTERM and SIGINT).") {
                $0.forwardSignals = true
            },
            Spec(long: ["mount-proc"], arity: .optional, valueName: "DIR", help: "Mount /proc (or DIR); implies -m.") { options, values in
                if let directory = values.first { options.mountProcAt = directory } else { options.mountProc = true }
            },
            value(["propagation"], nil, "MODE", "Mount propagation: private, slave, shared, unchanged.") {
                $0.propagation = try choice($1, MountPropagation.allCases, option: "--propagation")
            },
            Spec(long: ["mount-binfmt"], arity: .optional, valueName: "DIR", help: "Mount a binfmt_misc of the new user namespace on DIR (default /proc/sys/fs/binfmt_misc, with --mount-proc); implies -U -m.") { options, values in
                if let directory = values.first { options.binfmtAt = directory } else { options.binfmtDefault() }
            },
            value(["load-interp"], "l", "RULE", "Register RULE (:name:type:offset:magic:mask:interpreter:flags) in that binfmt_misc; implies --mount-binfmt.") {
                if $0.binfmtAt == nil { $0.binfmtDefault() }
                $0.binfmtRule = $1
            },
            Spec(long: ["kill-child"], arity: .optional, valueName: "SIGNAL", help: "Kill the command with SIGKILL (or SIGNAL) when nsbox dies.") { options, values in
                if let signal = values.first { options.killChildSignal = signal } else { options.killChild = true }
            },
            value(["root"], "R", "DIR", "chroot into DIR.") { $0.root = $1 },
            value(["new-root"], nil, "DIR", "pivot_root into DIR (needs -m); mount targets are inside it.") { $0.newRoot = $1 },
            value(["wd", "chdir"], "w", "DIR", "Working directory inside.") { $0.workingDirectory = $1 },
            value(["monotonic"], nil, "OFFSET", "Monotonic clock offset in seconds (needs -T).") { $0.monotonic = try number($1, option: "--monotonic") },
            value(["boottime"], nil, "OFFSET", "Boot-time clock offset in seconds (needs -T).") { $0.boottime = try number($1, option: "--boottime") },
            value(["setuid"], "S", "UID", "uid to run as inside.") { $0.setUID = try number($1, option: "--setuid") },
            value(["setgid"], "G", "GID", "gid to run as inside.") { $0.setGID = try number($1, option: "--setgid") },
            value(["hostname"], nil, "NAME", "Hostname inside (needs -u).") { $0.hostname = $1 },
            flag(["private-tmp"], "An empty tmpfs on /tmp (needs -m).") { $0.privateTmp = true },
            mount("tmpfs", .required, "DIR", "A tmpfs on DIR (needs -m). The mount options apply in the order given."),
            mount("bind", .two, "SRC DST", "Bind SRC on DST."),
            mount("ro-bind", .two, "SRC DST", "Bind SRC on DST read-only."),
            mount("bind-try", .two, "SRC DST", "--bind, skipped where SRC is missing."),
            mount("ro-bind-try", .two, "SRC DST", "--ro-bind, skipped where SRC is missing."),
            mount("dev", .required, "DIR", "A minimal /dev on DIR."),
            mount("dir", .required, "DIR", "Create directory DIR."),
            mount("symlink", .two, "SRC DST", "A symbolic link DST pointing to SRC."),
            Spec(long: ["setenv"], arity: .two, valueName: "VAR VALUE", help: "Set VAR in the command's environment.") { options, values in
                options.setenvPairs += values
            },
            value(["unsetenv"], nil, "VAR", "Remove VAR from the command's environment.") { $0.unsetenv.append($1) },
            flag(["clearenv"], "Start the command's environment empty.") { $0.clearenv = true },
            flag(["clear-env"], "Do not pass the caller's environment on (unshare's spelling of --clearenv).") { $0.clearenv = true },
            value(["whitelist-env"], nil, "LIST", "Pass on only the caller's variables named in LIST (comma-separated).") {
                $0.clearenv = true
                $0.keptEnvironment += $1.split(separator: ",").map(String.init)
            },
            value(["seccomp"], nil, "FD", "Load the compiled BPF program read from FD as the command's seccomp filter (with --no-new-privs).") {
                $0.seccompFD = try number($1, option: "--seccomp")
            },
            flag(["die-with-parent"], "Kill nsbox and the sandbox when the process that started nsbox dies.") { $0.dieWithParent = true },
            value(["cap-drop"], nil, "CAP", "Drop capability CAP (or ALL) from what the command keeps (all by default).") {
                $0.capabilityChanges.append("drop:" + $1)
            },
            value(["cap-add"], nil, "CAP", "Keep capability CAP (or ALL); --cap-drop and --cap-add apply in order.") {
                $0.capabilityChanges.append("add:" + $1)
            },
            flag(["keep-caps"], "Keep the capabilities of the user namespace for a command run as a uid other than 0 inside (raised as ambient), as unshare's.") {
                $0.keepCaps = true
            },
            flag(["close-fds"], "Close every fd but 0, 1 and 2 (by default the command gets the caller's, as with unshare).") { $0.closeFDs = true },
            flag(["no-new-privs"], "Set no_new_privs: execve of setuid or file-capability binaries grants nothing.") { $0.noNewPrivs = true },
            flag(["new-session"], "Run the command in a new session (no terminal).") { $0.newSession = true },
            flag(["as-pid-1"], "Run the command as pid 1 of the new pid namespace, without init.") { $0.asPid1 = true },
            value(["join"], nil, "KIND=PATH|PID", "Enter a namespace (repeatable).") { $0.join.append($1) },
            value(["json-status-fd"], nil, "FD", "Write JSON lines with the child's pid, namespaces and exit to FD.") {
                $0.jsonStatusFD = try number($1, option: "--json-status-fd")
            },
            flag(["sandbox"], "Preset for untrusted code: -r -m -p -n -u -i -C, / read-only, fresh /proc, minimal /dev, empty /tmp, locked mounts, no capabilities, --no-new-privs, --new-session, --die-with-parent, --close-fds.") {
                $0.sandbox = true
            },
            flag(["share-net"], "With --sandbox: keep the caller's network namespace.") { $0.shareNet = true },
            flag(["disable-userns"], "The command cannot create user namespaces (needs -U).") { $0.disableUserns = true },
            value(["config"], nil, "FILE", "Namespaces, id maps, hostname, clock offsets and process of an OCI runtime-spec config.json (or its linux object).") {
                $0.config = $1
            },
            flag(["help"], short: "h", "Show this help.") { $0.help = true },
            flag(["version"], short: "V", "Show the version.") { $0.version = true },
            flag(["json"], "A failure is one JSON object on stderr: {\"error\": MESSAGE, \"exitCode\": STATUS}.") { _ in jsonErrors = true },
        ]
    }
}

/// `text` as a number of type `T`, naming `option` when it is not one.
private func number<T: FixedWidthInteger>(_ text: String, option: String) throws -> T {
    guard let value = T(text) else {
        throw Failure(message: "\(option) '\(oneLine(text))': not a number from \(T.min) to \(T.max)")
    }
    return value
}

/// One of an enumeration's raw values, naming `option` and the choices when it is not one.
private func choice<T: RawRepresentable>(_ text: String, _ choices: [T], option: String) throws -> T where T.RawValue == String {
    guard let value = choices.first(where: { $0.rawValue == text }) else {
        throw Failure(message: "\(option) '\(oneLine(text))': write one of \(choices.map(\.rawValue).joined(separator: ", "))")
    }
    return value
}

/// unshare's --owner UID:GID: two numbers and nothing else.
private func namespaceOwner(_ text: String) throws -> UserNamespaceOwner {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let uid = UInt32(parts[0]), let gid = UInt32(parts[1]) else {
        throw Failure(message: "--owner '\(oneLine(text))': write UID:GID, two numbers such as 1000:1000")
    }
    return UserNamespaceOwner(uid: uid, gid: gid)
}

/// A uid by number or user name, as unshare's --map-user takes it.
private func userID(_ text: String, option: String) throws -> UInt32 {
    if let id = UInt32(text) { return id }
    guard let entry = getpwnam(text) else { throw Failure(message: "\(option) '\(oneLine(text))': no such user; write a uid or a user name") }
    return entry.pointee.pw_uid
}

/// A gid by number or group name, as unshare's --map-group takes it.
private func groupID(_ text: String, option: String) throws -> UInt32 {
    if let id = UInt32(text) { return id }
    guard let entry = getgrnam(text) else { throw Failure(message: "\(option) '\(oneLine(text))': no such group; write a gid or a group name") }
    return entry.pointee.gr_gid
}

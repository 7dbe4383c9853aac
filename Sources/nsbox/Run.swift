import ArgumentParser
import Glibc
import LinuxNamespaces
import SystemPackage

/// `nsbox run`: create or join namespaces and run a command, with unshare(1) and bwrap(1)
/// spellings.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command in new (or joined) namespaces.",
        discussion: """
            Options follow unshare(1) where it has them, and bwrap(1) for the rest. --KIND=FILE \
            keeps a created namespace by bind-mounting it on FILE; --KIND=NAME (no '/') names it \
            (/run/netns/NAME for net, as ip netns does; /run/nsbox/KIND/NAME otherwise). Where nothing needs a parent, \
            nsbox becomes the command (no fork, as unshare without -f); -f forks and waits, as \
            a pid or time namespace, --kill-child, --die-with-parent, --new-session and \
            --json-status-fd always do. With a new pid namespace a small init is pid 1 (use \
            --as-pid-1 to run the command as pid 1); with new pid and mount namespaces /proc is \
            mounted fresh. A new network namespace gets lo up (bwrap does; unshare does not). \
            While nsbox waits, it passes every signal it can catch but SIGCHLD on to the command \
            (SIGTSTP, SIGTTIN and SIGTTOU then stop nsbox too); --forward-signals, unshare's \
            option for SIGTERM and SIGINT, is accepted and implies -f.

            --config FILE reads linux.namespaces (created without a path, joined with one), \
            linux.uidMappings, linux.gidMappings, linux.timeOffsets, hostname, process.args, \
            process.env, process.cwd and process.user's uid and gid of an OCI runtime-spec \
            config.json (or of its linux object alone); a command after -- replaces process.args, \
            -w replaces process.cwd, -S and -G the uid and gid. Options that also set namespaces, \
            id maps, hostname or clock offsets cannot be combined with it; the others apply on top.

            Examples:
              nsbox run -r -p --mount-proc -- sh -c 'id; ps'
              nsbox run --sandbox --hostname box -- sh
              nsbox run -U -c -n --net=/run/netns/demo -- true
              nsbox run --join net=1234 -- ip -o link
              nsbox run --config bundle/config.json -- sh
            """)

    @Flag(name: [.customShort("U"), .long], help: "New user namespace.") var user = false
    @Flag(name: [.customShort("m"), .long], help: "New mount namespace (--mount=FILE to persist).") var mount = false
    @Flag(name: [.customShort("p"), .long], help: "New pid namespace.") var pid = false
    @Flag(name: [.customShort("n"), .long], help: "New network namespace, lo up.") var net = false
    @Flag(name: [.customShort("u"), .long], help: "New UTS namespace.") var uts = false
    @Flag(name: [.customShort("i"), .long], help: "New IPC namespace.") var ipc = false
    @Flag(name: [.customShort("C"), .long], help: "New cgroup namespace.") var cgroup = false
    @Flag(name: [.customShort("T"), .long], help: "New time namespace.") var time = false
    @Option(help: .hidden) var persist: [String] = []

    @Flag(name: [.customShort("r"), .customLong("map-root-user")], help: "Map your uid/gid to root (implies -U).")
    var mapRootUser = false
    @Flag(name: [.customShort("c"), .customLong("map-current-user")], help: "Map your uid/gid to themselves (implies -U).")
    var mapCurrentUser = false
    @Option(name: .customLong("map-user"), help: "Map your uid to UID inside (implies -U).") var mapUser: UInt32?
    @Option(name: .customLong("map-group"), help: "Map your gid to GID inside (implies -U).") var mapGroup: UInt32?
    @Option(name: .customLong("map-users"), help: "uid map line INSIDE:OUTSIDE:COUNT (repeatable; implies -U).")
    var mapUsers: [String] = []
    @Option(name: .customLong("map-groups"), help: "gid map line INSIDE:OUTSIDE:COUNT (repeatable; implies -U).")
    var mapGroups: [String] = []
    @Flag(name: .customLong("map-auto"), help: "Map your /etc/subuid and /etc/subgid ranges from 0 (implies -U).")
    var mapAuto = false
    @Option(help: "allow or deny setgroups(2) in the user namespace.") var setgroups: SetgroupsPolicy?

    @Flag(name: [.customShort("f"), .long], help: "Fork and wait for the command (done anyway where something needs it).")
    var fork = false
    @Flag(name: .customLong("forward-signals"), help: """
        Implies -f. The default: while nsbox waits, every signal it can catch but SIGCHLD is passed on to the command \
        (unshare's: SIGTERM and SIGINT).
        """)
    var forwardSignals = false
    @Flag(name: .customLong("mount-proc"), help: "Mount /proc (--mount-proc=DIR elsewhere); implies -m.")
    var mountProc = false
    @Option(name: .customLong("mount-proc-at"), help: .hidden) var mountProcAt: String?
    @Option(help: "Mount propagation: private, slave, shared, unchanged.") var propagation: MountPropagation?
    @Flag(name: .customLong("kill-child"), help: "Kill the command with SIGKILL (--kill-child=SIGNAL) when nsbox dies.")
    var killChild = false
    @Option(name: .customLong("kill-child-signal"), help: .hidden) var killChildSignal: String?
    @Option(name: [.customShort("R"), .long], help: "chroot into DIR.") var root: String?
    @Option(name: .customLong("new-root"), help: "pivot_root into DIR (needs -m); mount targets are inside it.")
    var newRoot: String?
    @Option(name: [.customShort("w"), .customLong("wd"), .customLong("chdir")], help: "Working directory inside.") var workingDirectory: String?
    @Option(help: "Monotonic clock offset in seconds (needs -T).") var monotonic: Int64?
    @Option(help: "Boot-time clock offset in seconds (needs -T).") var boottime: Int64?
    @Option(name: [.customShort("S"), .customLong("setuid")], help: "uid to run as inside.") var setUID: UInt32?
    @Option(name: [.customShort("G"), .customLong("setgid")], help: "gid to run as inside.") var setGID: UInt32?

    @Option(help: "Hostname inside (needs -u).") var hostname: String?
    @Flag(name: .customLong("private-tmp"), help: "An empty tmpfs on /tmp (needs -m).") var privateTmp = false
    @Option(name: .customLong("mount-op"), help: .hidden) var mountOps: [String] = []
    @Option(help: ArgumentHelp("A tmpfs on DIR (needs -m). --bind SRC DST, --ro-bind SRC DST, --bind-try and --ro-bind-try (skipped where SRC is missing), --dev DIR (a minimal /dev), --dir DIR and --symlink SRC DST apply in the order given.", valueName: "DIR"))
    var tmpfs: [String] = []
    @Option(name: .customLong("setenv-pair"), help: .hidden) var setenvPairs: [String] = []
    @Option(name: .customLong("unsetenv"), help: ArgumentHelp("Remove VAR from the command's environment (--setenv VAR VALUE sets one).", valueName: "VAR"))
    var unsetenv: [String] = []
    @Flag(name: .customLong("clearenv"), help: "Start the command's environment empty.") var clearenv = false
    @Option(name: .customLong("seccomp"), help: ArgumentHelp("Load the compiled BPF program read from FD as the command's seccomp filter (with --no-new-privs).", valueName: "FD"))
    var seccompFD: Int32?
    @Flag(name: .customLong("die-with-parent"), help: "Kill nsbox and the sandbox when the process that started nsbox dies.")
    var dieWithParent = false
    @Option(name: .customLong("cap-drop"), help: ArgumentHelp("Drop capability CAP (or ALL) from what the command keeps (all by default).", valueName: "CAP"))
    var capDrop: [String] = []
    @Option(name: .customLong("cap-add"), help: ArgumentHelp("Keep capability CAP (or ALL); --cap-drop and --cap-add apply in order.", valueName: "CAP"))
    var capAdd: [String] = []
    @Option(name: .customLong("capability"), help: .hidden) var capabilityChanges: [String] = []
    @Flag(name: .customLong("close-fds"), help: "Close every fd but 0, 1 and 2 (by default the command gets the caller's, as with unshare).")
    var closeFDs = false
    @Flag(name: .customLong("no-new-privs"), help: "Set no_new_privs: execve of setuid or file-capability binaries grants nothing.")
    var noNewPrivs = false
    @Flag(name: .customLong("new-session"), help: "Run the command in a new session (no terminal).")
    var newSession = false
    @Flag(name: .customLong("as-pid-1"), help: "Run the command as pid 1 of the new pid namespace, without init.")
    var asPid1 = false
    @Option(help: "Enter a namespace: KIND=PATH or KIND=PID (repeatable).") var join: [String] = []
    @Option(name: .customLong("json-status-fd"), help: "Write JSON lines with the child's pid, namespaces and exit to FD.")
    var jsonStatusFD: Int32?
    @Flag(help: ArgumentHelp(
        "Preset for untrusted code: -r -m -p -n -u -i -C, / read-only, fresh /proc, minimal /dev, empty /tmp, locked mounts, no capabilities, --no-new-privs, --new-session, --die-with-parent, --close-fds."))
    var sandbox = false
    @Flag(name: .customLong("share-net"), help: "With --sandbox: keep the caller's network namespace.") var shareNet = false
    @Flag(name: .customLong("disable-userns"), help: "The command cannot create user namespaces (needs -U).")
    var disableUserns = false
    @Option(help: ArgumentHelp(
        "Namespaces, id maps, hostname, clock offsets and process of an OCI runtime-spec config.json (or its linux object).",
        valueName: "FILE"))
    var config: String?

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (default: $SHELL).")
    var command: [String] = []

    /// The option words that take a value, for `ArgumentRewriter`.
    static let rewriter = ArgumentRewriter(
        optionsWithValue: [
            "--map-user", "--map-group", "--map-users", "--map-groups", "--setgroups", "--propagation", "-R", "--root",
            "--new-root", "-w", "--wd", "--monotonic", "--boottime", "-S", "--setuid", "-G", "--setgid", "--hostname",
            "--tmpfs", "--join", "--json-status-fd", "--persist", "--mount-proc-at", "--kill-child-signal", "--config",
            "--capability", "--chdir", "--mount-op", "--setenv-pair", "--unsetenv", "--seccomp",
        ],
        kindFileOption: "--persist", capabilityOption: "--capability", mountOption: "--mount-op")

    func run() throws {
        let sandbox: Sandbox
        var spawned: SandboxCommand
        if let config {
            (sandbox, spawned) = try configured(by: config)
        } else {
            (sandbox, spawned) = try options.plan(command)
        }
        spawned.inheritsSignalMask = true
        if let fd = jsonStatusFD {
            guard fcntl(fd, F_GETFD) >= 0 else {
                throw Failure(message: "--json-status-fd \(fd): not an open file descriptor")
            }
        }
        try runToCompletion(sandbox, spawned, jsonStatusFD: jsonStatusFD, fork: options.forks)
    }

    /// The parsed options as plain values, shared with the fast path (`FastRun`).
    var options: RunOptions {
        RunOptions(
            user: user, mount: mount, pid: pid, net: net, uts: uts, ipc: ipc, cgroup: cgroup, time: time,
            persist: persist, mapRootUser: mapRootUser, mapCurrentUser: mapCurrentUser, mapUser: mapUser,
            mapGroup: mapGroup, mapUsers: mapUsers, mapGroups: mapGroups, mapAuto: mapAuto, setgroups: setgroups,
            fork: fork, forwardSignals: forwardSignals, mountProc: mountProc, mountProcAt: mountProcAt, propagation: propagation, killChild: killChild,
            killChildSignal: killChildSignal, root: root, newRoot: newRoot, workingDirectory: workingDirectory,
            monotonic: monotonic, boottime: boottime, setUID: setUID, setGID: setGID, hostname: hostname,
            privateTmp: privateTmp, mountOps: mountOps + tmpfs.flatMap { ["tmpfs", $0] },
            dieWithParent: dieWithParent, newSession: newSession, asPid1: asPid1, join: join, sandbox: sandbox,
            // (The rewriter turns --cap-drop and --cap-add into --capability, in order.)
            capabilityChanges: capabilityChanges + capDrop.map { "drop:" + $0 } + capAdd.map { "add:" + $0 },
            noNewPrivs: noNewPrivs, shareNet: shareNet, disableUserns: disableUserns,
            setenvPairs: setenvPairs, unsetenv: unsetenv, clearenv: clearenv, seccompFD: seccompFD, closeFDs: closeFDs)
    }
}

extension SetgroupsPolicy: ExpressibleByArgument {}
extension MountPropagation: ExpressibleByArgument {}

/// Splits `KIND=VALUE`, naming `option` in the error.
func kindAndValue(_ entry: String, option: String) throws -> (NamespaceKind, String) {
    let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2, let kind = NamespaceKind(name: parts[0]), !parts[1].isEmpty else {
        throw Failure(message: "\(option) '\(entry)': write KIND=VALUE, KIND one of \(NamespaceKind.acceptedNames)")
    }
    return (kind, parts[1])
}

/// Pairs up SRC DST words of a two-value option.
func pairs(_ words: [String], _ option: String) throws -> [(String, String)] {
    guard words.count % 2 == 0 else { throw Failure(message: "\(option) needs SRC and DST") }
    return stride(from: 0, to: words.count, by: 2).map { (words[$0], words[$0 + 1]) }
}

/// A signal by number or name (`KILL`, `SIGTERM`, `9`).
func parseSignal(_ text: String) throws -> Int32 {
    if let number = Int32(text), (1...64).contains(number) { return number }
    let names: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "KILL": SIGKILL, "USR1": SIGUSR1, "USR2": SIGUSR2,
        "TERM": SIGTERM, "ALRM": SIGALRM, "CONT": SIGCONT,
    ]
    var name = text.uppercased()
    if name.hasPrefix("SIG") { name.removeFirst(3) }
    guard let signal = names[name] else { throw Failure(message: "unknown signal '\(text)'") }
    return signal
}

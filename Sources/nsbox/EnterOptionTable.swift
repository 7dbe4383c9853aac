/// `nsbox enter`'s options as nsenter(1) of util-linux master spells them, in one
/// `OptionTable`, the parser `run` uses too, with getopt's rule for nsenter's short options
/// with optional values: attached only (`-r/dir`, `-n/run/netns/x`; `-r /dir` is -r and the
/// command `/dir`). nsbox's own: --ns, --mount-proc, --close-fds, --die-with-parent,
/// --json-status-fd, --json.
extension EnterOptions {
    static let table = OptionTable<EnterOptions>(specs: specs, subcommand: "enter", attachedShortValues: true)

    private static var specs: [OptionSpec<EnterOptions>] {
        // Each sets its field through EnterOptions.set, by its long name.
        func spec(_ long: String, short: Character? = nil, _ arity: OptionArity, _ valueName: String, _ help: String) -> OptionSpec<EnterOptions> {
            OptionSpec(long: [long], short: short, arity: arity, valueName: valueName, help: help) { try $0.set(long, $1.first) }
        }
        return [
            spec("all", short: "a", .none, "", "enter each namespace of PID that differs"),
            spec("target", short: "t", .required, "PID[:INODE]", "target process (INODE: its pidfd's)"),
            spec("mount", short: "m", .optional, "FILE|NAME", "enter the mount namespace"),
            spec("uts", short: "u", .optional, "FILE|NAME", "enter the UTS namespace"),
            spec("ipc", short: "i", .optional, "FILE|NAME", "enter the System V IPC namespace"),
            spec("net", short: "n", .optional, "FILE|NAME", "enter the network namespace"),
            spec("net-socket", short: "N", .required, "FD", "enter the net namespace of its socket FD"),
            spec("pid", short: "p", .optional, "FILE|NAME", "enter the pid namespace"),
            spec("cgroup", short: "C", .optional, "FILE|NAME", "enter the cgroup namespace"),
            spec("user", short: "U", .optional, "FILE|NAME", "enter the user namespace"),
            spec("user-parent", .none, "", "enter the parent of the user namespace"),
            spec("time", short: "T", .optional, "FILE|NAME", "enter the time namespace"),
            spec("setuid", short: "S", .required, "UID|follow", "the uid inside (follow: PID's)"),
            spec("setgid", short: "G", .required, "GID|follow", "the gid inside (follow: PID's)"),
            spec("preserve-credentials", .none, "", "do not touch uid, gid or groups"),
            spec("keep-caps", .none, "", "make the permitted capabilities left after -S/-G inheritable and ambient"),
            spec("root", short: "r", .optional, "DIR", "set the root directory (default: PID's)"),
            spec("wd", short: "w", .optional, "DIR", "set the working directory (default: PID's)"),
            spec("wdns", short: "W", .optional, "DIR", "set the working directory, inside"),
            spec("env", short: "e", .none, "", "take the target's environment"),
            spec("no-fork", short: "F", .none, "", "do not fork before executing the command"),
            spec("join-cgroup", short: "c", .none, "", "join the cgroup of PID (cgroup v2)"),
            spec("follow-context", short: "Z", .none, "", "SELinux context of PID (none here: accepted)"),
            spec("ns", .required, "KIND=FILE", "enter a namespace file (repeatable)"),
            spec("mount-proc", .optional, "DIR", "fresh /proc of the pid namespace entered"),
            spec("close-fds", .none, "", "close every fd but 0, 1 and 2"),
            spec("die-with-parent", .none, "", "kill the command when nsbox dies"),
            spec("json-status-fd", .required, "FD", "JSON: the child's pid, how it ended"),
            spec("json", .none, "", "a failure as one JSON object on stderr"),
            spec("help", short: "h", .none, "", "display this help"),
            spec("version", short: "V", .none, "", "display the version"),
        ]
    }
}

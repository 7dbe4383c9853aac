import ArgumentParser
import Glibc
import LinuxNamespaces
import SystemPackage

/// `nsbox enter`: run a command in namespaces of a process or of files, like nsenter(1).
struct Enter: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command in the namespaces of a process (like nsenter).",
        discussion: """
            -t PID with -a enters every namespace of PID that differs from ours (our own user \
            namespace is skipped); -U -m -n ... pick kinds; --KIND=FILE or --ns KIND=FILE enters \
            a namespace file, --KIND=NAME a named one (nsbox names). Entering a user namespace makes you uid 0 / gid 0 there and drops \
            supplementary groups unless --preserve-credentials; -S/-G choose other ids. A pid \
            namespace is entered by forking, always.

            Examples:
              nsbox enter -t 1234 -a -- sh
              nsbox enter -t 1234 --net -- ip -o link
              nsbox enter --ns net=/run/netns/demo -- ip -o addr
            """)

    @Option(name: [.customShort("t"), .long], help: "The target process.") var target: Int32?
    @Flag(name: [.customShort("a"), .long], help: "Every namespace of the target that differs from ours.")
    var all = false
    @Flag(name: [.customShort("U"), .long]) var user = false
    @Flag(name: [.customShort("m"), .long]) var mount = false
    @Flag(name: [.customShort("p"), .long]) var pid = false
    @Flag(name: [.customShort("n"), .long]) var net = false
    @Flag(name: [.customShort("u"), .long]) var uts = false
    @Flag(name: [.customShort("i"), .long]) var ipc = false
    @Flag(name: [.customShort("C"), .long]) var cgroup = false
    @Flag(name: [.customShort("T"), .long]) var time = false
    @Option(help: "A namespace file to enter: KIND=PATH (repeatable).") var ns: [String] = []
    @Flag(name: .customLong("preserve-credentials"), help: "Keep uid, gid and groups when entering a user namespace.")
    var preserveCredentials = false
    @Option(name: [.customShort("S"), .customLong("setuid")], help: "uid inside.") var setUID: UInt32?
    @Option(name: [.customShort("G"), .customLong("setgid")], help: "gid inside.") var setGID: UInt32?
    @Option(name: [.customShort("w"), .customLong("wd")], help: "Working directory inside.") var workingDirectory: String?
    @Flag(name: .customLong("die-with-parent"), help: "Kill the command when nsbox dies.") var dieWithParent = false
    @Option(name: .customLong("json-status-fd"), help: "Write JSON lines with the child's pid and exit to FD.")
    var jsonStatusFD: Int32?

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (default: $SHELL).")
    var command: [String] = []

    static let rewriter = ArgumentRewriter(
        optionsWithValue: ["-t", "--target", "--ns", "-S", "--setuid", "-G", "--setgid", "-w", "--wd", "--json-status-fd"],
        kindFileOption: "--ns")

    func run() throws {
        let options = EnterOptions(
            target: target, all: all, user: user, mount: mount, pid: pid, net: net, uts: uts, ipc: ipc,
            cgroup: cgroup, time: time, ns: ns, preserveCredentials: preserveCredentials, setUID: setUID,
            setGID: setGID, workingDirectory: workingDirectory, dieWithParent: dieWithParent)
        var (sandbox, spawned) = try options.plan(command)
        spawned.inheritsSignalMask = true
        try runToCompletion(sandbox, spawned, jsonStatusFD: jsonStatusFD)
    }
}

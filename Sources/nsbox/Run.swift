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

    /// The words after `run`. The table (`RunOptions.table`) parses them, not argument-parser:
    /// this only gives shell completion every spelling.
    @Argument(parsing: .captureForPassthrough, help: "The options and the command (default: $SHELL).",
        completion: .list(RunOptions.table.spellings))
    var words: [String] = []

    func run() throws { try Self.execute(words[...]) }

    /// `nsbox run WORDS`: parses them with the table, then runs the command (or prints help).
    static func execute(_ arguments: ArraySlice<String>) throws -> Never {
        var options = RunOptions()
        let words = try RunOptions.table.parse(arguments, into: &options)
        var planned: (box: Sandbox, uid: uid_t, gid: gid_t)?
        do {
            try runParsed(help: options.help ? help : nil, version: options.version, jsonStatusFD: options.jsonStatusFD, fork: options.forks) {
                let plan = try options.config.map { try options.configured(by: $0, words) } ?? options.plan(words)
                // For -G's setgroups diagnosis: the sandbox and the caller's ids (in place, the
                // namespaces are entered by the time it fails).
                if options.setGID != nil { planned = (plan.0, geteuid(), getegid()) }
                return plan
            }
        } catch let failure as Failure where failure.cause?.step == .setgroups && failure.cause?.errno == .notPermitted {
            throw planned.flatMap { options.setgroupsRefusal(in: $0.box, uid: $0.uid, gid: $0.gid) } ?? failure
        }
    }

    /// `nsbox run --help`: the overview, then every option of the table.
    static var help: String {
        """
        OVERVIEW: \(configuration.abstract)

        \(wrapped(configuration.discussion))

        USAGE: nsbox run [<options>] [--] [<command> ...]

        OPTIONS:
        \(RunOptions.table.optionsHelp)
        """
    }
}

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

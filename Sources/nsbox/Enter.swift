import ArgumentParser
import Glibc
import LinuxNamespaces
import SystemPackage

/// `nsbox enter`: run a command in namespaces of a process or of files, like nsenter(1) of
/// util-linux master. Its options are read by `EnterOptions.table` alone; this type gives the
/// subcommand its name and completion.
struct Enter: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command in the namespaces of a process (like nsenter).",
        discussion: """
            -a enters every namespace of PID but our own user namespace, those it shares \
            with us too, as nsenter (when nothing differs the command just runs). --KIND=FILE \
            enters a namespace file, --KIND=NAME a named one (nsbox names). Entering a user \
            namespace makes you uid 0 / gid 0 there and drops supplementary groups (before \
            and after entering, failing if both are refused) unless --preserve-credentials. A pid namespace is entered by forking, unless -F. The \
            caller's inherited fds reach the command unless --close-fds.

            Examples:
              nsbox enter -t 1234 -a -- sh
              nsbox enter -t 1234 -p --mount-proc -- ps ax
              nsbox enter --net=/run/netns/demo -- ip -o addr
            """)

    /// `nsbox enter --help`: the overview, then every option of the table.
    static var help: String {
        """
        OVERVIEW: \(configuration.abstract)

        \(wrapped(configuration.discussion))

        USAGE: nsbox enter [<options>] [--] [<command> ...]

        OPTIONS (nsenter's; --ns, --mount-proc, --close-fds, --die-with-parent, --json-status-fd
        and --json are nsbox's own):
        \(EnterOptions.table.optionsHelp)
        """
    }

    /// The words after `enter`. The table (`EnterOptions.table`) parses them, not
    /// argument-parser: this only gives shell completion every spelling.
    @Argument(parsing: .captureForPassthrough, help: "The options and the command (default: $SHELL).",
        completion: .list(EnterOptions.table.spellings))
    var words: [String] = []

    func run() throws { try Self.run(words) }

    /// Parses `arguments` (the words after `enter`) and runs the command; returns only by
    /// throwing.
    static func run(_ arguments: [String]) throws {
        let options = try EnterOptions(parsing: arguments)
        try runParsed(help: options.help ? help : nil, version: options.version, jsonStatusFD: options.jsonStatusFD) {
            try options.plan()
        }
    }
}

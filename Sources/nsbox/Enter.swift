import ArgumentParser
import Glibc
import LinuxNamespaces
import SystemPackage

/// `nsbox enter`: run a command in namespaces of a process or of files, like nsenter(1) of
/// util-linux master. Its options are read by `EnterParser` alone (argument-parser cannot
/// express getopt's optional values); this type gives the help and the subcommand's name.
struct Enter: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command in the namespaces of a process (like nsenter).",
        discussion: """
            Options (nsenter's; --ns, --mount-proc, --close-fds, --die-with-parent, \
            --json-status-fd and --json are nsbox's own):
            \(EnterParser.helpLines)

            -a enters every namespace of PID that differs from ours (our own user namespace \
            is never re-entered; when nothing differs the command just runs). --KIND=FILE \
            enters a namespace file, --KIND=NAME a named one (nsbox names). Entering a user \
            namespace makes you uid 0 / gid 0 there and drops supplementary groups unless \
            --preserve-credentials. A pid namespace is entered by forking, unless -F.

            Examples:
              nsbox enter -t 1234 -a -- sh
              nsbox enter -t 1234 -p --mount-proc -- ps ax
              nsbox enter --net=/run/netns/demo -- ip -o addr
            """)

    @Argument(parsing: .captureForPassthrough, help: "Options, then the command and its arguments (default: $SHELL).")
    var words: [String] = []

    func run() throws { try Self.run(words) }

    /// Parses `arguments` (the words after `enter`) and runs the command; returns only by
    /// throwing.
    static func run(_ arguments: [String]) throws {
        let options = try EnterOptions(parsing: arguments)
        if options.help {
            printLine(NSBox.helpMessage(for: Enter.self, columns: nil))
            Glibc.exit(0)
        }
        if options.version {
            printLine(versionLine)
            Glibc.exit(0)
        }
        var (sandbox, spawned) = try options.plan()
        spawned.inheritsSignalMask = true
        try runToCompletion(sandbox, spawned, jsonStatusFD: options.jsonStatusFD)
    }
}

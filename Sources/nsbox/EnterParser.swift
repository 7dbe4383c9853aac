/// `nsbox enter`'s options as nsenter(1) of util-linux master spells them, read the way its
/// getopt_long(3) call does ("+" mode: options end at the first word that is not one): long
/// options by any unambiguous prefix, `--name=value`, short flags grouped, optional values
/// attached only (`-r/dir`, `--root=/dir`; `-r /dir` is -r and the command `/dir`). One table,
/// one parser: the only reader of enter's options, which `--help` is rendered from too.
enum EnterParser {
    /// Whether an option takes a value.
    enum Value { case none, required, optional }

    /// One option: its long name, its letter, and its value.
    struct Option {
        let long: String
        let short: Character?
        let value: Value
        /// How the help names the value: `<PID>` or `[=DIR]`.
        let valueName: String
        let help: String
    }

    /// nsenter master's options, then nsbox's own (documented supersets).
    static let table: [Option] = [
        Option(long: "all", short: "a", value: .none, valueName: "", help: "enter each namespace of PID that differs"),
        Option(long: "target", short: "t", value: .required, valueName: "PID[:INODE]", help: "target process (INODE: its pidfd's)"),
        Option(long: "mount", short: "m", value: .optional, valueName: "[=FILE|=NAME]", help: "enter the mount namespace"),
        Option(long: "uts", short: "u", value: .optional, valueName: "[=FILE|=NAME]", help: "enter the UTS namespace"),
        Option(long: "ipc", short: "i", value: .optional, valueName: "[=FILE|=NAME]", help: "enter the System V IPC namespace"),
        Option(long: "net", short: "n", value: .optional, valueName: "[=FILE|=NAME]", help: "enter the network namespace"),
        Option(long: "net-socket", short: "N", value: .required, valueName: "FD", help: "enter the net namespace of its socket FD"),
        Option(long: "pid", short: "p", value: .optional, valueName: "[=FILE|=NAME]", help: "enter the pid namespace"),
        Option(long: "cgroup", short: "C", value: .optional, valueName: "[=FILE|=NAME]", help: "enter the cgroup namespace"),
        Option(long: "user", short: "U", value: .optional, valueName: "[=FILE|=NAME]", help: "enter the user namespace"),
        Option(long: "user-parent", short: nil, value: .none, valueName: "", help: "enter the parent of the user namespace"),
        Option(long: "time", short: "T", value: .optional, valueName: "[=FILE|=NAME]", help: "enter the time namespace"),
        Option(long: "setuid", short: "S", value: .required, valueName: "UID|follow", help: "the uid inside (follow: PID's)"),
        Option(long: "setgid", short: "G", value: .required, valueName: "GID|follow", help: "the gid inside (follow: PID's)"),
        Option(long: "preserve-credentials", short: nil, value: .none, valueName: "", help: "do not touch uid, gid or groups"),
        Option(long: "keep-caps", short: nil, value: .none, valueName: "", help: "keep a user namespace's capabilities"),
        Option(long: "root", short: "r", value: .optional, valueName: "[=DIR]", help: "set the root directory (default: PID's)"),
        Option(long: "wd", short: "w", value: .optional, valueName: "[=DIR]", help: "set the working directory (default: PID's)"),
        Option(long: "wdns", short: "W", value: .optional, valueName: "[=DIR]", help: "set the working directory, inside"),
        Option(long: "env", short: "e", value: .none, valueName: "", help: "take the target's environment"),
        Option(long: "no-fork", short: "F", value: .none, valueName: "", help: "do not fork before executing the command"),
        Option(long: "join-cgroup", short: "c", value: .none, valueName: "", help: "join the cgroup of PID (cgroup v2)"),
        Option(long: "follow-context", short: "Z", value: .none, valueName: "", help: "SELinux context of PID (none here: accepted)"),
        Option(long: "ns", short: nil, value: .required, valueName: "KIND=FILE", help: "enter a namespace file (repeatable)"),
        Option(long: "mount-proc", short: nil, value: .optional, valueName: "[=DIR]", help: "fresh /proc of the pid namespace entered"),
        Option(long: "close-fds", short: nil, value: .none, valueName: "", help: "close every fd but 0, 1 and 2"),
        Option(long: "die-with-parent", short: nil, value: .none, valueName: "", help: "kill the command when nsbox dies"),
        Option(long: "json-status-fd", short: nil, value: .required, valueName: "FD", help: "JSON: the child's pid, how it ended"),
        Option(long: "json", short: nil, value: .none, valueName: "", help: "a failure as one JSON object on stderr"),
        Option(long: "help", short: "h", value: .none, valueName: "", help: "display this help"),
        Option(long: "version", short: "V", value: .none, valueName: "", help: "display the version"),
    ]

    /// The options in order, each with its value (nil when none was given), and the command's
    /// words after them.
    static func parse(_ arguments: [String]) throws -> (options: [(Option, String?)], command: [String]) {
        var result: [(Option, String?)] = []
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" { return (result, Array(arguments[(index + 1)...])) }
            if !word.hasPrefix("-") || word == "-" { return (result, Array(arguments[index...])) }
            index += 1
            if word.hasPrefix("--") {
                let body = word.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let attached = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                let option = try longOption(name, word: word)
                switch option.value {
                case .none:
                    if attached != nil { throw usage("option '--\(option.long)' doesn't allow an argument") }
                    result.append((option, nil))
                case .optional:
                    result.append((option, attached))
                case .required:
                    if let attached {
                        result.append((option, attached))
                    } else if index < arguments.count {
                        result.append((option, arguments[index]))
                        index += 1
                    } else {
                        throw usage("option '--\(option.long)' requires an argument")
                    }
                }
                continue
            }
            var letters = Substring(word.dropFirst())
            while let letter = letters.first {
                letters = letters.dropFirst()
                guard let option = table.first(where: { $0.short == letter }) else {
                    throw usage("invalid option -- '\(letter)'")
                }
                switch option.value {
                case .none:
                    result.append((option, nil))
                case .optional:
                    result.append((option, letters.isEmpty ? nil : String(letters)))
                    letters = ""
                case .required:
                    if !letters.isEmpty {
                        result.append((option, String(letters)))
                    } else if index < arguments.count {
                        result.append((option, arguments[index]))
                        index += 1
                    } else {
                        throw usage("option requires an argument -- '\(letter)'")
                    }
                    letters = ""
                }
            }
        }
        return (result, [])
    }

    /// The option `--name` names: exactly, or as the only one it is a prefix of (getopt_long).
    private static func longOption(_ name: String, word: String) throws -> Option {
        if let exact = table.first(where: { $0.long == name }) { return exact }
        let candidates = name.isEmpty ? [] : table.filter { $0.long.hasPrefix(name) }
        if candidates.count == 1 { return candidates[0] }
        if candidates.isEmpty { throw usage("unrecognized option '\(word)'") }
        throw usage("option '\(word)' is ambiguous; possibilities: " + candidates.map { "'--\($0.long)'" }.joined(separator: " "))
    }

    /// A usage error as nsbox reports them: one line, pointing at the help.
    static func usage(_ message: String) -> Failure {
        Failure(message: "\(message) (see nsbox enter --help)")
    }

    /// The options' lines of `nsbox enter --help`, as nsenter's usage lays them out.
    static var helpLines: String {
        table.map { option in
            let short = option.short.map { "-\($0), " } ?? "    "
            let value = option.value == .required ? " <\(option.valueName)>" : option.valueName
            var head = " \(short)--\(option.long)\(value)"
            head += String(repeating: " ", count: max(1, 31 - head.count))
            return head + option.help
        }.joined(separator: "\n")
    }
}

/// The scanner of the fast paths (`FastEnter`): plain flags up to the command, and nothing
/// that argument-parser could read differently. argument-parser's reflection-driven parsing
/// costs more than the whole sandbox set-up (BENCHMARKS.md); `run` has its own table parser.
enum PlainFlags {
    /// Sets in `options` the flag each word names, up to the command.
    ///
    /// - Parameters:
    ///   - flag: sets the Bool a long option (`--user`) names: nil for a name that is not
    ///     one, false when it was set already. (Not key paths: each is an object the runtime
    ///     instantiates with its metadata on first use, measurable at start-up.)
    ///   - letter: the long option a one-letter flag (`-U`, also grouped: `-Ur`) stands for.
    ///   - valued: takes an option with a value: given the word and the next one, whether it
    ///     took both.
    /// - Returns: the command's words, marked with a leading `--` as `OptionTable` marks
    ///   them (so `-` is a command too); nil when a word is not a plain flag or a flag repeats:
    ///   the full parser decides then, and makes every error message.
    static func scan<Options>(
        _ arguments: ArraySlice<String>, into options: inout Options,
        flag: (String, inout Options) -> Bool?, letter: (Character) -> String?,
        valued: (String, String?, inout Options) -> Bool = { _, _, _ in false }
    ) -> [String]? {
        func set(_ name: String) -> Bool { flag(name, &options) ?? false }
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let word = arguments[index]
            if word == "--" { return Array(arguments[index...]) }
            if !word.hasPrefix("-") || word == "-" { return ["--"] + arguments[index...] }
            if valued(word, index + 1 < arguments.endIndex ? arguments[index + 1] : nil, &options) {
                index += 2
                continue
            }
            if word.hasPrefix("--") {
                guard set(word) else { return nil }
            } else {
                for character in word.dropFirst() {
                    guard let name = letter(character), set(name) else { return nil }
                }
            }
            index += 1
        }
        return []
    }

    /// Sets a plain flag; false when it was set already. Every plain flag starts false, so one
    /// that is true was given before: a repeat, which the full parser judges.
    static func set(_ value: inout Bool) -> Bool {
        if value { return false }
        value = true
        return true
    }
}

/// The eight namespace kinds' flags, which run and enter spell alike (unshare's and nsenter's
/// `-U -m -p -n -u -i -C -T`, `--user` ... `--time`).
protocol NamespaceFlags {
    var user: Bool { get set }
    var mount: Bool { get set }
    var pid: Bool { get set }
    var net: Bool { get set }
    var uts: Bool { get set }
    var ipc: Bool { get set }
    var cgroup: Bool { get set }
    var time: Bool { get set }
}

extension PlainFlags {
    /// Sets the namespace flag `name` names, as `scan`'s `flag` does; nil for another name.
    static func setNamespaceFlag<Options: NamespaceFlags>(_ name: String, _ options: inout Options) -> Bool? {
        switch name {
        case "--user": set(&options.user)
        case "--mount": set(&options.mount)
        case "--pid": set(&options.pid)
        case "--net": set(&options.net)
        case "--uts": set(&options.uts)
        case "--ipc": set(&options.ipc)
        case "--cgroup": set(&options.cgroup)
        case "--time": set(&options.time)
        default: nil
        }
    }

    /// The long name of a namespace flag's letter; nil for another letter.
    static func namespaceFlagName(_ letter: Character) -> String? {
        switch letter {
        case "U": "--user"
        case "m": "--mount"
        case "p": "--pid"
        case "n": "--net"
        case "u": "--uts"
        case "i": "--ipc"
        case "C": "--cgroup"
        case "T": "--time"
        default: nil
        }
    }
}

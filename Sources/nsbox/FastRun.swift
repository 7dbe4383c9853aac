/// `nsbox run` with nothing but plain flags (`-rmpf --mount-proc -- true`), parsed without
/// argument-parser: its reflection-driven parsing costs more than the whole sandbox set-up
/// (BENCHMARKS.md). Anything else (an option with a value, `--help`, an unknown or repeated
/// word) returns nil and goes to the full parser, which also makes every error message.
///
/// Both paths fill the same `RunOptions`; the tests compare the plans they produce
/// (`NSBOX_PRINT_PLAN`, `NSBOX_FULL_PARSER`).
enum FastRun {
    /// Sets the flag a word names (its canonical long name); false if it is not a plain flag.
    private static func set(_ name: String, in options: inout RunOptions) -> Bool {
        switch name {
        case "--user": options.user = true
        case "--mount": options.mount = true
        case "--pid": options.pid = true
        case "--net": options.net = true
        case "--uts": options.uts = true
        case "--ipc": options.ipc = true
        case "--cgroup": options.cgroup = true
        case "--time": options.time = true
        case "--map-root-user": options.mapRootUser = true
        case "--map-current-user": options.mapCurrentUser = true
        case "--map-auto": options.mapAuto = true
        case "--mount-proc": options.mountProc = true
        case "--kill-child": options.killChild = true
        case "--private-tmp": options.privateTmp = true
        case "--die-with-parent": options.dieWithParent = true
        case "--new-session": options.newSession = true
        case "--as-pid-1": options.asPid1 = true
        case "--sandbox": options.sandbox = true
        default: return false
        }
        return true
    }

    /// The long name of a one-letter flag.
    private static func longName(_ letter: Character) -> String? {
        switch letter {
        case "U": "--user"
        case "m": "--mount"
        case "p": "--pid"
        case "n": "--net"
        case "u": "--uts"
        case "i": "--ipc"
        case "C": "--cgroup"
        case "T": "--time"
        case "r": "--map-root-user"
        case "c": "--map-current-user"
        default: nil
        }
    }

    /// The options and the command words, or nil when the full parser must decide.
    static func parse(_ arguments: ArraySlice<String>) -> (RunOptions, [String])? {
        var options = RunOptions()
        var seen: Set<String> = []
        // A flag given twice is left to the full parser, which decides what that means.
        func flag(_ name: String) -> Bool { seen.insert(name).inserted && set(name, in: &options) }
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let word = arguments[index]
            if word == "--" { return (options, Array(arguments[index...])) }
            // The command, marked as such (as ArgumentRewriter does), so "-" is a command too.
            if !word.hasPrefix("-") || word == "-" { return (options, ["--"] + arguments[index...]) }
            if word.hasPrefix("--") {
                // --fork (-f) is accepted and means nothing: nsbox always forks.
                guard word == "--fork" || flag(word) else { return nil }
            } else {
                for letter in word.dropFirst() where letter != "f" {
                    guard let name = longName(letter), flag(name) else { return nil }
                }
            }
            index += 1
        }
        return (options, [])
    }
}

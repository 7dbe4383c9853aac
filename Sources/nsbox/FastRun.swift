/// `nsbox run` with nothing but plain flags (`-rmpf --mount-proc -- true`), parsed without
/// argument-parser: its reflection-driven parsing costs more than the whole sandbox set-up
/// (BENCHMARKS.md). Anything else (an option with a value, `--help`, an unknown or repeated
/// word) returns nil and goes to the full parser, which also makes every error message.
///
/// Both paths fill the same `RunOptions`; the tests compare the plans they produce
/// (`NSBOX_PRINT_PLAN`, `NSBOX_FULL_PARSER`).
enum FastRun {
    /// Sets the flag a word names (its canonical long name) unless `seen` has it; false if it
    /// is not a plain flag or was given before. A bit mask, not a Set: a Set<String> costs a
    /// generic instantiation that shows in the start-up time.
    private static func set(_ name: String, in options: inout RunOptions, seen: inout UInt32) -> Bool {
        let bit: UInt32
        switch name {
        case "--user": bit = 1 << 0
        case "--mount": bit = 1 << 1
        case "--pid": bit = 1 << 2
        case "--net": bit = 1 << 3
        case "--uts": bit = 1 << 4
        case "--ipc": bit = 1 << 5
        case "--cgroup": bit = 1 << 6
        case "--time": bit = 1 << 7
        case "--map-root-user": bit = 1 << 8
        case "--map-current-user": bit = 1 << 9
        case "--map-auto": bit = 1 << 10
        case "--mount-proc": bit = 1 << 11
        case "--kill-child": bit = 1 << 12
        case "--private-tmp": bit = 1 << 13
        case "--die-with-parent": bit = 1 << 14
        case "--new-session": bit = 1 << 15
        case "--as-pid-1": bit = 1 << 16
        case "--sandbox": bit = 1 << 17
        default: return false
        }
        guard seen & bit == 0 else { return false }
        seen |= bit
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
        var seen: UInt32 = 0
        // A flag given twice is left to the full parser, which decides what that means.
        func flag(_ name: String) -> Bool { set(name, in: &options, seen: &seen) }
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

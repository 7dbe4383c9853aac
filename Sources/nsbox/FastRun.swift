/// `nsbox run` with nothing but plain flags (`-rmpf --mount-proc -- true`), parsed without
/// argument-parser: its reflection-driven parsing costs more than the whole sandbox set-up
/// (BENCHMARKS.md). Anything else (an option with a value, `--help`, an unknown or repeated
/// word) returns nil and goes to the full parser, which also makes every error message.
///
/// Both paths fill the same `RunOptions`; the tests compare the plans they produce
/// (`NSBOX_PRINT_PLAN`, `NSBOX_FULL_PARSER`).
enum FastRun {
    /// The options and the command words, or nil when the full parser must decide.
    static func parse(_ arguments: ArraySlice<String>) -> (RunOptions, [String])? {
        var options = RunOptions()
        guard let words = PlainFlags.scan(arguments, into: &options, flag: flag, letter: longName) else { return nil }
        return (options, words)
    }

    /// The option a plain long flag sets.
    private static func flag(_ name: String) -> WritableKeyPath<RunOptions, Bool>? {
        switch name {
        case "--user": \.user
        case "--mount": \.mount
        case "--pid": \.pid
        case "--net": \.net
        case "--uts": \.uts
        case "--ipc": \.ipc
        case "--cgroup": \.cgroup
        case "--time": \.time
        case "--map-root-user": \.mapRootUser
        case "--map-current-user": \.mapCurrentUser
        case "--map-auto": \.mapAuto
        case "--fork": \.fork
        case "--mount-proc": \.mountProc
        case "--kill-child": \.killChild
        case "--private-tmp": \.privateTmp
        case "--die-with-parent": \.dieWithParent
        case "--new-session": \.newSession
        case "--as-pid-1": \.asPid1
        case "--sandbox": \.sandbox
        default: nil
        }
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
        case "f": "--fork"
        default: nil
        }
    }
}

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

    /// Sets the option a plain long flag names (see `PlainFlags.scan`).
    private static func flag(_ name: String, _ options: inout RunOptions) -> Bool? {
        switch name {
        case "--map-root-user": PlainFlags.set(&options.mapRootUser)
        case "--map-current-user": PlainFlags.set(&options.mapCurrentUser)
        case "--map-auto": PlainFlags.set(&options.mapAuto)
        case "--fork": PlainFlags.set(&options.fork)
        case "--forward-signals": PlainFlags.set(&options.forwardSignals)
        case "--mount-proc": PlainFlags.set(&options.mountProc)
        case "--kill-child": PlainFlags.set(&options.killChild)
        case "--private-tmp": PlainFlags.set(&options.privateTmp)
        case "--die-with-parent": PlainFlags.set(&options.dieWithParent)
        case "--new-session": PlainFlags.set(&options.newSession)
        case "--as-pid-1": PlainFlags.set(&options.asPid1)
        case "--sandbox": PlainFlags.set(&options.sandbox)
        case "--no-new-privs": PlainFlags.set(&options.noNewPrivs)
        case "--share-net": PlainFlags.set(&options.shareNet)
        case "--disable-userns": PlainFlags.set(&options.disableUserns)
        case "--close-fds": PlainFlags.set(&options.closeFDs)
        default: PlainFlags.setNamespaceFlag(name, &options)
        }
    }

    /// The long name of a one-letter flag.
    private static func longName(_ letter: Character) -> String? {
        switch letter {
        case "r": "--map-root-user"
        case "c": "--map-current-user"
        case "f": "--fork"
        default: PlainFlags.namespaceFlagName(letter)
        }
    }
}

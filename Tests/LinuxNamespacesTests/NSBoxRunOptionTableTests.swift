import Testing

/// `nsbox run` parses with one table, in every form getopt_long accepts: each option of the
/// help (which the table writes) in each of its spellings gives one plan.
@Suite struct NSBoxRunOptionTableTests {
    /// One option as help lists it.
    struct Option: CustomStringConvertible {
        var short: Character?
        var long: [String]
        var valueName: String
        var optional: Bool
        var description: String { long.first ?? "?" }
    }

    /// The options of `nsbox run --help`: `  -w, --wd, --chdir DIR   help` and the like.
    static func options() throws -> [Option] {
        let help = try NSBox.run("run", "--help").stdout
        var result: [Option] = []
        for line in help.split(separator: "\n") where line.hasPrefix("  -") {
            let head = line.dropFirst(2).split(separator: "  ", maxSplits: 1)[0]
            var option = Option(short: nil, long: [], valueName: "", optional: false)
            for name in head.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                var name = Substring(name)
                if let space = name.firstIndex(of: " ") {
                    option.valueName = String(name[name.index(after: space)...])
                    name = name[..<space]
                }
                if let bracket = name.firstIndex(of: "[") {
                    option.valueName = String(name[name.index(bracket, offsetBy: 2)...].dropLast())
                    option.optional = true
                    name = name[..<bracket]
                }
                if name.hasPrefix("--") { option.long.append(String(name.dropFirst(2))) } else { option.short = name.last }
            }
            result.append(option)
        }
        return result
    }

    /// A value of the kind help names, as words (two for `SRC DST`).
    static func sample(_ valueName: String) -> [String] {
        switch valueName {
        case "FILE": ["/tmp/nsbox-table-file"]
        case "DIR": ["/tmp"]
        case "UID|NAME", "GID|NAME": ["0"]
        case "MAP": ["0:0:1"]
        case "allow|deny": ["deny"]
        case "MODE": ["slave"]
        case "SIGNAL": ["TERM"]
        case "OFFSET": ["-60"]
        case "UID", "GID": ["5"]
        case "NAME": ["box"]
        case "SRC DST": ["/tmp", "/mnt"]
        case "VAR VALUE": ["NSBOX_TABLE", "x"]
        case "VAR": ["HOME"]
        case "FD": ["2"]
        case "CAP": ["CAP_CHOWN"]
        case "KIND=PATH|PID": ["net=1"]
        case "UID:GID": ["5:5"]
        case "RULE": [":nsbox-table:M::ab::/bin/sh:"]
        default: ["x"]
        }
    }

    /// What nsbox prints for `run WORDS -- true` with the plan printed instead of run.
    func plan(_ words: [String]) throws -> String {
        let result = try runCommand(["env", "SWIFT_DETERMINISTIC_HASHING=1", "NSBOX_PRINT_PLAN=1", NSBox.path, "run"] + words + ["--", "true"])
        return "\(result.status) \(result.stdout) \(result.stderr)"
    }

    /// Options whose effect a plan printed alone does not show: --cap-add (every capability is
    /// kept already), --share-net (only with --sandbox), --json-status-fd (not in the plan),
    /// --json (only failures show it: NSBoxEnterVersionAndJSONTests).
    static let invisible: Set<String> = ["cap-add", "share-net", "json-status-fd", "json"]

    /// Words an option needs beside it to show in the plan: --keep-caps acts with a new user
    /// namespace only, as unshare's.
    static let context: [String: [String]] = ["keep-caps": ["-U"]]

    @Test func everyOptionOfTheTableParsesTheSameInEverySpelling() throws {
        let options = try Self.options()
        let longNames = options.flatMap(\.long)
        #expect(options.count >= 55 && longNames.contains("map-root-user") && longNames.contains("close-fds"), "\(options)")
        for option in options {
            let around = Self.context[option.long[0]] ?? []
            func plan(_ words: [String]) throws -> String { try self.plan(around + words) }
            let baseline = try plan([])
            let value = Self.sample(option.valueName)
            let main = "--" + option.long[0]
            let hasValue = !option.valueName.isEmpty && !option.optional
            let reference = try plan([main] + (hasValue ? value : []))
            #expect(reference != baseline || Self.invisible.contains(option.long[0]), "\(option): changes nothing")
            var spellings: [[String]] = option.long.map { ["--" + $0] + (hasValue ? value : []) }
            // An unambiguous prefix of the long name, as getopt_long takes it.
            let prefix = String(main.dropLast())
            if longNames.filter({ ("--" + $0).hasPrefix(prefix) }).count == 1 {
                spellings.append([prefix] + (hasValue ? value : []))
            }
            if hasValue && value.count == 1 {
                spellings += option.long.map { ["--\($0)=\(value[0])"] }
            }
            if let short = option.short {
                spellings.append(["-\(short)"] + (hasValue ? value : []))
                if hasValue { spellings.append(["-\(short)\(value[0])"]) }
                // Grouped behind another flag: the same as the two apart.
                let grouped = try plan(["-f", "-\(short)"] + (hasValue ? value : []))
                #expect(try plan(["-f\(short)"] + (hasValue ? value : [])) == grouped, "\(option): grouped")
                if hasValue { #expect(try plan(["-f\(short)\(value[0])"]) == grouped, "\(option): grouped and attached") }
            }
            for words in spellings {
                #expect(try plan(words) == reference, "\(option): \(words)")
            }
            if !hasValue && !option.optional {
                // A flag takes no value, one line and 125.
                let refused = try runCommand([NSBox.path, "run", main + "=x", "true"])
                #expect(refused.status == 125 && refused.stderr == "nsbox: option '\(main)' takes no value (see nsbox run --help)\n",
                    "\(option): \(refused.stderr)")
            }
            if option.optional {
                // The value only with '='; the next word is the command.
                #expect(try plan(["-U", main + "=" + value[0]]) != reference, "\(option)")
                let separate = try runCommand(["env", "NSBOX_PRINT_PLAN=1", NSBox.path, "run", "-U", main, "next-word"])
                #expect(separate.stdout.contains("SandboxCommand(executable: \"next-word\""), "\(option): \(separate.stdout)")
            }
        }
    }

    @Test func missingAndUnknownAreOneLineAndExit125() throws {
        let cases: [([String], String)] = [
            (["-r", "--map-users"], "nsbox: missing value for '--map-users MAP' (see nsbox run --help)\n"),
            (["-rw"], "nsbox: missing value for '-w DIR' (see nsbox run --help)\n"),
            (["--bind", "/tmp"], "nsbox: missing value for '--bind SRC DST' (see nsbox run --help)\n"),
            (["-rx"], "nsbox: unknown option '-x' (see nsbox run --help)\n"),
            (["--nett"], "nsbox: unknown option '--nett' (see nsbox run --help)\n"),
            (["--map-u"], "nsbox: option '--map-u' is ambiguous: --map-user, --map-users (see nsbox run --help)\n"),
            (["--setgroups", "maybe"], "nsbox: --setgroups 'maybe': write one of allow, deny\n"),
            (["--monotonic", "soon"], "nsbox: --monotonic 'soon': not a number from -9223372036854775808 to 9223372036854775807\n"),
        ]
        for (words, line) in cases {
            let result = try NSBox.run(["run"] + words)
            #expect(result.status == 125 && result.stderr == line && result.stdout.isEmpty, "\(words): \(result.stderr)")
        }
    }

    /// The forms getopt_long accepts, against unshare doing the same, root and 65534.
    @Test(arguments: [
        ["-rS0", "id", "-u"], ["-r", "-S", "0", "id", "-u"], ["-rmpf", "--mount-proc", "id", "-u"],
        ["-rT", "--monotonic", "-60", "cat", "/proc/self/timens_offsets"], ["-rT", "--monotonic=-60", "cat", "/proc/self/timens_offsets"],
        ["-r", "--map-user", "nobody", "--map-group", "nogroup", "id", "-un"], ["-rw/tmp", "pwd"], ["--map-root", "id", "-u"],
        ["-r", "--kill-child", "echo", "child"], ["-rr", "id", "-u"], ["-r", "--wd", "/", "pwd"],
    ], [false, true])
    func getoptFormsDoWhatUnshareDoes(words: [String], unprivileged: Bool) throws {
        let prefix = unprivileged ? asUnprivileged : []
        let theirs = try runCommand(prefix + ["unshare"] + words)
        let ours = try runCommand(prefix + [NSBox.path, "run"] + words)
        #expect(ours.status == theirs.status && ours.stdout == theirs.stdout, "\(words): \(ours.stdout) \(ours.stderr) | \(theirs.stdout) \(theirs.stderr)")
    }
}

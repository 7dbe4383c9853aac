/// How many values an option takes: getopt_long's `has_arg`, and bwrap's two-word options.
enum OptionArity: Sendable {
    /// A flag: `-f`, `--fork` (`--fork=x` is refused).
    case none
    /// One value: `-w DIR`, `-wDIR`, `--wd DIR`, `--wd=DIR`; the next word is the value even
    /// when it starts with '-' (`--monotonic -60`), as getopt takes it.
    case required
    /// A value only when attached: `--mount-proc=DIR`; `--mount-proc DIR` runs DIR.
    case optional
    /// Two values in the next two words, as bwrap's `--bind SRC DST`.
    case two
}

/// One option of a subcommand: every spelling, its value, its help, and what it sets.
struct OptionSpec<Options>: Sendable {
    /// Long names without `--`; the first is the one help shows first.
    var long: [String]
    /// The one-letter spelling, if any.
    var short: Character? = nil
    var arity: OptionArity = .none
    /// The value's name in help (`DIR`); for `.two`, both (`SRC DST`).
    var valueName: String = ""
    /// One line of help; empty hides the option from help.
    var help: String
    /// Sets the option: the values given (none, one, or two; none for an optional value left off).
    var apply: @Sendable (inout Options, [String]) throws -> Void
}

/// A subcommand's options value, whose table spells its options with these builders.
protocol OptionFields {}

extension OptionFields {
    /// A flag: `set` runs when it is given.
    static func flag(_ long: [String], short: Character? = nil, _ help: String,
        _ set: @escaping @Sendable (inout Self) throws -> Void) -> OptionSpec<Self>
    {
        OptionSpec(long: long, short: short, help: help) { options, _ in try set(&options) }
    }

    /// An option with a required value, which `set` takes.
    static func value(_ long: [String], _ short: Character? = nil, _ valueName: String, _ help: String,
        _ set: @escaping @Sendable (inout Self, String) throws -> Void) -> OptionSpec<Self>
    {
        OptionSpec(long: long, short: short, arity: .required, valueName: valueName, help: help) { options, values in
            try set(&options, values[0])
        }
    }
}

/// A getopt_long-style parser driven by a table of `OptionSpec`s, as util-linux's tools parse
/// (`+` mode: options end at `--` or at the first word that is not one): grouped short flags
/// (`-rmpf`), attached values (`-S0`, `-w/tmp`, `--opt=value`), separate values even starting
/// with '-', optional values only with `=`, and unambiguous prefixes of long names.
struct OptionTable<Options>: Sendable {
    let specs: [OptionSpec<Options>]
    /// The subcommand, for error messages (`nsbox run --help`).
    let subcommand: String
    /// Whether a short option with an optional value takes one attached (`-n/run/netns/x`,
    /// `-r/dir`), as nsenter's `n::` do; unshare's short options take none (`-U` is a flag).
    var attachedShortValues = false

    /// Fills `options` from `arguments`; returns the command's words behind a leading `--`
    /// (so that a command `-` or `-x` stays the command). Throws one line naming the word.
    func parse(_ arguments: ArraySlice<String>, into options: inout Options) throws -> [String] {
        var index = arguments.startIndex
        /// The word after the current one, as a value; `spelling` names the option in the error.
        func next(_ spelling: String) throws -> String {
            index += 1
            guard index < arguments.endIndex else { throw missing(spelling) }
            return arguments[index]
        }
        while index < arguments.endIndex {
            let word = arguments[index]
            if word == "--" { return Array(arguments[index...]) }
            if !word.hasPrefix("-") || word == "-" { return ["--"] + arguments[index...] }
            if word.hasPrefix("--") {
                let body = word.dropFirst(2)
                let equals = body.firstIndex(of: "=")
                let name = String(equals.map { body[..<$0] } ?? body)
                let inline = equals.map { String(body[body.index(after: $0)...]) }
                let spec = try long(name)
                let spelling = "--" + spec.long.first { $0.hasPrefix(name) }!
                switch spec.arity {
                case .none:
                    if inline != nil { throw failure("option '\(spelling)' takes no value") }
                    try spec.apply(&options, [])
                case .required: try spec.apply(&options, [try inline ?? next(spelling)])
                case .optional: try spec.apply(&options, inline.map { [$0] } ?? [])
                case .two:
                    if inline != nil { throw failure("option '\(spelling)' takes two words: \(spelling) \(spec.valueName)") }
                    let first = try next(spelling)
                    try spec.apply(&options, [first, try next(spelling)])
                }
            } else {
                // Indices into the word, not an array of Characters: String(_:) of a Character
                // slice is the generic initializer, whose casts scan every conformance (start-up).
                let letters = word.dropFirst()
                var position = letters.startIndex
                while position < letters.endIndex {
                    let letter = letters[position]
                    guard let spec = specs.first(where: { $0.short == letter }) else {
                        throw failure("unknown option '-\(oneLine(String(letter)))'")
                    }
                    position = letters.index(after: position)
                    if spec.arity == .none {
                        try spec.apply(&options, [])
                        continue
                    }
                    let rest = String(letters[position...])
                    // An optional value is the long spelling's alone: `-U` of `--user[=FILE]`
                    // is a flag (unshare's short options take none), unless attachedShortValues.
                    if spec.arity == .optional {
                        if attachedShortValues && !rest.isEmpty {
                            try spec.apply(&options, [rest])
                            break
                        }
                        try spec.apply(&options, [])
                        continue
                    }
                    if spec.arity == .two { throw failure("option '-\(letter)' takes two words") }
                    try spec.apply(&options, [rest.isEmpty ? try next("-\(letter)") : rest])
                    break
                }
            }
            index += 1
        }
        return []
    }

    /// The option `name` (a long name or an unambiguous prefix of one) names.
    private func long(_ name: String) throws -> OptionSpec<Options> {
        if let exact = specs.first(where: { $0.long.contains(name) }) { return exact }
        let matches = name.isEmpty ? [] : specs.filter { $0.long.contains { $0.hasPrefix(name) } }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw failure("unknown option '--\(oneLine(name))'") }
        let names = matches.flatMap { $0.long.filter { $0.hasPrefix(name) } }.map { "--" + $0 }
        throw failure("option '--\(name)' is ambiguous: \(names.joined(separator: ", "))")
    }

    private func missing(_ spelling: String) -> Failure {
        let spec = specs.first { spelling == "-\($0.short.map(String.init) ?? "")" || $0.long.contains(String(spelling.dropFirst(2))) }
        return failure("missing value for '\(spelling)\(spec.map { " " + $0.valueName } ?? "")'")
    }

    private func failure(_ text: String) -> Failure {
        Failure(message: "\(text) (see nsbox \(subcommand) --help)")
    }

    /// Every spelling of every option (`-r`, `--map-root-user`), for shell completion.
    var spellings: [String] {
        specs.flatMap { spec in (spec.short.map { ["-\($0)"] } ?? []) + spec.long.map { "--" + $0 } }
    }

    /// The OPTIONS section of help: each option's spellings and value, then its help, wrapped.
    var optionsHelp: String {
        var lines: [String] = []
        for spec in specs where !spec.help.isEmpty {
            var names = (spec.short.map { ["-\($0)"] } ?? []) + spec.long.map { "--" + $0 }
            let value = switch spec.arity {
            case .none: ""
            case .required, .two: " " + spec.valueName
            case .optional: "[=\(spec.valueName)]"
            }
            names[names.count - 1] += value
            let head = "  " + names.joined(separator: ", ")
            let text = wrapped(spec.help, indent: 28)
            lines.append(head.count < 28 ? head + text.dropFirst(head.count) : head + "\n" + text)
        }
        return lines.joined(separator: "\n")
    }
}

/// `text` in lines of at most 100 columns, each indented by `indent` spaces; lines that
/// start with a space (examples) are kept as they are.
func wrapped(_ text: String, indent: Int = 0) -> String {
    let margin = String(repeating: " ", count: indent)
    var lines: [String] = []
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if paragraph.hasPrefix(" ") || paragraph.isEmpty {
            lines.append(paragraph.isEmpty ? "" : margin + paragraph)
            continue
        }
        var line = margin
        for word in paragraph.split(separator: " ") {
            if line.count > indent && line.count + 1 + word.count > 100 {
                lines.append(line)
                line = margin
            }
            line += (line.count > indent ? " " : "") + word
        }
        lines.append(line)
    }
    return lines.joined(separator: "\n")
}

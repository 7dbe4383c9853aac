/// Rewrites the option spellings of nsenter(1) that argument-parser cannot express into
/// internal ones, before parsing (`run` has its own parser, `RunOptions.table`):
///
/// - `--net=FILE` (optional value): `--ns net=FILE`;
/// - a long option's value that starts with '-' (`--monotonic -60`): `--monotonic=-60`;
/// - short flags grouped with one that takes a value, as getopt allows: `-Uw /tmp` and
///   `-Uw/tmp` become `-U -w /tmp`.
///
/// Rewriting stops at `--` or at the command's first word, so nothing of the command is touched.
struct ArgumentRewriter {
    /// Options (long and short) that take one value: the word after them is not the command.
    let optionsWithValue: Set<String>
    /// What `--KIND=FILE` becomes: "--ns".
    let kindFileOption: String

    static let kindOptions: [String: String] = [
        "--user": "user", "--mount": "mnt", "--pid": "pid", "--net": "net", "--uts": "uts",
        "--ipc": "ipc", "--cgroup": "cgroup", "--time": "time",
    ]

    func rewrite(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                return result + arguments[index...]
            }
            if !argument.hasPrefix("-") || argument == "-" {
                // The command: behind "--", so that none of its words is parsed as ours.
                return result + ["--"] + arguments[index...]
            }
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, let kind = Self.kindOptions[parts[0]] {
                result += [parts[0], kindFileOption, "\(kind)=\(parts[1])"]
            } else if !argument.hasPrefix("--"), argument.count > 2,
                let split = splitCluster(argument, next: index + 1 < arguments.count ? arguments[index + 1] : nil)
            {
                result += split.words
                if split.usedNext { index += 1 }
            } else {
                if parts.count == 1, optionsWithValue.contains(argument), index + 1 < arguments.count {
                    // The next word is the value even when it starts with '-', as getopt takes
                    // it (`--monotonic -60`); joined, argument-parser reads it as one. Not "--":
                    // there the value is missing, and argument-parser says so.
                    let value = arguments[index + 1]
                    let joined = argument.hasPrefix("--") && value.hasPrefix("-") && value != "--"
                    result += joined ? ["\(argument)=\(value)"] : [argument, value]
                    index += 1
                } else {
                    result.append(argument)
                }
            }
            index += 1
        }
        return result
    }

    /// `-Uw /tmp` or `-Uw/tmp` as `-U -w /tmp`: the letters up to the first that takes a value,
    /// each on its own, then that one with the rest of the word or the next word as its value.
    /// Nil when no letter takes a value (argument-parser reads `-rmpf` itself).
    private func splitCluster(_ argument: String, next: String?) -> (words: [String], usedNext: Bool)? {
        let letters = Array(argument.dropFirst())
        guard let valueIndex = letters.firstIndex(where: { optionsWithValue.contains("-\($0)") }) else { return nil }
        var words = letters[..<valueIndex].map { "-\($0)" }
        words.append("-\(letters[valueIndex])")
        let rest = String(letters[(valueIndex + 1)...])
        if !rest.isEmpty { return (words + [rest], false) }
        guard let next else { return (words, false) }
        return (words + [next], true)
    }
}

/// Rewrites the option spellings of unshare(1), nsenter(1) and bwrap(1) that argument-parser
/// cannot express into internal ones, before parsing:
///
/// - `--net=FILE` (optional value): `--persist net=FILE` for `run`, `--ns net=FILE` for `enter`;
/// - `--mount-proc=DIR`: `--mount-proc-at DIR`; `--kill-child=SIGNAL`: `--kill-child-signal SIGNAL`;
/// - bwrap's mount options (`--bind SRC DST`, `--tmpfs DIR`, `--symlink`, `--dev`, `--dir`,
///   the `-try` forms): `--mount-op KIND --mount-op VALUE...`, keeping their order;
/// - `--setenv VAR VALUE`: `--setenv-pair VAR --setenv-pair VALUE`;
/// - `--cap-drop CAP`, `--cap-add CAP`: `--capability drop:CAP`, `--capability add:CAP`, in order;
/// - a long option's value that starts with '-' (`--monotonic -60`): `--monotonic=-60`;
/// - short flags grouped with one that takes a value, as getopt allows: `-Uw /tmp` and
///   `-Uw/tmp` become `-U -w /tmp`.
///
/// Rewriting stops at `--` or at the command's first word, so nothing of the command is touched.
struct ArgumentRewriter {
    /// Options (long and short) that take one value: the word after them is not the command.
    let optionsWithValue: Set<String>
    /// What `--KIND=FILE` becomes: "--persist" or "--ns".
    let kindFileOption: String
    /// What `--cap-drop CAP` and `--cap-add CAP` become (`--capability drop:CAP`, keeping
    /// their order), or nil where they are not options.
    var capabilityOption: String? = nil
    /// What bwrap's mount options become, in the order given: `--bind SRC DST` is
    /// `--mount-op bind --mount-op SRC --mount-op DST`; nil where they are not options.
    var mountOption: String? = nil
    /// bwrap's mount options and how many values each takes.
    static let mountArities: [String: Int] = [
        "--bind": 2, "--ro-bind": 2, "--bind-try": 2, "--ro-bind-try": 2, "--symlink": 2,
        "--tmpfs": 1, "--dev": 1, "--dir": 1,
    ]

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
            } else if parts.count == 2, parts[0] == "--mount-proc" {
                result += ["--mount-proc-at", parts[1]]
            } else if parts.count == 2, let option = capabilityOption, parts[0] == "--cap-drop" || parts[0] == "--cap-add" {
                result += [option, "\(parts[0].dropFirst(6)):\(parts[1])"]
            } else if parts.count == 2, parts[0] == "--kill-child" {
                result += ["--kill-child-signal", parts[1]]
            } else if !argument.hasPrefix("--"), argument.count > 2,
                let split = splitCluster(argument, next: index + 1 < arguments.count ? arguments[index + 1] : nil)
            {
                result += split.words
                if split.usedNext { index += 1 }
            } else if let option = capabilityOption, argument == "--cap-drop" || argument == "--cap-add",
                index + 1 < arguments.count
            {
                result += [option, "\(argument.dropFirst(6)):\(arguments[index + 1])"]
                index += 1
            } else if let option = mountOption, let arity = Self.mountArities[argument], index + arity < arguments.count {
                for word in [String(argument.dropFirst(2))] + arguments[(index + 1)...(index + arity)] { result += [option, word] }
                index += arity
            } else if let option = mountOption, parts.count == 2, Self.mountArities[parts[0]] == 1 {
                result += [option, String(parts[0].dropFirst(2)), option, parts[1]]
            } else if argument == "--setenv", index + 2 < arguments.count {
                result += ["--setenv-pair", arguments[index + 1], "--setenv-pair", arguments[index + 2]]
                index += 2
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

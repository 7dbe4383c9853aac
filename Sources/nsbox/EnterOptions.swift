import Glibc
import LinuxNamespaces
import SystemPackage

/// The options of `nsbox enter` as plain values, and the sandbox that joins what they name.
/// Filled in by argument-parser (`Enter`) or by the fast path for plain words (`FastEnter`).
struct EnterOptions: Equatable {
    var target: Int32?
    var all = false
    var user = false, mount = false, pid = false, net = false, uts = false, ipc = false, cgroup = false, time = false
    var ns: [String] = []
    var preserveCredentials = false
    var setUID: UInt32?, setGID: UInt32?
    var workingDirectory: String?
    var dieWithParent = false

    /// Whether the options ask for `kind` by its flag.
    private func flagged(_ kind: NamespaceKind) -> Bool {
        switch kind {
        case .user: user
        case .mount: mount
        case .pid: pid
        case .network: net
        case .uts: uts
        case .ipc: ipc
        case .cgroup: cgroup
        case .time: time
        }
    }

    /// The sandbox that joins the namespaces asked for, and the command (`words` as captured
    /// after the options; the user's shell when empty).
    func plan(_ words: [String]) throws -> (Sandbox, SandboxCommand) {
        var sandbox = Sandbox()
        // Arrays, not dictionaries or sets: see SandboxCommand.descriptorPairs.
        var files: [(NamespaceKind, String)] = []
        for entry in ns {
            let (kind, path) = try kindAndValue(entry, option: "--ns")
            files.removeAll { $0.0 == kind }
            files.append((kind, path.contains("/") ? path : NamedNamespaces.path(kind, path)))
        }
        var kinds = NamespaceSet(NamespaceKind.allCases.filter(flagged))
        if all {
            guard let target else { throw Failure(message: "-a/--all needs -t/--target PID") }
            for kind in NamespaceKind.allCases {
                let theirs = try? NamespaceID(path: FilePath(namespacePath(kind, of: ProcessID(rawValue: target))))
                if theirs != nil && theirs != (try? NamespaceID(kind)) { kinds.insert(NamespaceSet(kind)) }
            }
        }
        for kind in NamespaceKind.applicationOrder {
            let file = files.first { $0.0 == kind }?.1
            guard kinds.contains(kind) || file != nil else { continue }
            if let file {
                sandbox.join(kind, .path(FilePath(file)))
            } else if let target {
                // A process's pid namespace for new children is pid_for_children.
                let name = kind == .pid ? "pid_for_children" : kind == .time ? "time_for_children" : kind.procName
                sandbox.join(kind, .path(FilePath("/proc/\(target)/ns/\(name)")))
            } else {
                throw Failure(message: "--\(kind.procName) needs -t/--target PID or --\(kind.procName)=FILE")
            }
        }
        if sandbox.joins.isEmpty {
            throw Failure(message: "nothing to enter: give -t PID with -a or namespace options (-U -m -n -p -u -i -C -T)")
        }
        sandbox.preserveCredentials = preserveCredentials
        sandbox.uid = setUID
        sandbox.gid = setGID
        sandbox.dieWithParent = dieWithParent
        let words = try commandWords(words, subcommand: "enter")
        var command = SandboxCommand(words[0], Array(words.dropFirst()))
        command.workingDirectory = workingDirectory
        return (sandbox, command)
    }
}

/// `nsbox enter -t PID -a [--] COMMAND` and the kind flags, parsed without argument-parser
/// (as `FastRun` does for `run`); anything else returns nil for the full parser.
enum FastEnter {
    /// The options and the command words, or nil when the full parser must decide.
    static func parse(_ arguments: ArraySlice<String>) -> (EnterOptions, [String])? {
        var options = EnterOptions()
        var seen: UInt32 = 0
        func flag(_ letter: Character) -> Bool {
            let bit: UInt32
            switch letter {
            case "a": bit = 1 << 0; options.all = true
            case "U": bit = 1 << 1; options.user = true
            case "m": bit = 1 << 2; options.mount = true
            case "p": bit = 1 << 3; options.pid = true
            case "n": bit = 1 << 4; options.net = true
            case "u": bit = 1 << 5; options.uts = true
            case "i": bit = 1 << 6; options.ipc = true
            case "C": bit = 1 << 7; options.cgroup = true
            case "T": bit = 1 << 8; options.time = true
            // Not letters nsenter has: stand-ins for the long options above.
            case "P": bit = 1 << 9; options.preserveCredentials = true
            case "D": bit = 1 << 10; options.dieWithParent = true
            default: return false
            }
            guard seen & bit == 0 else { return false }
            seen |= bit
            return true
        }
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let word = arguments[index]
            if word == "--" { return (options, Array(arguments[index...])) }
            if !word.hasPrefix("-") || word == "-" { return (options, ["--"] + arguments[index...]) }
            switch word {
            case "-t", "--target":
                guard options.target == nil, index + 1 < arguments.endIndex,
                    let pid = Int32(arguments[index + 1]), pid > 0
                else { return nil }
                options.target = pid
                index += 1
            case "--all": guard flag("a") else { return nil }
            case "--user": guard flag("U") else { return nil }
            case "--mount": guard flag("m") else { return nil }
            case "--pid": guard flag("p") else { return nil }
            case "--net": guard flag("n") else { return nil }
            case "--uts": guard flag("u") else { return nil }
            case "--ipc": guard flag("i") else { return nil }
            case "--cgroup": guard flag("C") else { return nil }
            case "--time": guard flag("T") else { return nil }
            case "--preserve-credentials": guard flag("P") else { return nil }
            case "--die-with-parent": guard flag("D") else { return nil }
            default:
                guard !word.hasPrefix("--") else { return nil }
                for letter in word.dropFirst() {
                    guard letter != "P", letter != "D", flag(letter) else { return nil }
                }
            }
            index += 1
        }
        return (options, [])
    }
}

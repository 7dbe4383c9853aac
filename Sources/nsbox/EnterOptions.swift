import Glibc
import LinuxNamespaces
import SystemPackage

/// The options of `nsbox enter` as plain values, and the sandbox that joins what they name.
/// Filled in by argument-parser (`Enter`) or by the fast path for plain words (`FastEnter`).
struct EnterOptions: Equatable, NamespaceFlags {
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
            files.append((kind, path.contains("/") ? path : NamedNamespaces.path(kind, path).string))
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
        command.workingDirectory = workingDirectory.map { FilePath($0) }
        // As nsenter: the caller's inherited fds reach the command.
        command.inheritedFileDescriptors = .all
        return (sandbox, command)
    }
}

/// `nsbox enter -t PID -a [--] COMMAND` and the kind flags, parsed without argument-parser
/// (see `PlainFlags`); anything else returns nil for the full parser.
enum FastEnter {
    /// The options and the command words, or nil when the full parser must decide.
    static func parse(_ arguments: ArraySlice<String>) -> (EnterOptions, [String])? {
        var options = EnterOptions()
        guard let words = PlainFlags.scan(arguments, into: &options, flag: flag, letter: longName, valued: target)
        else { return nil }
        return (options, words)
    }

    /// `-t PID` or `--target PID`, once, with a pid argument-parser reads the same way.
    private static func target(_ word: String, _ value: String?, _ options: inout EnterOptions) -> Bool {
        guard word == "-t" || word == "--target", options.target == nil, let value, let pid = Int32(value), pid > 0
        else { return false }
        options.target = pid
        return true
    }

    /// Sets the option a plain long flag names (see `PlainFlags.scan`).
    private static func flag(_ name: String, _ options: inout EnterOptions) -> Bool? {
        switch name {
        case "--all": PlainFlags.set(&options.all)
        case "--preserve-credentials": PlainFlags.set(&options.preserveCredentials)
        case "--die-with-parent": PlainFlags.set(&options.dieWithParent)
        default: PlainFlags.setNamespaceFlag(name, &options)
        }
    }

    /// The long name of a one-letter flag, as nsenter spells them.
    private static func longName(_ letter: Character) -> String? {
        letter == "a" ? "--all" : PlainFlags.namespaceFlagName(letter)
    }
}

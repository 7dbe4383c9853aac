import ArgumentParser
import LinuxNamespaces
import SystemPackage

/// `nsbox id`: the namespace ids of a process.
struct Identify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Print the namespace ids (inode numbers) of a process.",
        discussion: "Examples:\n  nsbox id\n  nsbox id -t 1234 net user --json")

    @Option(name: [.customShort("t"), .long], help: "The process (default: nsbox itself).") var target: Int32?
    @Flag(help: "JSON output.") var json = false
    @Argument(help: "Kinds to print (default: all).") var kinds: [String] = []

    func run() throws {
        try Self.printIDs(target: target, json: json, kindNames: kinds)
    }

    /// Prints the ids, as text lines or one JSON object. Shared with the fast path.
    static func printIDs(target: Int32?, json: Bool, kindNames: [String]) throws {
        var selected: [NamespaceKind] = []
        for name in kindNames {
            guard let kind = NamespaceKind(name: name) else {
                throw Failure(message: "unknown namespace kind '\(name)': use one of \(NamespaceKind.acceptedNames)")
            }
            selected.append(kind)
        }
        if selected.isEmpty { selected = NamespaceKind.allCases }
        let pid = target.map { ProcessID(rawValue: $0) } ?? .current
        var rows: [(NamespaceKind, NamespaceID)] = []
        for kind in selected {
            do { rows.append((kind, try NamespaceID(kind, of: pid))) } catch { throw Failure(error) }
        }
        if json {
            let fields = rows.map { (jsonObject([("type", jsonString($0.0.procName)), ("ns", String($0.1.inode))])) }
            printLine("{\"pid\": \(pid.rawValue), \"namespaces\": [" + fields.joined(separator: ", ") + "]}")
        } else {
            printLine(rows.map { "\($0.0.procName) \($0.1.inode)" }.joined(separator: "\n"))
        }
    }
}

/// `nsbox id [-t PID] [--json] [KIND...]` parsed without argument-parser (whose reflection costs more than the sandbox set-up);
/// nil for anything else.
enum FastIdentify {
    static func parse(_ arguments: ArraySlice<String>) -> (target: Int32?, json: Bool, kinds: [String])? {
        var target: Int32?
        var json = false
        var kinds: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let word = arguments[index]
            switch word {
            case "-t", "--target":
                guard target == nil, index + 1 < arguments.endIndex, let pid = Int32(arguments[index + 1]) else { return nil }
                target = pid
                index += 1
            case "--json":
                guard !json else { return nil }
                json = true
            default:
                guard !word.hasPrefix("-"), NamespaceKind(name: word) != nil else { return nil }
                kinds.append(word)
            }
            index += 1
        }
        return (target, json, kinds)
    }
}

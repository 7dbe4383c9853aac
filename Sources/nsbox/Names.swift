import ArgumentParser
import LinuxNamespaces

/// `nsbox names`: the named namespaces (`/run/netns`, `/run/nsbox/KIND`).
struct Names: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List named namespaces (made with nsbox run --KIND=NAME, or ip netns add).",
        discussion: "Examples:\n  nsbox names\n  nsbox names net")

    @Argument(help: "Kinds to list (default: all).") var kinds: [String] = []

    func run() throws {
        var selected: [NamespaceKind] = []
        for name in kinds {
            guard let kind = NamespaceKind(name: name) else {
                throw Failure(message: "unknown namespace kind '\(name)': use one of \(NamespaceKind.acceptedNames)")
            }
            selected.append(kind)
        }
        var lines: [String] = []
        for kind in selected.isEmpty ? NamespaceKind.allCases : selected {
            for name in NamedNamespaces.list(kind) { lines.append("\(kind.procName) \(name)") }
        }
        if !lines.isEmpty { printLine(lines.joined(separator: "\n")) }
    }
}

/// `nsbox rm`: remove a named namespace.
struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove named namespaces (unmount and delete their files).",
        discussion: "Examples:\n  nsbox rm demo            (a network namespace, as ip netns delete)\n  nsbox rm --type uts box")

    @Option(name: [.customShort("t"), .long], help: "The kind (default: net).") var type = "net"
    @Argument(help: "Names to remove.") var names: [String] = []

    func run() throws {
        guard let kind = NamespaceKind(name: type) else {
            throw Failure(message: "unknown namespace kind '\(type)': use one of \(NamespaceKind.acceptedNames)")
        }
        guard !names.isEmpty else { throw Failure(message: "give the names to remove") }
        for name in names {
            do { try NamedNamespaces.remove(kind, name) } catch { throw Failure(error) }
        }
    }
}

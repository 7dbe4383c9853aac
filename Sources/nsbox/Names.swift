import ArgumentParser
import LinuxNamespaces

/// `nsbox names`: the named namespaces (`/run/netns`, `/run/nsbox/KIND`).
struct Names: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List named namespaces (made with nsbox run --KIND=NAME, or ip netns add).",
        discussion: """
            Output: one "KIND NAME" line each; with --json one array of \
            {"type": KIND, "name": NAME, "path": FILE} objects.

            Examples:
              nsbox names
              nsbox names net --json
            """)

    @Flag(help: "JSON output (and JSON errors).") var json = false
    @Argument(help: "Kinds to list (default: all).") var kinds: [String] = []

    func run() throws {
        var selected: [NamespaceKind] = []
        for name in kinds {
            guard let kind = NamespaceKind(name: name) else {
                throw Failure(message: "unknown namespace kind '\(name)': use one of \(NamespaceKind.acceptedNames)")
            }
            selected.append(kind)
        }
        var found: [(NamespaceKind, String)] = []
        for kind in selected.isEmpty ? NamespaceKind.allCases : selected {
            for name in NamedNamespaces.list(kind) { found.append((kind, name)) }
        }
        if json {
            printLine("[" + found.map(namedJSON).joined(separator: ", ") + "]")
        } else if !found.isEmpty {
            printLine(found.map { "\($0.0.procName) \($0.1)" }.joined(separator: "\n"))
        }
    }
}

/// `{"type": KIND, "name": NAME, "path": FILE}` of a named namespace.
func namedJSON(_ entry: (NamespaceKind, String)) -> String {
    jsonObject([
        ("type", jsonString(entry.0.procName)), ("name", jsonString(entry.1)),
        ("path", jsonString(NamedNamespaces.path(entry.0, entry.1).string)),
    ])
}

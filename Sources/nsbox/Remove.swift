import ArgumentParser
import LinuxNamespaces

/// `nsbox rm`: remove a named namespace.
struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove named namespaces (unmount and delete their files).",
        discussion: """
            With --json, prints the removed ones as names does: an array of \
            {"type": KIND, "name": NAME, "path": FILE} objects (those removed before a failure).

            Examples:
              nsbox rm demo            (a network namespace, as ip netns delete)
              nsbox rm --type uts box
            """)

    @Option(name: [.customShort("t"), .long], help: "The kind (default: net).") var type = "net"
    @Flag(help: "JSON output (and JSON errors).") var json = false
    @Argument(help: "Names to remove.") var names: [String] = []

    func run() throws {
        guard let kind = NamespaceKind(name: type) else {
            throw Failure(message: "unknown namespace kind '\(type)': use one of \(NamespaceKind.acceptedNames)")
        }
        guard !names.isEmpty else { throw Failure(message: "give the names to remove") }
        var removed: [(NamespaceKind, String)] = []
        // Printed also when a later name fails: what is gone is gone.
        defer { if json { printLine("[" + removed.map(namedJSON).joined(separator: ", ") + "]") } }
        for name in names {
            do { try NamedNamespaces.remove(kind, name) } catch { throw Failure(error) }
            removed.append((kind, name))
        }
    }
}

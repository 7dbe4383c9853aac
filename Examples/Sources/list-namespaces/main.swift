// list-namespaces: list namespaces as lsns(8) does: this process's own, then every user
// namespace as a tree of the namespaces it owns (lsns --tree=owner). Starts a sandbox first
// so that there is something below the initial user namespace. Works as root and as an
// ordinary user (who sees the processes whose namespaces it may read).
import Glibc
import LinuxNamespaces

do {
    // Something to see: a sleeping sandbox with its own user, uts and network namespaces.
    var sandbox = Sandbox(create: [.user, .uts, .network])
    sandbox.userMapping = .root
    let sleeper = try sandbox.spawn(SandboxCommand("sleep", ["60"]))
    defer { try? sleeper.signal(SIGKILL); _ = try? sleeper.wait() }

    // lsns --task $$: the namespaces of this process, one line each.
    print("NS TYPE NPROCS PID USER COMMAND")
    for namespace in try listNamespaces(NamespaceQuery(task: .current)) {
        print(namespace)
    }

    // lsns --tree=owner --type user,uts,net: each user namespace above what it owns.
    var query = NamespaceQuery(kinds: [.user, .uts, .network])
    query.includeAncestors = true    // no gaps: add owners that nothing visible holds
    let tree = NamespaceTree(try listNamespaces(query), by: .owner)
    print("\nowner tree:")
    for (depth, namespace) in tree.depthFirst() {
        let pid = namespace.pid.map { "pid \($0)" } ?? namespace.origin.rawValue
        print(String(repeating: "  ", count: depth) + "\(namespace.kind) \(namespace.id) (\(pid), \(namespace.processCount) processes) \(namespace.command ?? "")")
    }

    // The sandbox's user namespace owns its uts and net namespaces.
    let userNS = sleeper.namespaces[.user]!
    print("\nowned by the sandbox's user namespace \(userNS):", tree.children(of: userNS).map { "\($0.kind) \($0.id)" })
} catch {
    print("failed: \(error)")
}

// named-netns: create a network namespace under a name in /run/netns, where `ip netns` finds
// it too; list the names, run a command in it by name, then remove it.
// Needs root: naming a namespace bind-mounts it under /run.
import LinuxNamespaces
import SystemPackage

do {
    // Create: a sandbox with a new network namespace, kept alive on /run/netns/demo.
    var sandbox = Sandbox(create: [.network])
    sandbox.persist[.network] = try NamedNamespaces.prepare(.network, "demo")
    _ = try sandbox.spawn(SandboxCommand("true")).wait()   // the namespace outlives the command

    // List: the names of network namespaces (ours and those of `ip netns add`).
    print("named network namespaces: \(NamedNamespaces.list(.network))")

    // Join by name: a sandbox that enters the named namespace and brings up nothing new.
    var inside = Sandbox()
    inside.join(.network, .path(NamedNamespaces.path(.network, "demo")))
    _ = try inside.spawn(SandboxCommand("ip", ["-brief", "link"])).wait()

    // `ip netns` sees the same file.
    _ = try Sandbox().spawn(SandboxCommand("ip", ["netns", "exec", "demo", "ip", "-brief", "address"])).wait()

    // Remove: unmount and delete the file; the namespace goes once nothing else holds it.
    try NamedNamespaces.remove(.network, "demo")
    print("after remove: \(NamedNamespaces.list(.network))")
} catch {
    print("failed: \(error)")
}

// A name that is taken, or one that is no file name, is refused before anything happens.
do {
    _ = try NamedNamespaces.prepare(.network, "../etc")
} catch {
    print(error)
}

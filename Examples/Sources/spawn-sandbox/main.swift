// spawn-sandbox: run a shell command as root in new user, pid, network and mount namespaces,
// then show how the two kinds of failure look: a SandboxError thrown by spawn, and a command
// that runs but ends badly (a Termination). Works as root and as an ordinary user.
import Glibc
import LinuxNamespaces

// One value describes the set-up; spawn checks it all before anything is started.
var sandbox = Sandbox(create: [.user, .pid, .network, .mount])
sandbox.userMapping = .root     // the caller's uid and gid become 0 inside (unshare -r)

let script = """
    echo "uid inside: $(id -u), shell pid: $$"
    echo "network devices: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')"
    """
do {
    let process = try sandbox.spawn(SandboxCommand("sh", ["-c", script]))
    let termination = try process.wait()        // how the command ended: exited 0
    print("termination: \(termination)")
    // The ids of the new namespaces, as the child saw them right before execve.
    for kind in [NamespaceKind.user, .pid, .network, .mount] {
        print("\(kind): \(process.namespaces[kind]!) (ours: \(try NamespaceID(kind)))")
    }
} catch {
    print("failed: \(error)")
    exit(1)
}

// 1. A mistake in the configuration is thrown before anything starts, naming the field.
var wrong = sandbox
wrong.hostname = "box"                          // needs a new UTS namespace
do {
    _ = try wrong.spawn(SandboxCommand("true"))
} catch {
    print(error)                                // stage .configuration
}

// 2. A command that does not exist: thrown by spawn, with the shell's exit status 127.
do {
    _ = try sandbox.spawn(SandboxCommand("no-such-command"))
} catch {
    print("exitStatus \(error.exitStatus): \(error)")
}

// 3. A command that runs and fails is not an error of spawn: wait returns how it ended.
do {
    let exits = try sandbox.spawn(SandboxCommand("sh", ["-c", "exit 3"]))
    let killed = try sandbox.spawn(SandboxCommand("sleep", ["60"]))
    try killed.signal(SIGTERM)                  // the init passes SIGTERM on to the command
    print("exit 3: \(try exits.wait())")
    print("sleep + SIGTERM: \(try killed.wait()), shell status \(try killed.wait().shellStatus)")
} catch {
    print("failed: \(error)")
    exit(1)
}

// 4. A sandbox that holds: no capabilities but one, no_new_privs, a read-only bind that stays
// read-only (the mounts are locked), whatever the command tries.
var strict = Sandbox(create: [.user, .mount])
strict.userMapping = .root
strict.capabilities = CapabilitySet([.netBindService])    // [] keeps none; .all is the default
strict.noNewPrivileges = true
strict.mounts = [.bind("/usr", "/usr", readOnly: true)]  // locked: MountLocking.whenReadOnly
do {
    let attempt = "grep CapEff /proc/self/status; mount -o remount,rw /usr || echo still read-only"
    let process = try strict.spawn(SandboxCommand("sh", ["-c", attempt]))
    print("strict: \(try process.wait())")
} catch {
    print("failed: \(error)")
    exit(1)
}

// 5. In place of this process, as `unshare -r` does (only when asked: it never returns).
if CommandLine.arguments.dropFirst().first == "--in-place" {
    var inPlace = Sandbox(create: [.user, .network])
    inPlace.userMapping = .root
    do {
        try inPlace.execute(SandboxCommand("ip", ["-o", "link"]))   // only lo, as root; never returns
    } catch {
        print("failed: \(error)")
        exit(error.exitStatus)
    }
}

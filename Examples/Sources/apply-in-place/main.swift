// apply-in-place: applies a sandbox to this very process and goes on in it, as Perl's
// Sys::Linux::Namespace->setup() does; with `--pid`, goes on as pid 2 of a new pid namespace
// under an init while the process left outside exits with its status (chromite's
// create_pidns). `--after-await` shows the refusal once Swift concurrency has started threads.
// Works as root and as an ordinary user.
import Foundation
import LinuxNamespaces

/// This process's hostname.
func hostname() -> String {
    var name = [CChar](repeating: 0, count: 65)
    gethostname(&name, name.count - 1)
    return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The names in a directory, sorted.
func entries(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// The network devices of this process's network namespace.
func networkDevices() -> [String] {
    guard let list = if_nameindex() else { return [] }
    defer { if_freenameindex(list) }
    var names: [String] = []
    var index = 0
    while list[index].if_index != 0, let name = list[index].if_name {
        names.append(String(cString: name))
        index += 1
    }
    return names
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--after-await") {
    // The first task that suspends starts Swift concurrency's threads: too late for apply.
    _ = try await Sandbox(create: [.user]).run(SandboxCommand("true"), output: .discarded)
    do {
        try Sandbox(create: [.user, .mount]).apply()
    } catch {
        print(error)    // configuration: apply: this process has N threads; ...
        exit(error.exitStatus)
    }
}

if !arguments.contains("--pid") {
    // Top of main, before any await, task or thread: the process is single-threaded.
    let before = getpid()
    print("before: pid \(before), uid \(getuid()), \(currentThreadCount()) thread")
    var sandbox = Sandbox(create: [.user, .mount, .uts, .network])
    sandbox.userMapping = .root
    sandbox.hostname = "in-place"
    sandbox.privateTmp = true
    do {
        try sandbox.apply()         // returns in this same process, inside the namespaces
    } catch {
        print("apply failed: \(error)")
        exit(error.exitStatus)
    }
    print("after: pid \(getpid() == before ? "unchanged" : "changed"), uid \(getuid()), hostname \(hostname())")
    print("network devices: \(networkDevices()), /tmp: \(entries("/tmp"))")
    // From here on the program may start tasks and threads; what it spawns starts inside.
    let child = try await Sandbox().run(SandboxCommand("hostname"), output: .string(limit: 64))
    print("a command spawned now: hostname \(child.standardOutput.debugDescription)")
} else {
    // With a pid namespace the caller goes on in a fork, as pid 2 under an init; this process
    // waits outside, passes signals on and exits with the status the code inside ends with.
    var sandbox = Sandbox(create: [.user, .mount, .pid])
    sandbox.userMapping = .root
    do {
        try sandbox.apply()
    } catch {
        print("apply failed: \(error)")
        exit(error.exitStatus)
    }
    print("inside: pid \(getpid()), uid \(getuid()), /proc holds pids \(entries("/proc").filter { $0.allSatisfy(\.isNumber) })")
    exit(3)                         // the process outside exits 3 too
}

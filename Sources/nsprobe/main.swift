// nsprobe: a single-threaded helper the tests run in a child process, as root or as an
// unprivileged user. Each command does one namespace operation with the library and prints
// what it sees, one `key value` line each; failures print `error: DESCRIPTION` and exit 1.
//
//   nsprobe ids                              ids of this process's namespaces
//   nsprobe unshare KINDS                    unshare, then ids
//   nsprobe enter-pid PID KINDS|all          enterNamespaces(of:), then ids
//   nsprobe enter-path PATH [KIND]           enterNamespace(path:kind:), then ids
//   nsprobe threads N unshare KINDS          the same with N extra threads running
//   nsprobe write-maps PID UIDMAP GIDMAP SETGROUPS   ("-" for none; lines split by ',')
//   nsprobe spawn [--create KINDS] [--map root|current|auto] [--join KIND=PID|PATH]...
//                 [--as-pid-1] [--die-with-parent] [--preserve-credentials] [--new-session]
//                 [--foreground] [--from-thread] [--execute] [--with-thread] -- COMMAND...
//                                            Sandbox.spawn (from a thread of its own with
//                                            --from-thread), then `termination ...`;
//                                            Sandbox.execute with --execute (--with-thread
//                                            starts a second thread first)
//   nsprobe closure NAME INPUT KINDS         Sandbox.run(entryPoint:) with a root mapping;
//                                            prints `reply ...` and `termination ...`
//   nsprobe direct KINDS                     forkIntoNamespaces with a root mapping; the
//                                            child prints `uid`, `pid`, `hostname`
//   nsprobe fail SCENARIO                    a spawn that fails at one step (FailureProbe.swift)
//   nsprobe typed SCENARIO KINDS             typed entry points (TypedEntryPoints.swift)
//   nsprobe thread-of KINDS                  withNamespaces(of:) in a sandbox's namespaces
//   nsprobe apply [OPTIONS]                 Sandbox.apply(), then what the caller's code sees
//                                            (see InPlace.swift)
//   nsprobe termchild GRACE_MS [ignore]      forkIntoNamespaces with term_child, signalled
//   nsprobe clocks                           CLOCK_MONOTONIC and CLOCK_BOOTTIME in seconds
//                                            (`monotonic S.NNNNNNNNN`, `boottime ...`)
//   nsprobe churn N [THREADS]                N spawns (on THREADS threads), a fifth each
//                                            succeeding, exiting 3, failing in the child, at
//                                            execve, and in Swift; a third with an init, a
//                                            third with the command as pid 1, a third with that
//                                            and a time namespace; prints fds, children, mounts,
//                                            RSS before and after, and the p99 latency
import Glibc
import Synchronization
import LinuxNamespaces
import SystemPackage

func printIDs() throws(NamespaceError) {
    for kind in NamespaceKind.allCases {
        print(kind.procName, try NamespaceID(kind).inode)
    }
    for name in ["pid_for_children", "time_for_children"] {
        if let id = try? NamespaceID(path: .init("/proc/self/ns/\(name)")) { print(name, id.inode) }
    }
    print("uid", geteuid())
    print("gid", getegid())
}

/// Prints `monotonic S.N` and `boottime S.N`, each name after `prefix`.
func printClocks(_ prefix: String = "") {
    for (name, clock) in [("monotonic", CLOCK_MONOTONIC), ("boottime", CLOCK_BOOTTIME)] {
        var now = timespec()
        clock_gettime(clock, &now)
        let nanoseconds = String(now.tv_nsec)
        print(prefix + name, "\(now.tv_sec).\(String(repeating: "0", count: 9 - nanoseconds.count))\(nanoseconds)")
    }
}

func startThreads(_ count: Int) {
    for _ in 0..<count {
        var thread = pthread_t()
        pthread_create(&thread, nil, { _ in
            while true { sleep(1000) }
        }, nil)
    }
    while currentThreadCount() < count + 1 { usleep(1000) }
}

func run(_ args: ArraySlice<String>) throws(NamespaceError) {
    var args = args
    guard let command = args.popFirst() else {
        throw NamespaceError(.parse, detail: "no command")
    }
    switch command {
    case "ids":
        try printIDs()
    case "unshare":
        let kinds = try NamespaceSet(parsing: args.first ?? "")
        try unshare(kinds)
        // pid_for_children names the new pid namespace only once its first process exists.
        let child = kinds.contains(.pid) ? fork() : -1
        if child == 0 { pause(); _exit(0) }
        try printIDs()
        if child > 0 { kill(child, SIGKILL); waitpid(child, nil, 0) }
    case "enter-pid":
        guard let pid = args.popFirst().flatMap({ pid_t($0) }), let list = args.popFirst() else {
            throw NamespaceError(.parse, detail: "usage: enter-pid PID KINDS")
        }
        let kinds = list == "all" ? NamespaceSet.all : try NamespaceSet(parsing: list)
        let entered = try enterNamespaces(of: ProcessID(rawValue: pid), kinds)
        print("entered", entered.isEmpty ? "-" : entered.description)
        try printIDs()
    case "enter-path":
        guard let path = args.popFirst() else {
            throw NamespaceError(.parse, detail: "usage: enter-path PATH [KIND]")
        }
        let kind = try args.popFirst().map { name throws(NamespaceError) in
            guard let kind = NamespaceKind(name: name) else {
                throw NamespaceError(.parse, detail: "unknown kind \(name)")
            }
            return kind
        }
        try enterNamespace(path: .init(path), kind: kind)
        try printIDs()
    case "threads":
        guard let count = args.popFirst().flatMap({ Int($0) }) else {
            throw NamespaceError(.parse, detail: "usage: threads N COMMAND...")
        }
        startThreads(count)
        print("threads", currentThreadCount())
        try run(args)
    case "write-maps":
        guard args.count == 4, let pid = pid_t(args[args.startIndex]) else {
            throw NamespaceError(.parse, detail: "usage: write-maps PID UIDMAP GIDMAP SETGROUPS")
        }
        let values = Array(args.dropFirst())
        func map(_ text: String) throws(NamespaceError) -> IDMap? {
            text == "-" ? nil : try IDMap(parsing: text.split(separator: ",").joined(separator: "\n"))
        }
        try writeIDMaps(
            of: ProcessID(rawValue: pid), uidMap: map(values[0]), gidMap: map(values[1]),
            setgroups: values[2] == "-" ? nil : SetgroupsPolicy(rawValue: values[2]))
        print("written", pid)
    case "spawn":
        try spawnCommand(args)
    case "fail":
        try failCommand(args)
    case "typed":
        try typedCommand(args)
    case "thread-of":
        try threadOfCommand(args)
    case "closure":
        guard args.count == 3 else { throw NamespaceError(.parse, detail: "usage: closure NAME INPUT KINDS") }
        var sandbox = Sandbox(create: try NamespaceSet(parsing: args[args.startIndex + 2]))
        sandbox.userMapping = .root
        if sandbox.create.contains(.uts) { sandbox.hostname = "closure-box" }
        do {
            let reply = try sandbox.run(entryPoint: args[args.startIndex], input: Array(args[args.startIndex + 1].utf8))
            print("reply", String(decoding: reply.output, as: UTF8.self))
            print("termination", reply.termination)
        } catch {
            print("error:", error)
            exit(error.exitStatus)
        }
    case "direct":
        let kinds = try NamespaceSet(parsing: args.first ?? "")
        do {
            let termination = try forkIntoNamespaces(kinds, mapping: .root) {
                var name = [CChar](repeating: 0, count: 65)
                gethostname(&name, 64)
                print("uid", geteuid())
                print("pid", getpid())
                return 7
            }
            print("termination", termination)
        } catch {
            print("error:", error)
            exit(error.exitStatus)
        }
    case "clocks":
        printClocks()
    case "apply":
        try applyCommand(args)
    case "termchild":
        try termChildCommand(args)
    case "churn":
        churn(Int(args.first ?? "") ?? 10, threads: Int(args.dropFirst().first ?? "") ?? 1)
    default:
        throw NamespaceError(.parse, detail: "unknown command \(command)")
    }
}

/// `spawn`: a sandbox from options, run, waited for; prints `termination ...` and exits with
/// the command's shell status, or prints `error: ...` and exits with the error's status.
func spawnCommand(_ arguments: ArraySlice<String>) throws(NamespaceError) {
    var args = arguments
    var sandbox = Sandbox()
    var fromThread = false
    var execute = false
    while let option = args.popFirst(), option != "--" {
        switch option {
        case "--create": sandbox.create = try NamespaceSet(parsing: args.popFirst() ?? "")
        case "--map":
            switch args.popFirst() {
            case "root": sandbox.userMapping = .root
            case "current": sandbox.userMapping = .currentUser
            case "auto": sandbox.userMapping = .subordinateIDs
            default: throw NamespaceError(.parse, detail: "--map root|current|auto")
            }
        case "--join":
            let spec = args.popFirst() ?? ""
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let kind = NamespaceKind(name: parts[0]) else {
                throw NamespaceError(.parse, detail: "--join KIND=PID|PATH")
            }
            sandbox.join(kind, pid_t(parts[1]).map { .process(ProcessID(rawValue: $0)) } ?? .path(FilePath(parts[1])))
        case "--as-pid-1": sandbox.pidOne = .command
        case "--time-offsets":
            let values = (args.popFirst() ?? "").split(separator: ",").compactMap { Int64($0) }
            guard values.count == 2 else { throw NamespaceError(.parse, detail: "--time-offsets MONOTONIC,BOOTTIME") }
            sandbox.timeOffsets = TimeOffsets(monotonic: values[0], boottime: values[1])
        case "--die-with-parent": sandbox.dieWithParent = true
        case "--preserve-credentials": sandbox.preserveCredentials = true
        case "--new-session": sandbox.session = .newSession
        case "--foreground": sandbox.session = .foreground
        case "--from-thread": fromThread = true
        case "--execute": execute = true
        case "--with-thread":
            // A second thread that lives on: this process is multithreaded from here.
            guard startThread({ while true { pause() } }) != nil else {
                throw NamespaceError(.parse, detail: "pthread_create failed")
            }
        default: throw NamespaceError(.parse, detail: "unknown spawn option \(option)")
        }
    }
    guard let executable = args.popFirst() else { throw NamespaceError(.parse, detail: "spawn needs a command") }
    let command = SandboxCommand(executable, Array(args))
    let spawnAndWait = { [sandbox] () -> Never in
        do throws(SandboxError) {
            if execute {
                // Buffered, as stdout into a pipe is: execute must not lose it.
                print("executing")
                try sandbox.execute(command)
            }
            let process = try sandbox.spawn(command)
            let termination = try process.wait()
            print("termination", termination)
            if sandbox.session == .foreground { print("foreground_restored", tcgetpgrp(0) == getpgrp()) }
            exit(termination.shellStatus)
        } catch {
            print("error:", error)
            exit(error.exitStatus)
        }
    }
    guard fromThread else { spawnAndWait() }
    // From a thread of its own (with die-with-parent: through the library's spawner thread).
    guard let thread = startThread({ spawnAndWait() }) else {
        print("error: pthread_create for the spawning thread failed")
        exit(125)
    }
    pthread_join(thread, nil)
    exit(125)
}

/// Runs `body` on a new joinable thread; nil when pthread_create fails.
func startThread(_ body: @escaping () -> Void) -> pthread_t? {
    final class Job { let body: () -> Void; init(_ body: @escaping () -> Void) { self.body = body } }
    var thread = pthread_t()
    let job = Unmanaged.passRetained(Job(body)).toOpaque()
    guard pthread_create(&thread, nil, { Unmanaged<Job>.fromOpaque($0!).takeRetainedValue().body(); return nil }, job) == 0 else {
        Unmanaged<Job>.fromOpaque(job).release()
        return nil
    }
    return thread
}

/// The number of open fds and of live or zombie children of this process.
func resources() -> (fds: Int, children: Int) {
    func entries(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = directoryEntryName(entry)
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names
    }
    var children = 0
    for task in entries("/proc/self/task") {
        if let text = try? String(readingFile: "/proc/self/task/\(task)/children") {
            children += text.split(separator: " ").count
        }
    }
    return (entries("/proc/self/fd").count, children)
}

extension String {
    init(readingFile path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        self = String(decoding: bytes, as: UTF8.self)
    }
}

func churn(_ rounds: Int, threads: Int) {
    let badInterpreter = "/tmp/nsprobe-bad-interpreter-\(getpid())"
    let fd = open(badInterpreter, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    _ = "#!/nonexistent/interpreter\n".withCString { write(fd, $0, strlen($0)) }
    close(fd)
    defer { unlink(badInterpreter) }
    // The sleeps carry our pid (sleep adds its arguments): a process of ours that outlived its
    // sandbox is told from another run's by it (namespace inodes are reused).
    let sleepMarked = ["30", "0.\(getpid())"]
    let before = resources()
    let mountsBefore = sandboxMountCount()
    let rssBefore = residentKilobytes()
    // The ids read, and how many reads: the kernel gives a freed namespace's inode to the next
    // one at once, so many sandboxes share an id.
    let results = Mutex<(outcomes: [String: Int], latencies: [Double], mountNamespaces: Set<NamespaceID>, reads: Int)>(([:], [], [], 0))
    let work: @Sendable (Int) -> Void = { worker in
        for round in stride(from: worker, to: rounds, by: threads) {
            var sandbox = Sandbox(create: [.user, .pid, .network, .mount, .uts, .ipc])
            sandbox.userMapping = .root
            // Each sandbox mounts (a tmpfs on /tmp) in its own mount namespace: neither the mount
            // nor the namespace may outlive it.
            sandbox.privateTmp = true
            // Ten rounds in three: an init; the command as pid 1, its child sharing our memory
            // until it executes while other threads spawn beside it; that and a new time
            // namespace, so that the child forks the command's process as our own child.
            switch round / 10 % 3 {
            case 1: sandbox.pidOne = .command
            case 2:
                sandbox.pidOne = .command
                sandbox.create.insert(.time)
            default: break
            }
            var command = SandboxCommand("true")
            // Half of the rounds that would run true run a long sleep and are killed mid-run.
            let killedMidRun = round % 10 == 5
            if killedMidRun { command = SandboxCommand("sleep", sleepMarked) }
            switch round % 5 {
            case 1: command = SandboxCommand("sh", ["-c", "exit 3"])
            case 2: sandbox.uid = 4242  // not mapped: setresuid fails in the child
            case 3: command = SandboxCommand(badInterpreter)
            case 4:
                // A PATH that 65534 may search all of: one with /root/... in it is EACCES (126).
                command = SandboxCommand("no-such-command-\(round)")
                command.environment = ["PATH": "/usr/bin:/bin"]
            default: break
            }
            var start = timespec(), end = timespec()
            clock_gettime(CLOCK_MONOTONIC, &start)
            let outcome: String
            do throws(SandboxError) {
                let process = try sandbox.spawn(command)
                // Read while it runs (the sleeping rounds run until killed); the ids the child
                // reported, where it did, for the others.
                let running = killedMidRun ? try? NamespaceID(path: FilePath(process.namespacePath(.mount))) : nil
                if let id = running ?? process.namespaces[.mount] {
                    results.withLock {
                        $0.mountNamespaces.insert(id)
                        $0.reads += 1
                    }
                }
                if killedMidRun { try process.signal(SIGKILL) }
                outcome = "\(try process.wait())"
            } catch {
                outcome = error.stage.rawValue
            }
            clock_gettime(CLOCK_MONOTONIC, &end)
            let micros = Double(end.tv_sec - start.tv_sec) * 1e6 + Double(end.tv_nsec - start.tv_nsec) / 1e3
            results.withLock { $0.outcomes[outcome, default: 0] += 1; $0.latencies.append(micros) }
        }
    }
    let workers = (0..<threads).compactMap { worker in startThread { work(worker) } }
    for thread in workers { pthread_join(thread, nil) }
    let after = resources()
    let (outcomes, latencies, spawnedNamespaces, reads) = results.withLock {
        ($0.outcomes, $0.latencies.sorted(), $0.mountNamespaces, $0.reads)
    }
    // The negative control of the scan below: a sandbox still running is seen.
    var control = Sandbox(create: [.user, .mount])
    control.userMapping = .root
    if let running = try? control.spawn(SandboxCommand("sleep", sleepMarked)),
        let id = try? NamespaceID(path: FilePath(running.namespacePath(.mount)))
    {
        // Seen once it has executed sleep (on a loaded machine, a moment after spawn returns).
        var seen = mountNamespacesInUse(among: [id], by: sleepMarked)
        for _ in 0..<200 where seen.isEmpty {
            usleep(10_000)
            seen = mountNamespacesInUse(among: [id], by: sleepMarked)
        }
        print("control_seen", seen.count)
        try? running.signal(SIGKILL)
        _ = try? running.wait()
    }
    for (outcome, count) in outcomes.sorted(by: { $0.key < $1.key }) { print("outcome", "\(outcome)=\(count)") }
    print("fds_before", before.fds)
    print("fds_after", after.fds)
    print("children_after", after.children)
    print("mounts_before", mountsBefore)
    print("mounts_after", sandboxMountCount())
    print("mount_namespaces", reads)
    // A command whose supervisor was killed dies of its parent-death signal a moment later.
    var left = mountNamespacesInUse(among: spawnedNamespaces, by: sleepMarked)
    for _ in 0..<200 where !left.isEmpty {
        usleep(10_000)
        left = mountNamespacesInUse(among: spawnedNamespaces, by: sleepMarked)
    }
    print("mount_namespaces_left", left.count)
    print("rss_kb_before", rssBefore)
    print("rss_kb_after", residentKilobytes())
    if !latencies.isEmpty {
        print("p50_us", Int(latencies[latencies.count / 2]))
        print("p99_us", Int(latencies[min(latencies.count - 1, latencies.count * 99 / 100)]))
    }
}

/// Mounts of ours at the places a sandbox mounts (/, /tmp, /proc and below): a leak would add
/// one there. Other mounts come and go with the tests running beside us.
func sandboxMountCount() -> Int {
    guard let text = try? String(readingFile: "/proc/self/mountinfo") else { return -1 }
    return text.split(separator: "\n").filter { line in
        let point = line.split(separator: " ")[4]
        return point == "/" || point == "/tmp" || point == "/proc" || point.hasPrefix("/proc/")
    }.count
}

/// Which of `ids` a process running `sleep ARGUMENTS` still has as its mount namespace.
func mountNamespacesInUse(among ids: Set<NamespaceID>, by arguments: [String]) -> Set<NamespaceID> {
    let commandLine = (["sleep"] + arguments).joined(separator: "\0") + "\0"
    guard let dir = opendir("/proc") else { return [] }
    defer { closedir(dir) }
    var found: Set<NamespaceID> = []
    while let entry = readdir(dir) {
        let name = directoryEntryName(entry)
        guard Int32(name) != nil, (try? String(readingFile: "/proc/\(name)/cmdline")) == commandLine,
            let id = try? NamespaceID(path: FilePath("/proc/\(name)/ns/mnt"))
        else { continue }
        if ids.contains(id) { found.insert(id) }
    }
    return found
}

func residentKilobytes() -> Int {
    let status = (try? String(readingFile: "/proc/self/status")) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

// Entry points for `closure`: they run in a copy of nsprobe inside the sandbox.
SandboxEntryPoints.register("describe") { input in
    var name = [CChar](repeating: 0, count: 65)
    gethostname(&name, 64)
    let text = "input=\(String(decoding: input, as: UTF8.self)) uid=\(geteuid()) pid=\(getpid()) host=\(String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) "
        + "net=\((try? NamespaceID(.network).inode) ?? 0)"
    return Array(text.utf8)
}
SandboxEntryPoints.register("fail") { _ in
    throw NamespaceError(.validate, detail: "the closure failed on purpose")
}
registerTypedEntryPoints()
SandboxEntryPoints.runIfRequested()

do {
    try run(CommandLine.arguments.dropFirst())
} catch {
    print("error:", error)
    exit(1)
}

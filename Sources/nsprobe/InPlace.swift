// The in-place forms, driven from this single-threaded helper: `Sandbox.apply()` and
// `forkIntoNamespaces(_:terminateChildAfter:_:)`.
import Glibc
import LinuxNamespaces
import SystemPackage

/// `apply [--create KINDS] [--map root|current] [--hostname NAME] [--private-tmp] [--lo-down] [--as-pid-1]
/// [--sysvsem] [--semaphore] [--with-thread] [--orphan] [--exit N] [--signal outside|init]
/// [--offsets MONOTONIC,BOOTTIME] [--join-all PID] [--clocks]`: applies the sandbox, then the
/// caller's code prints what it sees; with --clocks, the clocks before, after, and in a child
/// forked after (a time namespace holds children). With --signal, a driver
/// process forks the caller first, waits until the code runs on, sends SIGTERM to the
/// caller's process (outside) or to its init, and prints `outside_status N`.
func applyCommand(_ arguments: ArraySlice<String>) throws(NamespaceError) {
    var args = arguments
    var sandbox = Sandbox()
    var semaphore = false, orphan = false, clocks = false
    var exitStatus: Int32 = 0
    var signalTarget: String?
    while let option = args.popFirst() {
        switch option {
        case "--create": sandbox.create = try NamespaceSet(parsing: args.popFirst() ?? "")
        case "--map": sandbox.userMapping = args.popFirst() == "current" ? .currentUser : .root
        case "--hostname": sandbox.hostname = args.popFirst()
        case "--private-tmp": sandbox.privateTmp = true
        case "--lo-down": sandbox.loopbackUp = false
        case "--as-pid-1": sandbox.pidOne = .command
        case "--sysvsem": sandbox.privateSysVSemaphores = true
        case "--semaphore": semaphore = true
        case "--orphan": orphan = true
        case "--exit": exitStatus = Int32(args.popFirst() ?? "") ?? 0
        case "--signal": signalTarget = args.popFirst()
        case "--clocks": clocks = true
        case "--offsets":
            let seconds = (args.popFirst() ?? "").split(separator: ",").compactMap { Int64($0) }
            guard seconds.count == 2 else { throw NamespaceError(.parse, detail: "--offsets MONOTONIC,BOOTTIME") }
            sandbox.timeOffsets = TimeOffsets(monotonic: seconds[0], boottime: seconds[1])
        case "--join-all":
            guard let pid = Int32(args.popFirst() ?? "") else { throw NamespaceError(.parse, detail: "--join-all PID") }
            print("joined", try sandbox.joinAll(of: ProcessID(rawValue: pid)))
        case "--with-thread":
            guard startThread({ while true { pause() } }) != nil else { throw NamespaceError(.parse, detail: "pthread_create failed") }
            while currentThreadCount() < 2 { usleep(1000) }
        default: throw NamespaceError(.parse, detail: "unknown apply option \(option)")
        }
    }
    // A semaphore raised by 1 with SEM_UNDO: the undo list then holds -1 for it.
    var semaphoreID: Int32 = -1
    if semaphore {
        semaphoreID = semget(IPC_PRIVATE, 1, 0o600)
        var up = sembuf(sem_num: 0, sem_op: 1, sem_flg: Int16(SEM_UNDO))
        guard semaphoreID >= 0, semop(semaphoreID, &up, 1) == 0 else { throw NamespaceError(.parse, detail: "semaphore: errno \(errno)") }
        print("sem_zero_before", semaphoreIsZero(semaphoreID))
    }
    if clocks { printClocks("before_") }
    var ready: [Int32] = [-1, -1]
    if signalTarget != nil {
        guard pipe(&ready) == 0 else { throw NamespaceError(.parse, detail: "pipe failed") }
        fflush(nil)
        let caller = fork()
        if caller > 0 {
            close(ready[1])
            drive(caller, readyFD: ready[0], target: signalTarget!)
        }
        close(ready[0])
    }
    do {
        try sandbox.apply()
    } catch {
        print("error:", error)
        exit(error.exitStatus)
    }
    print("continued", 1)
    try printIDs()
    print("process_pid", getpid())
    print("process_ppid", getppid())
    var name = [CChar](repeating: 0, count: 65)
    gethostname(&name, 64)
    print("hostname", String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    print("tmp_type", mountType(at: "/tmp"))
    print("proc_self", procSelf())
    print("lo_up", loopbackAnswers())
    if semaphore { print("sem_zero_after", semaphoreIsZero(semaphoreID)) }
    if orphan { print("zombies", zombiesAfterAnOrphan()) }
    if clocks {
        printClocks("after_")
        fflush(nil)
        let child = fork()
        if child == 0 {
            printClocks("child_")
            print("child_time", (try? NamespaceID(.time).inode).map(String.init) ?? "-")
            exit(0)
        }
        waitpid(child, nil, 0)
    }
    fflush(nil)
    if signalTarget != nil {
        var byte: UInt8 = 1
        _ = write(ready[1], &byte, 1)
        while true { pause() }
    }
    exit(exitStatus)
}

/// The driver of `apply --signal`: waits for the caller's code, signals, prints, exits.
func drive(_ caller: pid_t, readyFD: Int32, target: String) -> Never {
    var byte: UInt8 = 0
    guard read(readyFD, &byte, 1) == 1 else {
        var status: Int32 = 0
        waitpid(caller, &status, 0)
        print("outside_status", shellStatus(status))
        exit(1)
    }
    // The init is the caller's only child (pid 1 inside).
    let children = ((try? String(readingFile: "/proc/\(caller)/task/\(caller)/children")) ?? "").split(separator: " ")
    let victim = target == "init" ? children.first.flatMap { pid_t($0) } ?? caller : caller
    let started = children.compactMap { pid_t($0) }.map { ($0, startTime($0)) }
    print("signalled", target, victim != caller || target == "outside")
    kill(victim, SIGTERM)
    var status: Int32 = 0
    while waitpid(caller, &status, 0) < 0 && errno == EINTR {}
    print("outside_status", shellStatus(status))
    // Everything of the sandbox ended with it: the init (the same process: its start time)
    // is gone. Seen before the signal: the check sees a live one.
    print("seen_before", started.filter { $0.1 != nil }.count)
    print("left", started.filter { $0.1 != nil && startTime($0.0) == $0.1 }.count)
    exit(0)
}

/// `termchild GRACE_MS [ignore]`: forkIntoNamespaces with user, pid and mount namespaces and
/// term_child; the closure (ignoring SIGTERM with `ignore`) waits; a driver signals the
/// waiting parent once the closure runs. Prints the parent's `termination`, its own
/// `parent_status` and `elapsed_ms` from the signal to the parent's end.
func termChildCommand(_ arguments: ArraySlice<String>) throws(NamespaceError) {
    guard let grace = arguments.first.flatMap({ Int64($0) }) else { throw NamespaceError(.parse, detail: "usage: termchild GRACE_MS [ignore]") }
    let ignore = arguments.dropFirst().first == "ignore"
    var ready: [Int32] = [-1, -1]
    guard pipe(&ready) == 0 else { throw NamespaceError(.parse, detail: "pipe failed") }
    fflush(nil)
    let parent = fork()
    if parent == 0 {
        close(ready[0])
        var sandbox = Sandbox(create: [.user, .pid, .mount])
        sandbox.userMapping = .root
        do {
            let termination = try forkIntoNamespaces(sandbox, terminateChildAfter: .milliseconds(grace)) {
                if ignore { signal(SIGTERM, SIG_IGN) }
                var byte: UInt8 = 1
                _ = write(ready[1], &byte, 1)
                while true { pause() }
            }
            print("termination", termination)
            exit(0)
        } catch {
            print("error:", error)
            exit(error.exitStatus)
        }
    }
    close(ready[1])
    var byte: UInt8 = 0
    if read(ready[0], &byte, 1) == 1 {
        // The parent waits in forkIntoNamespaces once the closure runs; give it a moment to
        // get there (its wait blocks the signals from then on).
        usleep(100_000)
        kill(parent, SIGTERM)
    }
    var start = timespec(), end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    var status: Int32 = 0
    while waitpid(parent, &status, 0) < 0 && errno == EINTR {}
    clock_gettime(CLOCK_MONOTONIC, &end)
    print("parent_status", shellStatus(status))
    print("elapsed_ms", (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1_000_000)
}

/// Whether the semaphore's value is 0: a wait-for-zero that must not block.
func semaphoreIsZero(_ id: Int32) -> Bool {
    var zero = sembuf(sem_num: 0, sem_op: 0, sem_flg: Int16(IPC_NOWAIT))
    return semop(id, &zero, 1) == 0
}

/// The file system type mounted at `point`, from /proc/self/mountinfo (the last one).
func mountType(at point: String) -> String {
    let lines = ((try? String(readingFile: "/proc/self/mountinfo")) ?? "").split(separator: "\n")
    guard let fields = lines.map({ $0.split(separator: " ") }).last(where: { $0[4] == point }),
        let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count
    else { return "-" }
    return String(fields[dash + 1])
}

/// Whether a UDP socket can reach 127.0.0.1: not while lo is down (ENETUNREACH).
func loopbackAnswers() -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(9).bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// Forks a child that forks a grandchild and exits at once: the grandchild, an orphan, ends
/// 0.1 s later. Returns the zombies this pid namespace's /proc shows 0.5 s after.
func zombiesAfterAnOrphan() -> Int {
    let child = fork()
    if child == 0 {
        if fork() == 0 { usleep(100_000); _exit(0) }
        _exit(0)
    }
    waitpid(child, nil, 0)
    usleep(500_000)
    var zombies = 0
    guard let dir = opendir("/proc") else { return -1 }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
        let name = directoryEntryName(entry)
        guard Int32(name) != nil, let stat = try? String(readingFile: "/proc/\(name)/stat"),
            let close = stat.lastIndex(of: ")")
        else { continue }
        if stat[stat.index(close, offsetBy: 2)] == "Z" { zombies += 1 }
    }
    return zombies
}

/// What /proc/self names: our pid as the mounted /proc's pid namespace sees it.
func procSelf() -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    let n = readlink("/proc/self", &buffer, 63)
    return n > 0 ? String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "-"
}

/// The status a shell reports for a wait status: the exit status, or 128 + the signal.
func shellStatus(_ status: Int32) -> Int32 {
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}

/// The start time of `pid` (field 22 of /proc/PID/stat), nil when there is no such process.
func startTime(_ pid: pid_t) -> String? {
    guard let stat = try? String(readingFile: "/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 19 ? String(fields[19]) : nil
}

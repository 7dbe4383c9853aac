// nsthroughput: the library counterpart of `reference loop` (Benchmarks/reference.c).
//
//   nsthroughput loop N [KINDS] [THREADS] [BUSY] [init]
//       N spawn+wait of /bin/true with Sandbox.spawn in new namespaces (KINDS: letters of
//       U m p n u i C, default Ump) and a root mapping, spread over THREADS spawning threads,
//       with BUSY extra threads spinning on the CPU meanwhile. The command is pid 1 of a new
//       pid namespace (`pidOne = .command`), as in the C loop, unless `init` is given (the
//       library's default: a small init forks the command). /proc is mounted fresh when pid
//       and mount namespaces are new (the library's default, and the C loop's).
//       Prints `spawns N seconds S spawns_per_s R p50_us P p99_us Q`, as the C loop does.
//   nsthroughput tasks N [KINDS] [sequential] [init]
//       N `Sandbox.run` of /bin/true with standard output collected (`.string(limit:)`), all
//       started at once from a TaskGroup and awaited through their pidfds (or, with
//       `sequential`, one after another in one task); the same sandbox as `loop`. Prints the
//       `loop` line plus `peak_threads T`: the most threads the process had, sampled every
//       millisecond (the sampler included).
//   nsthroughput list N
//       N calls of listNamespaces() in this process; prints the namespace count and the
//       median milliseconds per call.
import Glibc
import Synchronization
import LinuxNamespaces

func parseKinds(_ text: String) -> NamespaceSet {
    var set = NamespaceSet()
    for letter in text {
        switch letter {
        case "U": set.insert(.user)
        case "m": set.insert(.mount)
        case "p": set.insert(.pid)
        case "n": set.insert(.network)
        case "u": set.insert(.uts)
        case "i": set.insert(.ipc)
        case "C": set.insert(.cgroup)
        default:
            warn("nsthroughput: unknown kind \(letter)\n")
            exit(2)
        }
    }
    return set
}

/// Writes `text` to standard error.
func warn(_ text: String) {
    _ = text.withCString { write(2, $0, strlen($0)) }
}

func nowMicros() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) * 1e6 + Double(now.tv_nsec) / 1e3
}

final class Job {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

func startThread(_ body: @escaping () -> Void) -> pthread_t {
    var thread = pthread_t()
    let job = Unmanaged.passRetained(Job(body)).toOpaque()
    pthread_create(&thread, nil, { Unmanaged<Job>.fromOpaque($0!).takeRetainedValue().body(); return nil }, job)
    return thread
}

let stopBusy = Atomic<Bool>(false)

func loop(rounds: Int, kinds: NamespaceSet, threads: Int, busy: Int, withInit: Bool) {
    var sandbox = Sandbox(create: kinds)
    if kinds.contains(.user) { sandbox.userMapping = .root }
    if !withInit { sandbox.pidOne = .command }
    let command = SandboxCommand("/bin/true")
    let latencies = Mutex<[Double]>([])
    let busyThreads = (0..<busy).map { _ in
        startThread {
            var counter = 0
            while !stopBusy.load(ordering: .relaxed) { counter &+= 1 }
            withExtendedLifetime(counter) {}
        }
    }
    let start = nowMicros()
    let workers = (0..<threads).map { worker in
        startThread { [sandbox] in
            for round in stride(from: worker, to: rounds, by: threads) {
                let begin = nowMicros()
                do {
                    let termination = try sandbox.spawn(command).wait()
                    guard termination.shellStatus == 0 else {
                        warn("nsthroughput: round \(round): \(termination)\n")
                        exit(1)
                    }
                } catch {
                    warn("nsthroughput: round \(round): \(error)\n")
                    exit(1)
                }
                let elapsed = nowMicros() - begin
                latencies.withLock { $0.append(elapsed) }
            }
        }
    }
    for thread in workers { pthread_join(thread, nil) }
    let seconds = (nowMicros() - start) / 1e6
    stopBusy.store(true, ordering: .relaxed)
    for thread in busyThreads { pthread_join(thread, nil) }
    let sorted = latencies.withLock { $0.sorted() }
    let line = "spawns \(rounds) seconds \(fixed(seconds, 3)) spawns_per_s \(fixed(Double(rounds) / seconds, 1)) "
        + "p50_us \(Int(sorted[rounds / 2])) p99_us \(Int(sorted[rounds * 99 / 100]))"
    print(line)
}

/// The `Threads:` count of /proc/self/status.
func threadCount() -> Int {
    let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = read(fd, &buffer, buffer.count)
    for line in String(decoding: buffer[..<max(n, 0)], as: UTF8.self).split(separator: "\n") where line.hasPrefix("Threads:") {
        return Int(line.dropFirst(8).filter { $0 != " " && $0 != "\t" }) ?? -1
    }
    return -1
}

func tasks(rounds: Int, kinds: NamespaceSet, sequential: Bool, withInit: Bool) async {
    let sandbox = {
        var sandbox = Sandbox(create: kinds)
        if kinds.contains(.user) { sandbox.userMapping = .root }
        if !withInit { sandbox.pidOne = .command }
        return sandbox
    }()
    let command = SandboxCommand("/bin/true")
    let peak = Atomic<Int>(0)
    let stopSampling = Atomic<Bool>(false)
    let sampler = startThread {
        while !stopSampling.load(ordering: .relaxed) {
            let count = threadCount()
            if count > peak.load(ordering: .relaxed) { peak.store(count, ordering: .relaxed) }
            usleep(1000)
        }
    }
    @Sendable func one(_ round: Int) async -> Double {
        let begin = nowMicros()
        do {
            let result = try await sandbox.run(command, output: .string(limit: 4096))
            guard result.termination.isSuccess, result.standardOutput.isEmpty else {
                warn("nsthroughput: round \(round): \(result.termination)\n")
                exit(1)
            }
        } catch {
            warn("nsthroughput: round \(round): \(error)\n")
            exit(1)
        }
        return nowMicros() - begin
    }
    let start = nowMicros()
    var latencies: [Double] = []
    if sequential {
        for round in 0..<rounds { latencies.append(await one(round)) }
    } else {
        latencies = await withTaskGroup(of: Double.self) { group in
            for round in 0..<rounds { group.addTask { await one(round) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }
    let seconds = (nowMicros() - start) / 1e6
    stopSampling.store(true, ordering: .relaxed)
    pthread_join(sampler, nil)
    let highest = peak.load(ordering: .relaxed)
    latencies.sort()
    print("spawns \(rounds) seconds \(fixed(seconds, 3)) spawns_per_s \(fixed(Double(rounds) / seconds, 1)) "
        + "p50_us \(Int(latencies[rounds / 2])) p99_us \(Int(latencies[rounds * 99 / 100])) peak_threads \(highest)")
}

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale), fraction = scaled % Int(scale)
    let text = String(fraction)
    return "\(whole).\(String(repeating: "0", count: digits - text.count))\(text)"
}

func list(_ rounds: Int) {
    var times: [Double] = []
    var count = 0
    for _ in 0..<rounds {
        let begin = nowMicros()
        do { count = try listNamespaces().count } catch {
            warn("nsthroughput: \(error)\n")
            exit(1)
        }
        times.append((nowMicros() - begin) / 1e3)
    }
    times.sort()
    print("namespaces \(count) median_ms \(fixed(times[times.count / 2], 3))")
}

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "loop" where args.count >= 2:
    loop(
        rounds: Int(args[1]) ?? 100,
        kinds: parseKinds(args.count > 2 ? args[2] : "Ump"),
        threads: args.count > 3 ? Int(args[3]) ?? 1 : 1,
        busy: args.count > 4 ? Int(args[4]) ?? 0 : 0,
        withInit: args.count > 5 && args[5] == "init")
case "tasks" where args.count >= 2:
    await tasks(
        rounds: Int(args[1]) ?? 1000,
        kinds: parseKinds(args.count > 2 ? args[2] : "Ump"),
        sequential: args.dropFirst(3).contains("sequential"),
        withInit: args.dropFirst(3).contains("init"))
case "list":
    list(args.count > 1 ? Int(args[1]) ?? 10 : 10)
default:
    warn("usage: nsthroughput loop N [KINDS] [THREADS] [BUSY] [init] | tasks N [KINDS] [sequential] [init] | list N\n")
    exit(2)
}

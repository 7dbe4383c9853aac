// nsio: runs one scenario of the library's standard I/O and async waiting, for the tests to
// run as root and as uid 65534 (the test runner itself cannot change its uid). Prints
// `key value` lines; exits 0 when the scenario ran, 1 with a message when it could not.
//
//   nsio capture | stdin | big [BYTES] | limit | stream | many N | namespaces | cancel-wait | cancel-run
//        | term-child exit|ignore|none GRACE_MS FILE
import Glibc
import LinuxNamespaces
import Synchronization
import SystemPackage

/// user + mount + pid with root mapped: what an unprivileged caller can create.
let sandbox: Sandbox = {
    var sandbox = Sandbox(create: [.user, .mount, .pid])
    sandbox.userMapping = .root
    return sandbox
}()

func say(_ key: String, _ value: Any) { print("\(key) \(value)") }

func fail(_ text: String) -> Never {
    _ = "nsio: \(text)\n".withCString { write(2, $0, strlen($0)) }
    exit(1)
}

func nowSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// The `Threads:` line of /proc/self/status.
func threadCount() -> Int {
    let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = read(fd, &buffer, buffer.count)
    let text = String(decoding: buffer[..<max(n, 0)], as: UTF8.self)
    for line in text.split(separator: "\n") where line.hasPrefix("Threads:") {
        return Int(line.dropFirst(8).trimmingPrefix(while: { $0 == " " || $0 == "\t" })) ?? -1
    }
    return -1
}

/// Samples `threadCount()` every millisecond on a thread of its own until stopped; the peak
/// counts the sampler too.
final class ThreadSampler: @unchecked Sendable {
    let peak = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
    var thread = pthread_t()

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let sampler = Unmanaged<ThreadSampler>.fromOpaque(raw!).takeRetainedValue()
            while !sampler.stop.load(ordering: .relaxed) {
                let count = threadCount()
                if count > sampler.peak.load(ordering: .relaxed) { sampler.peak.store(count, ordering: .relaxed) }
                usleep(1000)
            }
            return nil
        }, context)
    }

    func finish() -> Int {
        stop.store(true, ordering: .relaxed)
        pthread_join(thread, nil)
        return peak.load(ordering: .relaxed)
    }
}

/// Whether `pid` still exists (as a process or a zombie).
func exists(_ pid: ProcessID) -> Bool { kill(pid.rawValue, 0) == 0 }

/// How many processes have `marker` in their command line.
func processes(containing marker: String) -> Int {
    guard let proc = opendir("/proc") else { return -1 }
    defer { closedir(proc) }
    var count = 0
    while let entry = readdir(proc) {
        let name = directoryEntryName(entry)
        guard Int32(name) != nil, Int32(name) != getpid() else { continue }
        let fd = open("/proc/\(name)/cmdline", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { continue }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        close(fd)
        if n > 0, String(decoding: buffer[..<n].map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(marker) { count += 1 }
    }
    return count
}

/// Runs `body` in a task, cancels it once `ready()` holds, says how it ended (`run`) and
/// returns the seconds from the cancel to its end.
func cancelRun(when ready: () -> Bool, _ body: @escaping @Sendable () async throws -> Void) async -> Double {
    let task = Task { () -> String in
        do {
            try await body()
            return "returned"
        } catch is CancellationError {
            return "CancellationError"
        } catch {
            return "error \(error)"
        }
    }
    while !ready() { usleep(10_000) }
    let begin = nowSeconds()
    task.cancel()
    say("run", await task.value)
    return nowSeconds() - begin
}

func scenario(_ name: String, _ arguments: [String]) async throws {
    switch name {
    case "capture":
        let result = try await sandbox.run(
            SandboxCommand("sh", ["-c", "echo out $$; echo err >&2; exit 3"]),
            output: .string(limit: 4096), error: .string(limit: 4096))
        say("termination", result.termination)
        say("stdout", result.standardOutput.split(separator: "\n").joined(separator: "|"))
        say("stderr", result.standardError.split(separator: "\n").joined(separator: "|"))
        say("pid", result.processIdentifier.rawValue > 0)
    case "stdin":
        let result = try await sandbox.run(SandboxCommand("tr", ["a-z", "A-Z"]), input: .string("hello sandbox\n"), output: .string(limit: 100))
        say("termination", result.termination)
        say("stdout", result.standardOutput.split(separator: "\n").joined(separator: "|"))
        let bytes = try await sandbox.run(SandboxCommand("wc", ["-c"]), input: .array([1, 2, 3, 0, 255]), output: .bytes(limit: 100))
        say("count", String(decoding: bytes.standardOutput, as: UTF8.self).split(separator: "\n").joined())
    case "big":
        // 100 MB (or BYTES) out of the command, and as much into it and back out at the same time.
        let size = arguments.first.flatMap { Int($0) } ?? 100_000_000
        var begin = nowSeconds()
        let out = try await sandbox.run(SandboxCommand("head", ["-c", "\(size)", "/dev/zero"]), output: .bytes(limit: size))
        say("out_bytes", out.standardOutput.count)
        say("out_zeros", out.standardOutput.allSatisfy { $0 == 0 })
        say("out_seconds", nowSeconds() - begin)
        let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        begin = nowSeconds()
        let echoed = try await sandbox.run(SandboxCommand("cat"), input: .array(input), output: .bytes(limit: size))
        say("cat_equal", echoed.standardOutput == input)
        say("cat_seconds", nowSeconds() - begin)
        say("termination", echoed.termination)
    case "limit":
        let begin = nowSeconds()
        do {
            let result = try await sandbox.run(
                SandboxCommand("sh", ["-c", "echo $$ >&2; head -c 100000 /dev/zero; exec sleep 30"]),
                output: .bytes(limit: 1000), error: .string(limit: 100))
            say("unexpected", result.termination)
        } catch let error as SandboxError {
            say("error", error)
            say("stage", error.stage)
        }
        say("seconds_under_5", nowSeconds() - begin < 5)
    case "stream":
        let script = "echo first; read line; echo \"got $line\"; echo to-err >&2"
        let result = try await sandbox.run(SandboxCommand("sh", ["-c", script]), input: .inputWriter, output: .sequence, error: .string(limit: 100)) { execution in
            var iterator = execution.standardOutput.makeAsyncIterator()
            let first = try await iterator.next() ?? []
            say("first", String(decoding: first, as: UTF8.self).split(separator: "\n").joined())
            say("pid_matches", execution.processIdentifier == execution.process.pid)
            say("namespaces", execution.process.namespaces.keys.map(\.description).sorted().joined(separator: ","))
            try await execution.standardInputWriter.write("second\n")
            try await execution.standardInputWriter.finish()
            var rest: [UInt8] = []
            while let chunk = try await iterator.next() { rest += chunk }
            return String(decoding: rest, as: UTF8.self)
        }
        say("rest", result.closureResult.split(separator: "\n").joined(separator: "|"))
        say("stderr", result.standardError.split(separator: "\n").joined())
        say("termination", result.termination)
        // Lines, and a writer that is not connected.
        let lines = try await sandbox.run(SandboxCommand("printf", ["a\\nb\\nc"]), output: .sequence, error: .discarded) { execution in
            var all: [String] = []
            for try await line in execution.standardOutput.lines { all.append(line) }
            do { try await execution.standardInputWriter.write("x") } catch let error as SandboxError { say("writer_error", error.errno == .badFileDescriptor) }
            return all
        }
        say("lines", lines.closureResult.joined(separator: "|"))
        // Output the closure leaves unread is closed when it returns: `yes` ends by SIGPIPE.
        let unread = try await sandbox.run(SandboxCommand("yes"), output: .sequence, error: .discarded) { _ in }
        say("unread", unread.termination)
    case "many":
        let count = Int(arguments.first ?? "1000") ?? 1000
        let sampler = ThreadSampler()
        sampler.start()
        let begin = nowSeconds()
        let correct = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<count {
                group.addTask {
                    let result = try await sandbox.run(SandboxCommand("/bin/echo", ["sandbox", "\(index)"]), output: .string(limit: 64))
                    return result.termination == .exited(0) && result.standardOutput == "sandbox \(index)\n"
                }
            }
            var correct = 0
            for try await ok in group where ok { correct += 1 }
            return correct
        }
        let seconds = nowSeconds() - begin
        say("correct", correct)
        say("spawns_per_s", Int(Double(count) / seconds))
        say("peak_threads", sampler.finish())
        say("cpus", sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    case "thread-per-waiter":
        // The negative control of `many`: a thread per waiting process (as `wait() async` did
        // before) shows in the sampled peak.
        let count = Int(arguments.first ?? "200") ?? 200
        let sampler = ThreadSampler()
        sampler.start()
        let processes = try (0..<count).map { _ in try sandbox.spawn(SandboxCommand("sleep", ["60"])) }
        var threads: [pthread_t] = []
        for process in processes {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(process).toOpaque()
            pthread_create(&thread, nil, { raw in
                _ = try? Unmanaged<SandboxProcess>.fromOpaque(raw!).takeRetainedValue().wait()
                return nil
            }, context)
            threads.append(thread)
        }
        // Every waiter has its thread now (blocked in poll); end them all.
        usleep(200_000)
        for process in processes { try process.signal(SIGKILL) }
        for thread in threads { pthread_join(thread, nil) }
        say("peak_threads", sampler.finish())
    case "namespaces":
        // While one task and one thread wait for the process, another reads its namespaces.
        let process = try sandbox.spawn(SandboxCommand("sleep", ["1"]))
        let waiter = Task { try await process.wait() }
        let thread = Task.detached { try process.wait() }
        usleep(200_000)
        let begin = nowSeconds()
        let kinds = process.namespaces.count
        let path = process.namespacePath(.mount)
        say("read_ms_under_50", (nowSeconds() - begin) * 1000 < 50)
        say("kinds", kinds)
        say("path", path.hasPrefix("/proc/"))
        say("still_running", exists(process.pid))
        say("task", try await waiter.value)
        say("thread", try await thread.value)
    case "cancel-wait":
        // Cancelling a task that awaits the process detaches: the process runs on.
        let process = try sandbox.spawn(SandboxCommand("sleep", ["30"]))
        let waiter = Task { () -> String in
            do {
                return "returned \(try await process.wait())"
            } catch {
                return (error as? SandboxError)?.errno == .canceled ? "canceled" : "error \(error)"
            }
        }
        usleep(100_000)
        waiter.cancel()
        say("waiter", await waiter.value)
        say("alive_after_cancel", exists(process.pid))
        try process.signal(SIGKILL)
        say("termination", try await process.wait())
    case "cancel-run":
        // Cancelling run kills the command (and its pid namespace) and throws CancellationError.
        let marker = "nsio-cancel-\(getpid())"
        let pids = Mutex<[ProcessID]>([])
        let seconds = await cancelRun(when: { usleep(300_000); return true }) {
            _ = try await sandbox.run(SandboxCommand("sh", ["-c", "(while :; do sleep 1; done) & wait", marker]), output: .string(limit: 10), error: .discarded) { execution in
                pids.withLock { $0.append(execution.process.pid) }
                try await Task.sleep(nanoseconds: 30_000_000_000)
            }
        }
        say("seconds_under_5", seconds < 5)
        let pid = pids.withLock { $0.first }
        say("pid_gone", pid.map { !exists($0) } ?? false)
        usleep(200_000)
        say("left_behind", processes(containing: marker))
    case "term-child":
        // Cancelling run with terminateChildAfter (none: without): the command's TERM trap
        // appends to FILE and exits 3 (exit), or only appends (ignore: SIGKILL must follow).
        guard arguments.count == 3, let grace = Int64(arguments[1]) else { fail("term-child exit|ignore|none GRACE_MS FILE") }
        let trap = "echo term >> \"$1\"" + (arguments[0] == "ignore" ? "" : "; exit 3")
        let script = "trap '\(trap)' TERM; echo ready; while :; do sleep 0.05; done"
        let pids = Mutex<[ProcessID]>([])
        let seconds = await cancelRun(when: { !pids.withLock { $0.isEmpty } }) {
            _ = try await sandbox.run(SandboxCommand("sh", ["-c", script, "sh", arguments[2]]), output: .sequence, error: .discarded,
                terminateChildAfter: arguments[0] == "none" ? nil : .milliseconds(grace)) { execution in
                for try await chunk in execution.standardOutput where chunk.contains(UInt8(ascii: "\n")) { break }
                pids.withLock { $0.append(execution.process.pid) }
                try await Task.sleep(nanoseconds: 30_000_000_000)
            }
        }
        say("elapsed_ms", Int(seconds * 1000))
        say("pid_gone", pids.withLock { $0.first }.map { !exists($0) } ?? false)
    default:
        fail("unknown scenario \(name)")
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first else { fail("usage: nsio SCENARIO [ARGS]") }
do {
    try await scenario(name, Array(arguments.dropFirst()))
} catch {
    fail("\(error)")
}

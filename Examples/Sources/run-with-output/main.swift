// Runs commands in user+pid+mount+net namespaces and gets their output, in the shape of
// swift-subprocess's `run`: collected, fed, streamed, and 1,000 at once from a task group with
// the process's peak thread count printed. `--thread-per-wait` runs the 1,000 the other way
// (a blocking wait on a thread each), for comparison.
import Foundation
import LinuxNamespaces

var sandbox = Sandbox(create: [.user, .pid, .mount, .network])
sandbox.userMapping = .root

// Collected: both outputs as strings, and how it ended.
let result = try await sandbox.run(
    SandboxCommand("sh", ["-c", "id -u; echo $$; echo oops >&2; exit 3"]),
    output: .string(limit: 4096), error: .string(limit: 4096))
print(result.termination, result.standardOutput.debugDescription, result.standardError.debugDescription)  // exited 3 "0\n2\n" "oops\n"

// Input: a string, an array of bytes, or an fd.
let upper = try await sandbox.run(SandboxCommand("tr", ["a-z", "A-Z"]), input: .string("hello\n"), output: .string(limit: 100))
print(upper.standardOutput)  // HELLO

// Streaming: write as the command reads, read as it writes.
let streamed = try await sandbox.run(
    SandboxCommand("sh", ["-c", "read name; echo hello $name"]), input: .inputWriter, output: .sequence, error: .discarded
) { execution in
    try await execution.standardInputWriter.write("sandbox\n")
    try await execution.standardInputWriter.finish()
    var lines: [String] = []
    for try await line in execution.standardOutput.lines { lines.append(line) }
    return lines
}
print(streamed.closureResult)  // ["hello sandbox"]

// Too much output is an error, and the command is killed.
do {
    _ = try await sandbox.run(SandboxCommand("yes"), output: .bytes(limit: 1 << 20))
} catch let error as SandboxError {
    print(error)  // standard I/O: standard output: the command wrote more than the limit ...
}

// 1,000 at once, all alive together (each sleeps a second): each is awaited through its pidfd by
// the library's one epoll thread, not a thread each, so the thread count stays small.
if !CommandLine.arguments.contains("--thread-per-wait") {
    let (outputs, peak) = try await withPeakThreadCount {
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<1000 {
                group.addTask {
                    try await sandbox.run(SandboxCommand("sh", ["-c", "sleep 1; echo \(index)"]), output: .string(limit: 16)).standardOutput
                }
            }
            var outputs: [String] = []
            for try await output in group { outputs.append(output) }
            return outputs
        }
    }
    print("\(outputs.count) outputs, \(Set(outputs).count) distinct; peak threads: \(peak)")  // 1000 outputs, 1000 distinct; peak threads: 5
} else {
    // For comparison: the same 1,000, each awaited by the blocking wait() on a thread of its own.
    let (terminations, peak) = try await withPeakThreadCount {
        try await withThrowingTaskGroup(of: Termination.self) { group in
            for _ in 0..<1000 {
                let process = try sandbox.spawn(SandboxCommand("sleep", ["1"]))
                group.addTask { try await waitOnAThreadOfItsOwn(process) }
            }
            var terminations: [Termination] = []
            for try await termination in group { terminations.append(termination) }
            return terminations
        }
    }
    print("thread per wait: \(terminations.count) ended; peak threads: \(peak)")  // about 1000
}

/// The process's thread count as the kernel reports it: `Threads:` in /proc/self/status (the
/// library's `currentThreadCount()` counts /proc/self/task, the same number).
func threadCount() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? ""
    return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
}

/// Runs `body` while a task samples the thread count every millisecond; returns the peak too.
func withPeakThreadCount<T>(_ body: () async throws -> T) async throws -> (T, Int) {
    let sampler = Task {
        var peak = threadCount()
        while !Task.isCancelled {
            peak = max(peak, threadCount())
            try? await Task.sleep(for: .milliseconds(1))
        }
        return peak
    }
    do {
        let result = try await body()
        sampler.cancel()
        return (result, await sampler.value)
    } catch {
        sampler.cancel()
        throw error
    }
}

/// What a library without one epoll thread does: block a thread of its own in wait().
func waitOnAThreadOfItsOwn(_ process: SandboxProcess) async throws -> Termination {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try process.wait() }) }.start()
    }
}

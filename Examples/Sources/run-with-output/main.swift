// Runs commands in user+pid+mount+net namespaces and gets their output, in the shape of
// swift-subprocess's `run`: collected, fed, streamed, and 1,000 at once from a task group.
import LinuxNamespaces

var sandbox = Sandbox(create: [.user, .pid, .mount, .network])
sandbox.userMapping = .root

// Collected: both outputs as strings, and how it ended.
let result = try await sandbox.run(
    SandboxCommand("sh", ["-c", "id -u; echo oops >&2; exit 3"]),
    output: .string(limit: 4096), error: .string(limit: 4096))
print(result.termination, result.standardOutput, result.standardError)  // exited(3) "0\n" "oops\n"

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

// 1,000 at once: each awaited through its pidfd by one thread, not a thread each.
let outputs = try await withThrowingTaskGroup(of: String.self) { group in
    for index in 0..<1000 {
        group.addTask {
            try await sandbox.run(SandboxCommand("/bin/echo", ["\(index)"]), output: .string(limit: 16)).standardOutput
        }
    }
    var outputs: [String] = []
    for try await output in group { outputs.append(output) }
    return outputs
}
print(outputs.count)  // 1000

import CNamespaces
import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage

/// Runs `command` in `sandbox` with its stdout captured; returns what it printed and how it
/// ended.
func runCapturing(_ sandbox: Sandbox, _ executable: String, _ arguments: [String] = []) throws
    -> (output: String, termination: Termination)
{
    let fds = makePipe()
    var command = SandboxCommand(executable, arguments)
    command.fileDescriptors[.standardOutput] = FileDescriptor(rawValue: fds[1])
    let process: SandboxProcess
    do {
        process = try sandbox.spawn(command)
    } catch {
        close(fds[0]); close(fds[1])
        throw error
    }
    close(fds[1])
    let output = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
    return (String(decoding: output, as: UTF8.self), try process.wait())
}

/// A shell snippet that prints `KIND INODE` for every namespace of the shell.
let printNamespaces =
    "for k in cgroup ipc mnt net pid time user uts; do echo $k $(stat -L -c %i /proc/self/ns/$k); done"

/// `KIND INODE` lines parsed into a dictionary.
func namespaceLines(_ output: String) -> [String: UInt64] {
    var result: [String: UInt64] = [:]
    for line in output.split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, let inode = UInt64(parts[1]) { result[String(parts[0])] = inode }
    }
    return result
}

/// Processes whose parent is `pid` and whose state is zombie, from /proc/*/stat.
func zombieChildren(of pid: Int32) -> Int {
    var count = 0
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
        guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { continue }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        if fields.count > 1, fields[0] == "Z", Int32(fields[1]) == pid { count += 1 }
    }
    return count
}

/// Pids of processes whose command line contains `marker`.
func processes(matching marker: String) -> [Int32] {
    var result: [Int32] = []
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry),
            let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
        else { continue }
        let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        if line.contains(marker) { result.append(pid) }
    }
    return result
}

/// Polls `condition` every 10 ms for up to `seconds`.
func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// A close-on-exec pipe: [read end, write end].
func makePipe() -> [Int32] {
    var fds: [Int32] = [-1, -1]
    precondition(cn_pipe_cloexec(&fds) == 0)
    return fds
}

import CNamespaces
import Glibc
import SystemPackage

/// Writing id maps an ordinary user may not write itself, through the setuid helpers of the
/// shadow suite: newuidmap(1) and newgidmap(1), which check `/etc/subuid` and `/etc/subgid`.
enum IDMapHelpers {
    static func write(_ mapping: ResolvedMapping, pid: ProcessID) throws(SandboxError) {
        if let setgroups = mapping.setgroups {
            do {
                try writeIDMaps(of: pid, uidMap: nil, gidMap: nil, setgroups: setgroups)
            } catch {
                throw SandboxError(idMaps: error)
            }
        }
        if let map = mapping.uidMap { try run("newuidmap", pid, map) }
        if let map = mapping.gidMap { try run("newgidmap", pid, map) }
    }

    /// Runs `helper PID INSIDE OUTSIDE COUNT...`, and turns a failure into an error carrying
    /// what the helper printed.
    private static func run(_ helper: String, _ pid: ProcessID, _ map: IDMap) throws(SandboxError) {
        let candidates: [String] = ["/usr/bin/\(helper)", "/bin/\(helper)", "/usr/sbin/\(helper)"]
        guard let path = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw SandboxError(.idMaps, .idMapHelper(helper), errno: .noSuchFileOrDirectory,
                detail: "\(helper) is needed to map ids beyond your own as an ordinary user",
                hint: "install it (Debian: apt-get install uidmap), or run as root")
        }
        let arguments = [helper, String(pid.rawValue)] + map.mappings.flatMap {
            [String($0.inside), String($0.outside), String($0.count)]
        }
        let (status, output) = runCapturingStderr(path, arguments)
        guard status == 0 else {
            let file = helper == "newuidmap" ? "/etc/subuid" : "/etc/subgid"
            throw SandboxError(.idMaps, .idMapHelper(helper),
                detail: "exited with status \(status): \(output.trimmingWhitespace())",
                hint: "the ranges must be yours in \(file)")
        }
    }

    /// posix_spawn (safe in a multithreaded process) with stderr captured; returns the exit
    /// status (or 128+signal) and what was printed.
    private static func runCapturingStderr(_ path: String, _ arguments: [String]) -> (Int32, String) {
        var pipeFDs: [Int32] = [-1, -1]
        guard cn_pipe_cloexec(&pipeFDs) == 0 else { return (125, "pipe2: \(Errno.current)") }
        defer { close(pipeFDs[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(pipeFDs[1])
        guard spawned == 0 else { return (126, "posix_spawn: \(Errno(rawValue: spawned))") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(pipeFDs[0], $0.baseAddress, $0.count) }
            if n < 0 && Errno.current == .interrupted { continue }
            if n <= 0 { break }
            output += buffer[..<n]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && Errno.current == .interrupted {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: output, as: UTF8.self))
    }
}

import Glibc

/// Finds the command before the clone, as execvp(3) will in the child, so that a missing or
/// non-executable command is an error of `spawn` with the shell's exit status (127, 126).
enum ExecutableLookup {
    ///
    /// - Returns: for a name looked up in PATH, the rest of PATH from the first directory
    ///   where the name exists: the directories before it hold nothing execvp(3) could run, so
    ///   the child, seeing the same files, need not try them again (each try is an execve).
    @discardableResult
    static func check(_ command: SandboxCommand) throws(SandboxError) -> String? {
        let name = command.executable
        if name.contains("/") {
            try checkFile(name, command)
            return nil
        }
        var sawNotExecutable = false
        var firstPresent: String.Index?
        let path = command.searchPath
        var start = path.startIndex
        while true {
            let end = path[start...].firstIndex(of: ":") ?? path.endIndex
            let dir = path[start..<end]
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            // One access(2) for a directory without the name, as most PATH entries are.
            if access(candidate, F_OK) == 0 {
                if firstPresent == nil { firstPresent = start }
                if isExecutableFile(candidate) { return String(path[(firstPresent ?? start)...]) }
                if !isDirectory(candidate) { sawNotExecutable = true }
            }
            guard end < path.endIndex else { break }
            start = path.index(after: end)
        }
        if sawNotExecutable {
            throw SandboxError(.commandNotExecutable, .lookup(name), errno: .permissionDenied,
                detail: "found in PATH but not executable", hint: "chmod +x it, or give another path")
        }
        throw SandboxError(.commandNotFound, .lookup(name), errno: .noSuchFileOrDirectory,
            detail: "not found in PATH (\(command.searchPath))", hint: "give its full path or fix PATH")
    }

    private static func checkFile(_ path: String, _ command: SandboxCommand) throws(SandboxError) {
        guard access(path, F_OK) == 0 else {
            throw SandboxError(.commandNotFound, .lookup(path), errno: .current, detail: "no such file")
        }
        guard isExecutableFile(path) else {
            throw SandboxError(.commandNotExecutable, .lookup(path), errno: .permissionDenied,
                detail: isDirectory(path) ? "is a directory" : "not executable",
                hint: "chmod +x it, or give another path")
        }
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        access(path, X_OK) == 0 && !isDirectory(path)
    }
}

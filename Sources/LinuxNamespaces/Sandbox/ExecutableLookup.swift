import Glibc

/// Finds the command before the clone, as execvp(3) will in the child, so that a missing or
/// non-executable command is an error of `spawn` with the shell's exit status (127, 126).
enum ExecutableLookup {
    static func check(_ command: SandboxCommand) throws(SandboxError) {
        let name = command.executable
        if name.contains("/") {
            try checkFile(name, command)
            return
        }
        var sawNotExecutable = false
        for dir in command.searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if isExecutableFile(candidate) { return }
            if access(candidate, F_OK) == 0 && !isDirectory(candidate) { sawNotExecutable = true }
        }
        if sawNotExecutable {
            throw SandboxError(.commandNotExecutable, step: name, errno: .permissionDenied,
                detail: "found in PATH but not executable", hint: "chmod +x it, or give another path")
        }
        throw SandboxError(.commandNotFound, step: name, errno: .noSuchFileOrDirectory,
            detail: "not found in PATH (\(command.searchPath))", hint: "give its full path or fix PATH")
    }

    private static func checkFile(_ path: String, _ command: SandboxCommand) throws(SandboxError) {
        guard access(path, F_OK) == 0 else {
            throw SandboxError(.commandNotFound, step: path, errno: .current, detail: "no such file")
        }
        guard isExecutableFile(path) else {
            throw SandboxError(.commandNotExecutable, step: path, errno: .permissionDenied,
                detail: isDirectory(path) ? "is a directory" : "not executable",
                hint: "chmod +x it, or give another path")
        }
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        access(path, X_OK) == 0 && !isDirectory(path)
    }
}

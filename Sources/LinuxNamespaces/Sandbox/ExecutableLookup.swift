import Glibc
import SystemPackage

/// Finds the command before the clone, as execvp(3) will in the child, so that a missing or
/// non-executable command is an error of `spawn` with the shell's exit status (127, 126).
enum ExecutableLookup {
    /// What a PATH search meets, in this process's view of the files.
    enum Search {
        /// `candidate` is an executable file; `rest`: PATH from the first entry where the name
        /// exists (the entries before it hold nothing execvp(3) could run).
        case found(candidate: String, rest: String)
        /// Nothing to run: `candidate` is what execvp(3) reports `errno` for (the first EACCES,
        /// or the error that stopped the search), nil when no entry has the name.
        case failed(candidate: String?, errno: Errno)
    }

    ///
    /// - Returns: for a name looked up in PATH, the rest of PATH from the first directory
    ///   where the name exists: the directories before it hold nothing execvp(3) could run, so
    ///   the child, seeing the same files, need not try them again (each try is an execve).
    @discardableResult
    static func check(_ command: SandboxCommand) throws(SandboxError) -> String? {
        let name = command.executable
        if name.contains("/") {
            try checkFile(name)
            return nil
        }
        switch search(name, in: command.searchPath) {
        case .found(_, let rest):
            return rest
        case .failed(let candidate?, let errno):
            throw ExecDiagnosis.error(.lookup(name), path: candidate, errno: errno, name: name)
        case .failed(nil, let errno):
            throw SandboxError(.commandNotFound, .lookup(name), errno: errno,
                detail: "not found in PATH (\(command.searchPath))", hint: "give its full path or fix PATH")
        }
    }

    /// Searches `path` for `name` by glibc's execvpe rule: EACCES from any entry is remembered
    /// and reported if nothing is found; ENOENT, ENOTDIR, ESTALE, ENODEV and ETIMEDOUT entries
    /// are skipped; any other error stops the search.
    static func search(_ name: String, in path: String) -> Search {
        var denied: String?
        var firstPresent: String.Index?
        var start = path.startIndex
        while true {
            let end = path[start...].firstIndex(of: ":") ?? path.endIndex
            let dir = path[start..<end]
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            // One access(2) for a directory without the name, as most PATH entries are.
            if access(candidate, F_OK) == 0 {
                if firstPresent == nil { firstPresent = start }
                if isExecutableFile(candidate) {
                    return .found(candidate: candidate, rest: String(path[(firstPresent ?? start)...]))
                }
                // execve(2) refuses a directory or a file without x with EACCES.
                if denied == nil { denied = candidate }
            } else {
                switch Glibc.errno {
                case EACCES: if denied == nil { denied = candidate }
                case ENOENT, ENOTDIR, ESTALE, ENODEV, ETIMEDOUT: break
                case let other: return .failed(candidate: candidate, errno: Errno(rawValue: other))
                }
            }
            guard end < path.endIndex else { break }
            start = path.index(after: end)
        }
        return .failed(candidate: denied, errno: denied == nil ? .noSuchFileOrDirectory : .permissionDenied)
    }

    private static func checkFile(_ path: String) throws(SandboxError) {
        guard access(path, F_OK) == 0 else {
            let errno = Errno.current
            throw errno == .noSuchFileOrDirectory
                ? SandboxError(.commandNotFound, .lookup(path), errno: errno, detail: "no such file")
                : ExecDiagnosis.error(.lookup(path), path: path, errno: errno)
        }
        guard isExecutableFile(path) else {
            throw ExecDiagnosis.error(.lookup(path), path: path, errno: .permissionDenied)
        }
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        access(path, X_OK) == 0 && !isDirectory(path)
    }
}

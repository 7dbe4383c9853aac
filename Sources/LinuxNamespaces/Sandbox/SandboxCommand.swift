import Glibc
import SystemPackage

/// The program a sandbox runs, with its arguments, environment, working directory and file
/// descriptors.
public struct SandboxCommand: Sendable, Hashable {
    /// The program: a path, or a name looked up in `PATH` as execvp(3) does.
    public var executable: String
    /// The arguments after argv[0].
    public var arguments: [String]
    /// argv[0]; nil means `executable`.
    public var argv0: String?
    /// The environment; nil inherits the caller's at the time of `spawn`.
    public var environment: [String: String]?
    /// The order in which the command gets `environment`'s names (`nsbox enter --env` keeps
    /// nsenter's); names not listed follow, sorted.
    public var environmentOrder: [String] = []
    /// The working directory inside; nil keeps the caller's.
    public var workingDirectory: FilePath?
    /// A directory the caller has open, made the command's root (fchdir(2) and chroot(2)) after
    /// the namespaces are entered and before `workingDirectory`: `nsenter --root`, whose
    /// directory is opened before any namespace is entered. The working directory stays the
    /// one the process had unless `workingDirectoryFD` or `workingDirectory` says otherwise.
    public var rootDirectoryFD: FileDescriptor?
    /// A directory the caller has open, entered (fchdir(2)) after `rootDirectoryFD` and before
    /// `workingDirectory`: `nsenter --wd`.
    public var workingDirectoryFD: FileDescriptor?
    /// The command's file descriptors: key is the fd in the command, value the caller's fd it
    /// is a copy of. Every other fd is closed. The default passes 0, 1 and 2 through.
    public var fileDescriptors: [FileDescriptor: FileDescriptor] {
        get {
            var table: [FileDescriptor: FileDescriptor] = [:]
            for pair in descriptorPairs { table[FileDescriptor(rawValue: pair.target)] = FileDescriptor(rawValue: pair.source) }
            return table
        }
        set {
            descriptorPairs = newValue.map { FDPair(target: $0.key.rawValue, source: $0.value.rawValue) }.sorted { $0.target < $1.target }
        }
    }
    /// `fileDescriptors` sorted by target. Stored as an array: a dictionary costs every spawn
    /// a generic instantiation, which shows in a command-line tool's start-up.
    private(set) var descriptorPairs: [FDPair]
    /// What happens to the caller's other fds: closed (the default, since in a library a stray
    /// fd is another thread's leak), or passed on as execve(2) passes them.
    public var inheritedFileDescriptors: InheritedFileDescriptors
    /// Whether the command starts with the calling thread's signal mask. By default it starts
    /// with no signal blocked: the thread that calls `spawn` may be a Dispatch or Swift
    /// concurrency worker, which blocks SIGTERM, SIGINT and others for itself. Signals the
    /// process ignores stay ignored in the command either way, as execve(2) keeps them.
    public var inheritsSignalMask: Bool
    /// An open executable to run instead of looking up `executable` (re-executing ourselves).
    var executableFD: Int32?

    /// A command running `executable` with `arguments`, the caller's environment, working
    /// directory and standard input, output and error.
    public init(_ executable: String, _ arguments: [String] = []) {
        self.executable = executable
        self.arguments = arguments
        self.argv0 = nil
        self.environment = nil
        self.workingDirectory = nil
        self.rootDirectoryFD = nil
        self.workingDirectoryFD = nil
        self.descriptorPairs = [FDPair(target: 0, source: 0), FDPair(target: 1, source: 1), FDPair(target: 2, source: 2)]
        self.inheritsSignalMask = false
        self.executableFD = nil
        self.inheritedFileDescriptors = .none
    }

    /// Passes the caller's `fd` to the command under the same number.
    @available(*, deprecated, message: "pass a FileDescriptor: pass(FileDescriptor(rawValue: fd))")
    public mutating func pass(_ fd: Int32) { place(fd, at: fd) }

    /// Makes the command's fd `target` a copy of the caller's `source`, keeping the table sorted.
    mutating func place(_ source: Int32, at target: Int32) {
        descriptorPairs.removeAll { $0.target == target }
        let index = descriptorPairs.firstIndex { $0.target > target } ?? descriptorPairs.endIndex
        descriptorPairs.insert(FDPair(target: target, source: source), at: index)
    }

    /// The PATH the command is looked up in: its own environment's, or the default of execvp.
    var searchPath: String {
        (environment?["PATH"] ?? getenv("PATH").map { String(cString: $0) })
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    }

    /// The environment as `NAME=value` strings.
    var environmentStrings: [String] {
        if let environment, environmentOrder.isEmpty {
            return environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        }
        if let environment {
            var seen = Set<String>()
            let listed = environmentOrder.filter { environment[$0] != nil && seen.insert($0).inserted }
            return (listed + environment.keys.filter { !seen.contains($0) }.sorted()).map { "\($0)=\(environment[$0]!)" }
        }
        var result: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            result.append(String(cString: entry))
            cursor += 1
        }
        return result
    }
}

/// Which of the caller's fds a command gets besides those in `SandboxCommand.fileDescriptors`.
public enum InheritedFileDescriptors: Sendable, Hashable {
    /// None: every other fd is closed before the command starts.
    case none
    /// Every fd that is not close-on-exec keeps its number in the command, as execve(2) keeps
    /// it (unshare(1) and nsenter(1) do this); `fileDescriptors` still replace theirs.
    case all
}

/// One fd of a command: `target` in the command is a copy of the caller's `source`.
struct FDPair: Sendable, Hashable {
    var target: Int32
    var source: Int32
}

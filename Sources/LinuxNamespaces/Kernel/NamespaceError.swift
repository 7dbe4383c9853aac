import CNamespaces
import SystemPackage

/// A namespace operation that failed: which operation, on what, the kernel's errno, and a hint
/// that says how to fix it where one is known.
///
/// Its `description` is one line meant for people:
/// `unshare(user): EINVAL (Invalid argument): this process has 9 threads; ...`.
public struct NamespaceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being done.
    public enum Operation: String, Sendable, Equatable {
        /// unshare(2) of the calling process.
        case unshare
        /// setns(2) of the calling process or thread.
        case setns
        /// Opening a namespace file or a process's pidfd.
        case open
        /// Reading a namespace's id, kind, owner or parent (stat(2), ioctl_ns(2)).
        case inspect
        /// Writing `uid_map`, `gid_map` or `setgroups`.
        case writeIDMap
        /// Reading `uid_map` or `gid_map`.
        case readIDMap
        /// Parsing text a user gave (a kind name, a mapping line).
        case parse
        /// Checking a value before anything is done with it.
        case validate
        /// Creating a directory (mkdir(2)), such as the one that holds named namespaces.
        case makeDirectory = "mkdir"
        /// Making a directory a mount point or setting its propagation (mount(2)).
        case mount
        /// Detaching a namespace bound on a file (umount2(2)).
        case unmount = "umount"
        /// Deleting a file (unlink(2)).
        case unlink
    }

    /// What was being done.
    public var operation: Operation
    /// The namespace kinds involved, if any.
    public var kinds: NamespaceSet
    /// The file involved, if any.
    public var path: FilePath?
    /// The process involved, if any.
    public var pid: ProcessID?
    /// The kernel's error, if the kernel refused.
    public var errno: Errno?
    /// What failed, in words.
    public var detail: String
    /// How to fix it, where known.
    public var hint: String?

    /// An error for `operation`; every other field is optional.
    public init(
        _ operation: Operation, kinds: NamespaceSet = [], path: FilePath? = nil,
        pid: ProcessID? = nil, errno: Errno? = nil, detail: String = "", hint: String? = nil
    ) {
        self.operation = operation
        self.kinds = kinds
        self.path = path
        self.pid = pid
        self.errno = errno
        self.detail = detail
        self.hint = hint
    }

    /// One line: `operation(kinds) path pid: ERRNO (text): detail; hint`.
    public var description: String {
        var head = operation.rawValue
        if !kinds.isEmpty { head += "(\(kinds))" }
        if let path { head += " \(path)" }
        if let pid { head += " pid \(pid.rawValue)" }
        var parts: [String] = []
        if let errno { parts.append(errno.symbolicDescription) }
        if !detail.isEmpty { parts.append(detail) }
        var line = head + ": " + parts.joined(separator: ": ")
        if let hint { line += "; " + hint }
        return line
    }
}

extension Errno {
    /// `EPERM (Operation not permitted)`: the symbolic name and the C library's text.
    public var symbolicDescription: String {
        guard let name = cn_errno_name(rawValue) else { return "errno \(rawValue) (\(self))" }
        return "\(String(cString: name)) (\(self))"
    }

    /// The calling thread's errno, read right after a failed call.
    static var current: Errno { Errno(rawValue: cn_errno()) }
}

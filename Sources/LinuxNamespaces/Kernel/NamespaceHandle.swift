import CNamespaces
import Glibc
import SystemPackage

/// An open namespace file (`/proc/PID/ns/KIND`, a bind mount of one, or an fd from
/// `NS_GET_USERNS`/`NS_GET_PARENT`) whose kind the kernel has confirmed.
///
/// Holding the descriptor keeps the namespace alive. Close it with `close()`.
public struct NamespaceHandle: Sendable {
    /// The open file descriptor (`O_RDONLY | O_CLOEXEC`).
    public let fileDescriptor: FileDescriptor
    /// The namespace's kind, as `NS_GET_NSTYPE` reported it.
    public let kind: NamespaceKind

    /// Takes ownership of `fd`, checking with `NS_GET_NSTYPE` that it is a namespace, and of
    /// kind `expected` when given. On failure `fd` is left open: it is still the caller's.
    /// - Throws: `NamespaceError` (`.inspect`) when `fd` is not a namespace file, or is one of
    ///   another kind.
    public init(adopting fd: FileDescriptor, expecting expected: NamespaceKind? = nil)
        throws(NamespaceError)
    {
        self.kind = try namespaceKind(of: fd, path: nil, expecting: expected)
        self.fileDescriptor = fd
    }

    /// Opens a namespace file, checking that it is one, and of kind `expected` when given.
    ///
    /// - Parameters:
    ///   - path: `/proc/PID/ns/KIND`, or a file a namespace is bind-mounted on.
    ///   - expected: the kind the file must be, or nil for any.
    /// - Throws: `NamespaceError` (`.open`) when the file cannot be opened, (`.inspect`) when it
    ///   is not a namespace file or is of another kind.
    /// The corresponding C function is `open`.
    public static func open(path: FilePath, expecting expected: NamespaceKind? = nil)
        throws(NamespaceError) -> NamespaceHandle
    {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec])
        } catch {
            let errno = error as? Errno
            throw NamespaceError(
                .open, kinds: expected.map(NamespaceSet.init) ?? [], path: path, errno: errno,
                detail: "cannot open the namespace file",
                hint: openHint(errno))
        }
        do {
            let kind = try namespaceKind(of: fd, path: path, expecting: expected)
            return NamespaceHandle(fileDescriptor: fd, kind: kind)
        } catch {
            try? fd.close()
            throw error
        }
    }

    /// Opens the namespace of `kind` that process `pid` is in (`/proc/PID/ns/KIND`).
    /// - Throws: `NamespaceError` (`.open`), for example ENOENT when the process is gone.
    public static func open(_ kind: NamespaceKind, of pid: ProcessID) throws(NamespaceError)
        -> NamespaceHandle
    {
        do {
            return try open(path: FilePath(namespacePath(kind, of: pid)), expecting: kind)
        } catch var error {
            error.pid = pid
            throw error
        }
    }

    private init(fileDescriptor: FileDescriptor, kind: NamespaceKind) {
        self.fileDescriptor = fileDescriptor
        self.kind = kind
    }

    /// The namespace's id (nsfs device and inode).
    /// The corresponding C function is `fstat`.
    public func id() throws(NamespaceError) -> NamespaceID {
        try NamespaceID(fileDescriptor: fileDescriptor)
    }

    /// The user namespace that owns this namespace: the one whose capabilities govern it.
    /// - Throws: `NamespaceError` (`.inspect`); EPERM when the owner is outside the caller's
    ///   own user namespace.
    /// The corresponding request is `NS_GET_USERNS`: ioctl_ns(2).
    public func owner() throws(NamespaceError) -> NamespaceHandle {
        try related(CN_NS_GET_USERNS, "owner user namespace")
    }

    /// The parent of this PID or user namespace.
    /// - Throws: `NamespaceError` (`.inspect`); EINVAL for kinds without a hierarchy (only pid
    ///   and user have parents), EPERM when the parent is outside the caller's reach (the
    ///   initial namespace has none that we may see).
    /// The corresponding request is `NS_GET_PARENT`: ioctl_ns(2).
    public func parent() throws(NamespaceError) -> NamespaceHandle {
        try related(CN_NS_GET_PARENT, "parent namespace")
    }

    /// The uid (in the caller's user namespace) of the user who created this user namespace.
    /// - Throws: `NamespaceError` (`.inspect`); EINVAL when this is not a user namespace.
    /// The corresponding request is `NS_GET_OWNER_UID`: ioctl_ns(2).
    public func ownerUID() throws(NamespaceError) -> uid_t {
        var uid: uid_t = 0
        guard cn_ns_get_owner_uid(fileDescriptor.rawValue, &uid) == 0 else {
            throw NamespaceError(
                .inspect, kinds: NamespaceSet(kind), errno: .current,
                detail: "cannot read the owner uid",
                hint: kind == .user ? nil : "only a user namespace has an owner uid")
        }
        return uid
    }

    /// Moves the calling process into this namespace.
    ///
    /// For user and mount namespaces the process must be single-threaded (checked first, with
    /// an error that says so); for net, uts, ipc, cgroup only the calling thread moves; for pid
    /// and time only children created afterwards are inside.
    /// - Throws: `NamespaceError` (`.setns`).
    /// The corresponding system call is setns(2).
    public func enter() throws(NamespaceError) {
        try setNamespace(fileDescriptor, kind: kind)
    }

    /// Closes the descriptor. The namespace lives on while any process or file holds it.
    public func close() throws(NamespaceError) {
        do { try fileDescriptor.close() } catch {
            throw NamespaceError(.inspect, errno: error as? Errno, detail: "close failed")
        }
    }

    private func related(_ request: UInt, _ what: String) throws(NamespaceError) -> NamespaceHandle {
        let raw = cn_ioctl_none(fileDescriptor.rawValue, request)
        guard raw >= 0 else {
            let errno = Errno.current
            var hint: String?
            if errno == .invalidArgument, request == CN_NS_GET_PARENT {
                hint = "only pid and user namespaces have a parent"
            } else if errno == .permissionDenied || errno == .notPermitted {
                hint = "the \(what) is outside this process's user namespace, so it cannot be named"
            }
            throw NamespaceError(
                .inspect, kinds: NamespaceSet(kind), errno: errno,
                detail: "cannot get the \(what)", hint: hint)
        }
        let fd = FileDescriptor(rawValue: raw)
        do { return try NamespaceHandle(adopting: fd) } catch {
            try? fd.close()
            throw error
        }
    }
}

/// What to do when a namespace file cannot be opened.
private func openHint(_ errno: Errno?) -> String? {
    switch errno {
    case .noSuchFileOrDirectory?: "check the path (a process's namespaces are /proc/PID/ns/KIND); the process may be gone"
    case .permissionDenied?, .notPermitted?:
        "reading another process's namespaces needs ptrace access to it: the same user and no more capabilities, or CAP_SYS_PTRACE"
    default: nil
    }
}

/// The kind of the namespace `fd` refers to, checked against `expected`.
func namespaceKind(of fd: FileDescriptor, path: FilePath?, expecting expected: NamespaceKind?)
    throws(NamespaceError) -> NamespaceKind
{
    let raw = cn_ioctl_none(fd.rawValue, CN_NS_GET_NSTYPE)
    guard raw >= 0 else {
        let errno = Errno.current
        throw NamespaceError(
            .inspect, kinds: expected.map(NamespaceSet.init) ?? [], path: path, errno: errno,
            detail: errno == .inappropriateIOCTLForDevice || errno == .invalidArgument
                ? "not a namespace file" : "cannot read the namespace kind",
            hint: "give /proc/PID/ns/KIND, or a file a namespace is bind-mounted on")
    }
    guard let kind = NamespaceKind(cloneFlag: raw) else {
        throw NamespaceError(
            .inspect, path: path, detail: "unknown namespace type \(raw) from NS_GET_NSTYPE")
    }
    if let expected, kind != expected {
        throw NamespaceError(
            .inspect, kinds: NamespaceSet(expected), path: path,
            detail: "this is a \(kind) namespace, not a \(expected) namespace",
            hint: "give the \(expected.procName) file, /proc/PID/ns/\(expected.procName)")
    }
    return kind
}

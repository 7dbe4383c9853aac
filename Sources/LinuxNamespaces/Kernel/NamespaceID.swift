import Glibc
import SystemPackage

/// The identity of one namespace: the nsfs device and inode number of its file.
///
/// Two processes share a namespace exactly when their `/proc/PID/ns/KIND` files have the same
/// device and inode. The inode alone is what `lsns` and `readlink /proc/PID/ns/KIND` print
/// (`net:[4026531840]`); it is 64 bits wide.
public struct NamespaceID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The device number of the nsfs file system.
    public var device: UInt64
    /// The inode number, as `lsns` prints it in its NS column.
    public var inode: UInt64

    /// An id from a device and inode number.
    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The id of the namespace of `kind` that `pid` is in.
    ///
    /// - Throws: `NamespaceError` (`.inspect`) when `/proc/PID/ns/KIND` cannot be read, for
    ///   example ESRCH/ENOENT for a process that is gone.
    /// The corresponding C function is `stat`.
    public init(_ kind: NamespaceKind, of pid: ProcessID = .current) throws(NamespaceError) {
        try self.init(path: FilePath(namespacePath(kind, of: pid)), kind: kind, pid: pid)
    }

    /// The id of the namespace that a namespace file (`/proc/PID/ns/KIND`, or a bind mount of
    /// one) refers to.
    /// The corresponding C function is `stat`.
    public init(path: FilePath) throws(NamespaceError) {
        try self.init(path: path, kind: nil, pid: nil)
    }

    private init(path: FilePath, kind: NamespaceKind?, pid: ProcessID?) throws(NamespaceError) {
        var info = stat()
        let result = path.withPlatformString { stat($0, &info) }
        guard result == 0 else {
            throw NamespaceError(
                .inspect, kinds: kind.map(NamespaceSet.init) ?? [], path: path, pid: pid,
                errno: .current, detail: "cannot read the namespace file")
        }
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// The id of the namespace an open namespace file descriptor refers to.
    /// The corresponding C function is `fstat`.
    public init(fileDescriptor fd: FileDescriptor) throws(NamespaceError) {
        var info = stat()
        guard fstat(fd.rawValue, &info) == 0 else {
            throw NamespaceError(.inspect, errno: .current, detail: "fstat of fd \(fd.rawValue) failed")
        }
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Orders by device, then inode.
    public static func < (lhs: NamespaceID, rhs: NamespaceID) -> Bool {
        (lhs.device, lhs.inode) < (rhs.device, rhs.inode)
    }

    /// The inode number, as lsns(8) prints it.
    public var description: String { String(inode) }
}

/// The path of a process's namespace file: `/proc/PID/ns/KIND` (`/proc/self/ns/KIND` for the
/// caller).
public func namespacePath(_ kind: NamespaceKind, of pid: ProcessID = .current) -> String {
    "\(pid.procDirectory)/ns/\(kind.procName)"
}

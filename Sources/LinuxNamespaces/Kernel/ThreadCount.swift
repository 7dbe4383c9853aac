import Glibc
import SystemPackage

/// The number of threads in the calling process, counted from `/proc/self/task`.
///
/// `unshare(CLONE_NEWUSER)` and `setns` into a user or mount namespace fail with EINVAL when this
/// is more than one: unshare(2), setns(2).
public func currentThreadCount() -> Int {
    guard let dir = opendir("/proc/self/task") else { return 1 }
    defer { closedir(dir) }
    var count = 0
    while let entry = readdir(dir) {
        if entry.pointee.d_name.0 != CChar(UInt8(ascii: ".")) { count += 1 }
    }
    return max(count, 1)
}

/// The error for a namespace change that needs a single-threaded process, or nil when the
/// process has one thread. The kernel's own answer is a bare EINVAL.
func multithreadedError(
    _ operation: NamespaceError.Operation, kinds: NamespaceSet, path: FilePath? = nil
) -> NamespaceError? {
    let threads = currentThreadCount()
    guard threads > 1 else { return nil }
    return NamespaceError(
        operation, kinds: kinds, path: path, errno: .invalidArgument,
        detail: "this process has \(threads) threads, and the kernel lets only a single-threaded "
            + "process \(operation == .unshare ? "create a user namespace" : "enter a user or mount namespace")",
        hint: "do it in a single-threaded child process instead: Sandbox.spawn creates and joins "
            + "namespaces in a child that runs no Swift code")
}

import CNamespaces
import Glibc

/// Whether `path` (by default `/proc`) is the root of a procfs mount, checked with fstatfs(2).
///
/// Everything this package reads or writes under `/proc` (namespace links, id maps,
/// `timens_offsets`) means something only on a real procfs; a tmpfs or bind mount over `/proc`
/// could feed it anything. The id-map writers check each file themselves; a program can check
/// once at start-up:
///
/// ```swift
/// guard isProcFileSystem() else { fatalError("mount proc on /proc") }
/// ```
public func isProcFileSystem(_ path: String = "/proc") -> Bool {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return cn_fd_is_procfs(fd) == 1
}

import CNamespaces
import Glibc
import SystemPackage

/// A namespace a process holds open: the kind read from the link text of `/proc/PID/fd/N`
/// (`net:[4026532290]`), the id from stat(2) of the same link; or the network namespace of a
/// socket it holds, then with `descriptor` open on that namespace.
struct HeldNamespace {
    var kind: NamespaceKind
    var id: NamespaceID
    var pid: pid_t
    var fd: Int32
    var descriptor: Int32?
}

/// SIOCGSKNS (linux/sockios.h): an fd of the network namespace a socket belongs to.
private let socketNamespaceRequest: UInt = 0x894C

/// One pass over `/proc/[0-9]*`: which namespaces of the chosen kinds each process is in, and
/// optionally which namespaces its open files are.
///
/// Each `/proc/PID/ns/KIND` link is read once, relative to an open `/proc`, with the path built
/// in place from the directory entry's bytes: nothing else of a process is read here. A process
/// that exits meanwhile (ENOENT, ESRCH) or whose namespaces the caller may not see (EACCES:
/// ptrace access mode, proc(5)) is skipped, as `lsns` skips it.
struct ProcessScan {
    /// The kinds to read for every process.
    var kinds: [NamespaceKind]
    /// When set, only these namespaces are kept (the namespaces of one task).
    var wanted: Set<NamespaceID>?
    /// Whether to read `/proc/PID/fd` links too (namespace files and sockets).
    var readOpenFiles: Bool
    /// Whether to note every process counted (`members`).
    var recordMembers = false

    /// The namespaces processes are in.
    private(set) var table = NamespaceTable()
    /// Namespaces held by open files, in the order found, duplicates included.
    private(set) var held: [HeldNamespace] = []
    /// With `recordMembers`, every process counted, in /proc order.
    private(set) var members: [pid_t] = []
    /// Sockets whose namespace was asked already (a socket is often shared after fork).
    private var socketsSeen = Set<UInt64>()
    /// Namespace files whose kind was asked already, of any kind.
    private var heldSeen = Set<NamespaceID>()

    init(kinds: [NamespaceKind], wanted: Set<NamespaceID>?, readOpenFiles: Bool) {
        self.kinds = kinds
        self.wanted = wanted
        self.readOpenFiles = readOpenFiles
    }

    /// Walks `/proc` once.
    /// - Throws: `NamespaceError` (`.inspect`) when `/proc` cannot be read.
    mutating func run() throws(NamespaceError) {
        guard let proc = opendir("/proc") else {
            throw NamespaceError(
                .inspect, path: "/proc", errno: .current, detail: "cannot list processes",
                hint: "mount procfs on /proc")
        }
        defer { closedir(proc) }
        let procFD = dirfd(proc)
        // "/ns/KIND\0" for each kind, appended to the pid's digits in one reused buffer.
        let suffixes = kinds.map { ($0, Array("/ns/\($0.procName)".utf8CString), $0.procName.utf8.count) }
        var path = [CChar](repeating: 0, count: 320)
        var link = [UInt8](repeating: 0, count: 64)
        var device: UInt64?
        var entries = [UInt8](repeating: 0, count: 16384)  // getdents64 records of one fd directory
        while let entry = readdir(proc) {
            var pid: pid_t = 0
            let length = withUnsafeBytes(of: &entry.pointee.d_name) { name -> Int in
                var count = 0
                while count < 24, name[count] != 0 {  // at most 10 digits: anything longer is no pid
                    guard name[count] >= 0x30, name[count] <= 0x39 else { return 0 }
                    pid = pid &* 10 &+ pid_t(name[count] - 0x30)
                    path[count] = CChar(bitPattern: name[count])
                    count += 1
                }
                return count
            }
            guard length > 0 else { continue }
            var readable = false
            for (kind, suffix, nameLength) in suffixes {
                path.withUnsafeMutableBufferPointer { buffer in
                    _ = suffix.withUnsafeBufferPointer { bytes in
                        memcpy(buffer.baseAddress! + length, bytes.baseAddress!, bytes.count)
                    }
                }
                // readlink(2) costs half of stat(2) here, and its text has the inode; the device
                // is the same for every namespace (there is one nsfs), so one stat learns it.
                let count = link.withUnsafeMutableBytes {
                    readlinkat(procFD, path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count)
                }
                guard count > 0, let inode = namespaceLinkInode(link[..<count], kindLength: nameLength) else { continue }
                readable = true
                if device == nil { device = nsfsDevice(procFD, path) }
                guard let device else { continue }
                let id = NamespaceID(device: device, inode: inode)
                if let wanted, !wanted.contains(id) { continue }
                table.countProcess(pid, in: id, kind: kind)
                if recordMembers { members.append(pid) }
            }
            // Its fds need the same ptrace access as its namespaces: none readable, none to read.
            if readOpenFiles && readable {
                readHeldNamespaces(of: pid, procFD: procFD, path: &path, length: length, nsfs: device, entries: &entries)
            }
        }
    }

    /// The device of the namespace file at `path` under `/proc`.
    private func nsfsDevice(_ procFD: Int32, _ path: [CChar]) -> UInt64? {
        var info = stat()
        return fstatat(procFD, path, &info, 0) == 0 ? UInt64(info.st_dev) : nil
    }

    /// Notes the namespaces among the open files of `pid`, as lsns master does: one stat(2) of
    /// each `/proc/PID/fd/N` tells an nsfs file (by its device) or a socket (by its mode); only
    /// an nsfs file not seen yet is asked its kind. `path` holds the pid's `length` digits.
    private mutating func readHeldNamespaces(
        of pid: pid_t, procFD: Int32, path: inout [CChar], length: Int, nsfs: UInt64?, entries: inout [UInt8]
    ) {
        for (offset, byte) in "/fd".utf8.enumerated() { path[length + offset] = CChar(bitPattern: byte) }
        path[length + 3] = 0
        let directoryFD = openat(procFD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { return }
        defer { close(directoryFD) }
        var info = stat()
        var pidfd: Int32 = -1
        defer { if pidfd >= 0 { close(pidfd) } }
        while true {
            let count = entries.withUnsafeMutableBytes { cn_getdents64(directoryFD, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            var offset = 0
            while offset < count {
                // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                let recordLength = entries.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset + 16, as: UInt16.self)) }
                defer { offset += recordLength }
                var fd: Int32 = 0
                var name = offset + 19
                while entries[name] != 0 {  // "." and "..": not numbers, not links
                    guard entries[name] >= 0x30, entries[name] <= 0x39 else { fd = -1; break }
                    fd = fd &* 10 &+ Int32(entries[name] - 0x30)
                    name += 1
                }
                guard fd >= 0, name > offset + 19 else { continue }
                let found = entries.withUnsafeBytes {
                    fstatat(directoryFD, $0.baseAddress!.advanced(by: offset + 19).assumingMemoryBound(to: CChar.self), &info, 0)
                }
                guard found == 0 else { continue }
                if let nsfs, UInt64(info.st_dev) == nsfs {
                    let id = NamespaceID(device: nsfs, inode: UInt64(info.st_ino))
                    // Known already (a process is in it, or an earlier fd holds it): nothing to add.
                    guard !table.contains(id), heldSeen.insert(id).inserted else { continue }
                    let kind = entries.withUnsafeBytes {
                        heldKind(directoryFD, $0.baseAddress!.advanced(by: offset + 19).assumingMemoryBound(to: CChar.self))
                    }
                    if let kind, kinds.contains(kind), wanted?.contains(id) ?? true {
                        held.append(HeldNamespace(kind: kind, id: id, pid: pid, fd: fd))
                    }
                } else if info.st_mode & S_IFMT == S_IFSOCK, kinds.contains(.network),
                    socketsSeen.insert(UInt64(info.st_ino)).inserted
                {
                    if pidfd < 0 { pidfd = cn_pidfd_open(pid, 0) }
                    if pidfd >= 0 { readSocketNamespace(of: pid, fd: fd, pidfd: pidfd) }
                }
            }
            // /proc/PID/fd lists every fd that fits the buffer: room left for one more record
            // (at most 32 bytes for 10 digits) means the list ended, and a second call would read 0.
            if count <= entries.count - 64 { return }
        }
    }

    /// The kind of the namespace file `name` under `directoryFD`: from its link text
    /// (`net:[4026532290]`), or, for one opened through a path (a bind mount such as
    /// /run/netns/NAME, or "/" once that is unmounted), from NS_GET_NSTYPE.
    private func heldKind(_ directoryFD: Int32, _ name: UnsafePointer<CChar>) -> NamespaceKind? {
        var link = [UInt8](repeating: 0, count: 64)
        let count = link.withUnsafeMutableBytes {
            readlinkat(directoryFD, name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count)
        }
        if count > 0, count < link.count, link[0] != 0x2F, let (kind, _) = parseNamespaceLink(link[..<count]) {
            return kind
        }
        let opened = openat(directoryFD, name, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { return nil }
        defer { close(opened) }
        return NamespaceKind(cloneFlag: cn_ioctl_none(opened, CN_NS_GET_NSTYPE))
    }

    /// Notes the network namespace of socket `fd` of `pid` when no process seen so far is in
    /// it: a copy of the socket (pidfd_getfd(2), which needs ptrace access to `pid`), then
    /// SIOCGSKNS. Failures only mean less is listed, as in `lsns`.
    private mutating func readSocketNamespace(of pid: pid_t, fd: Int32, pidfd: Int32) {
        let socket = cn_pidfd_getfd(pidfd, fd, 0)
        guard socket >= 0 else { return }
        defer { close(socket) }
        let namespace = cn_ioctl_none(socket, socketNamespaceRequest)
        guard namespace >= 0 else { return }
        var info = stat()
        guard fstat(namespace, &info) == 0 else {
            close(namespace)
            return
        }
        let id = NamespaceID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if table.contains(id) || !heldSeen.insert(id).inserted || !(wanted?.contains(id) ?? true) {
            close(namespace)
            return
        }
        held.append(HeldNamespace(kind: .network, id: id, pid: pid, fd: fd, descriptor: namespace))
    }
}

import CNamespaces
import Glibc
import SystemPackage

/// Which id map: of user ids or of group ids.
public enum IDMapKind: String, Sendable, Hashable, Codable {
    /// `/proc/PID/uid_map`.
    case user
    /// `/proc/PID/gid_map`.
    case group

    /// The file name under `/proc/PID/`.
    public var fileName: String { self == .user ? "uid_map" : "gid_map" }
}

/// What `/proc/PID/setgroups` says: whether setgroups(2) is allowed in the user namespace.
public enum SetgroupsPolicy: String, Sendable, Hashable, Codable {
    /// setgroups(2) may be called (once a gid map exists). Unprivileged writers of `gid_map`
    /// cannot have this.
    case allow
    /// setgroups(2) is refused; needed before an unprivileged process writes `gid_map`.
    case deny
}

/// Reads the uid or gid map of process `pid`, as seen from the caller's user namespace.
/// - Throws: `NamespaceError` (`.readIDMap`), or (`.parse`) if the file is not a map.
public func readIDMap(_ kind: IDMapKind, of pid: ProcessID = .current) throws(NamespaceError) -> IDMap {
    let path = "\(pid.procDirectory)/\(kind.fileName)"
    let text: String
    do { text = try readSmallFile(path) } catch {
        throw NamespaceError(.readIDMap, path: FilePath(path), pid: pid, errno: error)
    }
    guard text.contains(where: { !$0.isWhitespace }) else {
        throw NamespaceError(.readIDMap, path: FilePath(path), pid: pid,
            detail: "the map is empty: it has not been written yet",
            hint: "ids of a new user namespace stay unmapped (the overflow id, 65534) until its uid_map and gid_map are written")
    }
    return try IDMap(parsing: text)
}

/// Writes a user namespace's maps through process `pid`, a member of it, in the one order the
/// kernel accepts: `setgroups`, then `uid_map`, then `gid_map`. Each file is written once, in
/// one write(2), and only after `fstatfs` confirms it is on procfs (a file system mounted over
/// `/proc` cannot catch the write).
///
/// Who may write: a process in the parent user namespace (or the namespace itself) with
/// `CAP_SETUID`/`CAP_SETGID` there may write any ids it has mapped; anyone else may map only
/// its own effective uid and gid, one line of count 1, and for gid_map only after setgroups is
/// `deny`. Larger maps for ordinary users need newuidmap(1) and `/etc/subuid`.
///
/// - Parameters:
///   - pid: a process in the user namespace, typically its first one.
///   - uidMap: the uid map to write, or nil to leave it.
///   - gidMap: the gid map to write, or nil to leave it.
///   - setgroups: the setgroups policy to write first, or nil to leave it.
/// - Throws: `NamespaceError` (`.writeIDMap`) naming the file, the errno, and the reason.
public func writeIDMaps(
    of pid: ProcessID, uidMap: IDMap?, gidMap: IDMap?, setgroups: SetgroupsPolicy?
) throws(NamespaceError) {
    // setgroups first: an unprivileged gid_map write needs "deny" there (user_namespaces(7)).
    if let setgroups {
        try writeProcFile(pid, "setgroups", setgroups.rawValue + "\n")
    }
    if let uidMap {
        try writeProcFile(pid, IDMapKind.user.fileName, uidMap.text)
    }
    if let gidMap {
        try writeProcFile(pid, IDMapKind.group.fileName, gidMap.text)
    }
}

/// Writes `text` to `/proc/PID/name` in one write, refusing a file that is not on procfs.
private func writeProcFile(_ pid: ProcessID, _ name: String, _ text: String) throws(NamespaceError) {
    let path = "\(pid.procDirectory)/\(name)"
    func failure(_ errno: Errno?, _ detail: String, _ hint: String? = nil) -> NamespaceError {
        NamespaceError(.writeIDMap, path: FilePath(path), pid: pid, errno: errno, detail: detail, hint: hint)
    }
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else {
        let errno = Errno.current
        throw failure(
            errno, "cannot open",
            errno == .noSuchFileOrDirectory ? "process \(pid) is gone" : nil)
    }
    defer { close(fd) }
    guard cn_fd_is_procfs(fd) == 1 else { throw idMapWriteError(pid, name, errno: nil, notProcfs: true) }
    let written = text.withCString { write(fd, $0, strlen($0)) }
    guard written == text.utf8.count else {
        let errno: Errno? = written < 0 ? .current : nil
        throw idMapWriteError(pid, name, errno: errno, alreadyWritten: alreadyWritten(name, pid))
    }
}

/// How writing the id map file `name` (setgroups, uid_map, gid_map) of `pid` failed, worded
/// the same whoever wrote it: this process, or the child itself from inside. `errno` nil is a
/// short write; `notProcfs`, a file that something mounted over /proc hides.
func idMapWriteError(
    _ pid: ProcessID, _ name: String, errno: Errno?, notProcfs: Bool = false, alreadyWritten: Bool = false
) -> NamespaceError {
    let path = FilePath("\(pid.procDirectory)/\(name)")
    if notProcfs {
        return NamespaceError(.writeIDMap, path: path, pid: pid, detail: "is not on procfs; something is mounted over /proc",
            hint: "mount a real proc file system on /proc")
    }
    return NamespaceError(.writeIDMap, path: path, pid: pid, errno: errno, detail: errno == nil ? "short write" : "the kernel refused",
        hint: idMapWriteHint(name: name, errno: errno, alreadyWritten: alreadyWritten))
}

/// Whether `/proc/PID/name` holds a map already.
private func alreadyWritten(_ name: String, _ pid: ProcessID) -> Bool {
    (try? readSmallFile("\(pid.procDirectory)/\(name)")).map { !$0.trimmingWhitespace().isEmpty } ?? false
}

/// Why writing the id map file `name` failed and what to do about it.
private func idMapWriteHint(name: String, errno: Errno?, alreadyWritten: Bool) -> String? {
    switch (name, errno) {
    case ("setgroups", .notPermitted?):
        return "setgroups can no longer change once gid_map is written, and cannot be 'allow' "
            + "when the parent namespace denies it"
    case (_, .notPermitted?) where alreadyWritten:
        return "\(name) was already written: each map can be written once"
    case ("gid_map", .notPermitted?):
        return "an unprivileged process may map only its own gid (one line, count 1), after "
            + "writing 'deny' to setgroups; map ranges with newgidmap(1) and /etc/subgid"
    case ("uid_map", .notPermitted?) where geteuid() == 0 && !hasEffectiveCapability(31):
        // verify_root_map (Linux 5.12): mapping uid 0 of the parent needs CAP_SETFCAP there.
        return "mapping uid 0 of this user namespace into a new one needs CAP_SETFCAP, which this "
            + "process has dropped; keep it (nsbox run --cap-add CAP_SETFCAP) or map another uid"
    case (_, .notPermitted?):
        return "an unprivileged process may map only its own uid (one line, count 1); map "
            + "ranges with newuidmap(1) and /etc/subuid, or write as root"
    case (_, .invalidArgument?):
        return "the kernel refused the map: an outside id may not be mapped in the parent "
            + "namespace, or the map was already written"
    default:
        return nil
    }
}

/// Whether capability `number` (capabilities(7)) is in this process's effective set
/// (`CapEff` of /proc/self/status).
func hasEffectiveCapability(_ number: Int) -> Bool {
    guard let status = try? readSmallFile("/proc/self/status"),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
        let bits = UInt64(line.dropFirst("CapEff:".count).trimmingWhitespace(), radix: 16)
    else { return true }
    return bits & (1 << UInt64(number)) != 0
}

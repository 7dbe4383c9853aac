import Glibc

/// A process in a namespace, as `lsns NS` lists it: one row per process.
public struct NamespaceMember: Sendable, Hashable {
    /// The process: the PID column.
    public var pid: ProcessID
    /// Its parent: the PPID column; nil when it exited meanwhile.
    public var parentPID: ProcessID?
    /// The owner of `/proc/PID`: the UID column.
    public var uid: uid_t?
    /// The name of `uid`: the USER column.
    public var userName: String?
    /// Its command line, or `comm` when that is empty: the COMMAND column.
    public var command: String?
}

/// The processes in namespace `id` of `kind`, in the order `/proc` lists them (by pid), each
/// with its parent, owner and command line; threads are not listed.
///
/// - Throws: `NamespaceError` (`.inspect`) when `/proc` cannot be read.
/// The corresponding command is `lsns INODE`.
public func listProcesses(in id: NamespaceID, kind: NamespaceKind) throws(NamespaceError) -> [NamespaceMember] {
    var scan = ProcessScan(kinds: [kind], wanted: [id], readOpenFiles: false)
    scan.recordMembers = true
    try scan.run()
    var names: [uid_t: String?] = [:]
    return scan.members.map { pid in
        let details = ProcessDetails(of: pid)
        var name: String?
        if let uid = details.uid {
            if let cached = names[uid] { name = cached } else {
                name = userName(uid)
                names.updateValue(name, forKey: uid)
            }
        }
        return NamespaceMember(
            pid: ProcessID(rawValue: pid), parentPID: details.parentPID, uid: details.uid,
            userName: name, command: details.command)
    }
}

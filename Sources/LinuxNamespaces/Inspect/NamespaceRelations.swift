import CNamespaces
import Glibc
import SystemPackage

/// Fills in the parent and owner of every namespace in `table`: each is opened once, by its
/// path, and asked with `NS_GET_USERNS` and, for a pid namespace, `NS_GET_PARENT`
/// (ioctl_ns(2)). A user namespace's owner is its parent, so it needs only the one request.
/// An owner or parent outside the caller's reach (EPERM) stays nil, as does everything about a
/// namespace whose holder vanished before it could be opened.
///
/// Owners and parents not in the table are added (origin `.relation`) and asked in turn,
/// through the descriptor the kernel just gave, so that nothing is opened twice: those of
/// namespaces no process is in always (as `lsns`), those of all with `addingAncestors`.
/// Those added for namespaces no process is in are of `kinds` only. `descriptors` holds
/// namespaces that have no path (only a socket holds them); with `onlyUnheld` only namespaces
/// no process is in are asked.
func resolveRelations(
    in table: inout NamespaceTable, addingAncestors: Bool, kinds: NamespaceSet = .all,
    descriptors: [NamespaceID: Int32] = [:], onlyUnheld: Bool = false
) {
    var resolver = RelationResolver(table: table, addingAncestors: addingAncestors)
    resolver.kinds = kinds
    resolver.descriptors = descriptors
    resolver.onlyUnheld = onlyUnheld
    table = resolver.run()
}

/// The state of one `resolveRelations` pass.
private struct RelationResolver {
    var table: NamespaceTable
    let addingAncestors: Bool
    /// One open descriptor per user namespace met, until the end of the pass. An nsfs file
    /// that nobody holds open is built anew by each open and freed by its last close; holding
    /// the owners open lets the many `NS_GET_USERNS` answers that name them reuse their file.
    var openUsers: [NamespaceID: Int32] = [:]
    /// At most this many are held, whatever the number of user namespaces.
    let openUsersLimit = 64
    /// Open descriptors of namespaces without a path; owned by the caller.
    var descriptors: [NamespaceID: Int32] = [:]
    /// Whether to visit only namespaces no process is in.
    var onlyUnheld = false
    /// The kinds listed: ancestors of namespaces no process is in are added only of these.
    var kinds: NamespaceSet = .all

    init(table: NamespaceTable, addingAncestors: Bool) {
        self.table = table
        self.addingAncestors = addingAncestors
    }

    mutating func run() -> NamespaceTable {
        // User namespaces first, so that they are held open when the others name them.
        // Ancestors appended meanwhile are resolved where they are found, not by these loops.
        let positions = table.entries.indices
        for position in positions where table.entries[position].kind == .user { visit(position) }
        for position in positions where table.entries[position].kind != .user { visit(position) }
        for fd in openUsers.values { close(fd) }
        return table
    }

    /// Opens the namespace at `position` by its path and relates it.
    private mutating func visit(_ position: Int) {
        let entry = table.entries[position]
        if onlyUnheld && entry.processCount > 0 { return }
        if let descriptor = descriptors[entry.id] {
            relate(position, open: descriptor)
            return
        }
        guard let path = entry.pathText else { return }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        relate(position, open: fd)
        if table.entries[position].kind != .user || !keep(fd, as: table.entries[position].id) { close(fd) }
    }

    /// Reads the owner and parent of the namespace at `position`, open as `fd`.
    private mutating func relate(_ position: Int, open fd: Int32) {
        let entry = table.entries[position]
        let ownerFD = cn_ioctl_none(fd, CN_NS_GET_USERNS)
        if entry.processCount == 0, entry.uid == nil {
            // No process to ask: the uid that created its user namespace, as lsns reports.
            let userFD = entry.kind == .user ? fd : ownerFD
            var uid: uid_t = 0
            if userFD >= 0, cn_ns_get_owner_uid(userFD, &uid) == 0 { table.update(position) { $0.uid = uid } }
        }
        if ownerFD >= 0, let owner = try? NamespaceID(fileDescriptor: FileDescriptor(rawValue: ownerFD)) {
            table.update(position) {
                $0.ownerID = owner
                if entry.kind == .user { $0.parentID = owner }
            }
            ancestor(.user, owner, open: ownerFD, of: entry)
            if !keep(ownerFD, as: owner) { close(ownerFD) }
        } else if ownerFD >= 0 {
            close(ownerFD)
        }
        guard entry.kind == .pid else { return }
        let parentFD = cn_ioctl_none(fd, CN_NS_GET_PARENT)
        guard parentFD >= 0 else { return }
        defer { close(parentFD) }
        if let parent = try? NamespaceID(fileDescriptor: FileDescriptor(rawValue: parentFD)) {
            table.update(position) { $0.parentID = parent }
            ancestor(.pid, parent, open: parentFD, of: entry)
        }
    }

    /// Adds and relates the namespace `id`, open as `fd`, an ancestor of `child`, when
    /// ancestors are wanted (or no process is in `child`) and it is new.
    private mutating func ancestor(_ kind: NamespaceKind, _ id: NamespaceID, open fd: Int32, of child: NamespaceInfo) {
        guard addingAncestors || (child.processCount == 0 && kinds.contains(kind)), !table.contains(id) else { return }
        let position = table.insert(NamespaceInfo(kind: kind, id: id, origin: .relation))
        relate(position, open: fd)
    }

    /// Holds `fd`, open on user namespace `id`, until the end; false when the caller must
    /// close it (one is held already, or the limit is reached).
    private mutating func keep(_ fd: Int32, as id: NamespaceID) -> Bool {
        guard openUsers[id] == nil, openUsers.count < openUsersLimit else { return false }
        openUsers[id] = fd
        return true
    }
}

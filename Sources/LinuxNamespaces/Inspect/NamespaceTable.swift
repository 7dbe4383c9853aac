import Glibc

/// The namespaces found so far, each once, in the order found, looked up by id.
struct NamespaceTable {
    private(set) var entries: [NamespaceInfo] = []
    private var index: [NamespaceID: Int] = [:]
    /// The nsfs device, from the first namespace file seen: every namespace lives on the one
    /// nsfs file system, so ids read from link text (`net:[4026531840]`) need only the inode.
    private(set) var nsfsDevice: UInt64?

    /// The position of the namespace `id`, if found.
    func position(of id: NamespaceID) -> Int? { index[id] }

    /// Whether the namespace `id` has been found.
    func contains(_ id: NamespaceID) -> Bool { index[id] != nil }

    /// Adds `info` unless its id is known, and returns its position either way.
    @discardableResult
    mutating func insert(_ info: NamespaceInfo) -> Int {
        if let position = index[info.id] { return position }
        if nsfsDevice == nil { nsfsDevice = info.id.device }
        entries.append(info)
        index[info.id] = entries.count - 1
        return entries.count - 1
    }

    /// Counts process `pid` as one more member of namespace `id`, keeping the lowest pid.
    mutating func countProcess(_ pid: pid_t, in id: NamespaceID, kind: NamespaceKind) {
        let position = insert(NamespaceInfo(kind: kind, id: id))
        let pid = ProcessID(rawValue: pid)
        entries[position].processCount += 1
        if let lowest = entries[position].pid, lowest.rawValue <= pid.rawValue { return }
        entries[position].pid = pid
        entries[position].pathText = "/proc/\(pid.rawValue)/ns/\(kind.procName)"
    }

    /// Gives namespace `id` its path if it has none yet and notes `mountPoint` on it.
    mutating func noteMount(_ mountPoint: String, of id: NamespaceID) {
        guard let position = index[id] else { return }
        entries[position].mountPointTexts.append(mountPoint)
        if entries[position].pathText == nil { entries[position].pathText = mountPoint }
    }

    /// Changes the entry at `position`.
    mutating func update(_ position: Int, _ change: (inout NamespaceInfo) -> Void) {
        change(&entries[position])
    }
}

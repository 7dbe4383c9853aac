import Glibc

/// What `lsns` shows of a namespace's lowest process: its parent, owner and command line.
struct ProcessDetails {
    var parentPID: ProcessID?
    var uid: uid_t?
    var command: String?

    /// Reads `/proc/PID` (its owner is the uid, as `lsns` reports it), `/proc/PID/stat` (the
    /// parent pid, unless `readParent` is false) and `/proc/PID/cmdline`, or `/proc/PID/comm` when that is empty. A field
    /// that cannot be read, because the process is gone, stays nil.
    init(of pid: pid_t, parentPID readParent: Bool = true) {
        let directory = "/proc/\(pid)"
        var info = stat()
        if stat(directory, &info) == 0 { uid = info.st_uid }
        // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so read after the last ')'.
        if readParent, let line = readProcessFile(directory + "/stat"),
            let close = line.utf8.lastIndex(of: UInt8(ascii: ")"))
        {
            let fields = line.utf8[close...].split(separator: UInt8(ascii: " "), maxSplits: 3)
            if fields.count > 2, let ppid = pid_t(Substring(fields[2])) { parentPID = ProcessID(rawValue: ppid) }
        }
        // NUL-separated arguments, shown space-separated as lsns shows them.
        if let arguments = readProcessFile(directory + "/cmdline"), !arguments.isEmpty {
            var bytes = Array(arguments.utf8)
            if bytes.last == 0 { bytes.removeLast() }
            for index in bytes.indices where bytes[index] == 0 { bytes[index] = UInt8(ascii: " ") }
            if !bytes.isEmpty { command = String(decoding: bytes, as: UTF8.self) }
        }
        if command == nil, let name = readProcessFile(directory + "/comm") {
            command = name.trimmingWhitespace()
        }
    }
}

/// Fills in the parent pid, uid, user name and command of every namespace in `table` from its
/// lowest process; a namespace without one gets the user name of the uid it has. Each process
/// is read once and each uid looked up once, however many namespaces share them.
func resolveProcessDetails(in table: inout NamespaceTable, parentPIDs: Bool) {
    var processes: [pid_t: ProcessDetails] = [:]
    var names: [uid_t: String?] = [:]
    for position in table.entries.indices {
        if let pid = table.entries[position].pid?.rawValue {
            let details = processes[pid] ?? ProcessDetails(of: pid, parentPID: parentPIDs)
            processes[pid] = details
            table.update(position) {
                $0.parentPID = details.parentPID
                $0.uid = details.uid
                $0.command = details.command
            }
        }
        guard let uid = table.entries[position].uid else { continue }
        let name: String?
        if let cached = names[uid] {
            name = cached
        } else {
            name = userName(uid)
            names.updateValue(name, forKey: uid)
        }
        table.update(position) { $0.userName = name }
    }
}

/// A `/proc/PID` file whole, or nil when it cannot be read. A read that does not fill the buffer
/// was the last: stat, comm and cmdline give all they have (up to the size asked) in one read,
/// so the usual second read that returns 0 is skipped.
private func readProcessFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count >= 0 else { return nil }
        bytes.append(contentsOf: buffer[..<count])
        if count < buffer.count { return String(decoding: bytes, as: UTF8.self) }
    }
}

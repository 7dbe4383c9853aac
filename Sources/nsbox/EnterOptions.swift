import CNamespaces
import Glibc
import LinuxNamespaces
import SystemPackage

/// The options of `nsbox enter` as values, filled in by `EnterOptions.table`, and the
/// sandbox and command they make.
struct EnterOptions {
    /// Where a directory option points: the target's own (`/proc/PID/root`, `/proc/PID/cwd`),
    /// or a directory of ours.
    enum Directory: Equatable { case target, path(String) }
    /// An id option's value: a number, or the target's (`follow`).
    enum ID: Equatable { case id(UInt32), follow }

    var all = false
    var target: Int32?
    /// `-t PID:INODE`: the inode the target's pidfd must have.
    var targetInode: UInt64?
    /// The kinds asked for, each with the file given (nil: the target's).
    var kinds: [(NamespaceKind, String?)] = []
    var netSocket: Int32?
    var userParent = false
    var setUID: ID?, setGID: ID?
    var preserveCredentials = false, keepCaps = false
    var root: Directory?, wd: Directory?
    var wdns: String?
    var env = false, noFork = false, joinCgroup = false, followContext = false
    var mountProc: String?
    var dieWithParent = false
    /// --close-fds: the command gets 0, 1 and 2 only (by default the caller's other fds too).
    var closeFDs = false
    var jsonStatusFD: Int32?
    var help = false, version = false, json = false

    /// Reads `arguments` (the words after `enter`) with `EnterOptions.table`.
    init(parsing arguments: [String]) throws {
        command = try Self.table.parse(arguments[...], into: &self)
        if wd != nil && wdns != nil { throw Failure(message: "mutually exclusive arguments: --wd --wdns (see nsbox enter --help)") }
    }

    /// The command's words behind a leading `--`, as the table returns them (empty: the shell).
    var command: [String] = []

    /// Sets the option of long name `name`, with its value if it has one (the table's `apply`).
    mutating func set(_ name: String, _ value: String?) throws {
        switch name {
        case "all": all = true
        case "target":
            if target != nil { throw Failure(message: "option --target may be given only once") }
            let parts = value!.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let pid = Int32(parts[0]), pid > 0, parts.count == 1 || UInt64(parts[1]) != nil else {
                throw Failure(message: "failed to parse PID argument '\(value!)'")
            }
            target = pid
            targetInode = parts.count == 2 ? UInt64(parts[1]) : nil
        case "net-socket":
            guard let fd = Int32(value!), fd >= 0 else { throw Failure(message: "failed to parse file descriptor: '\(value!)'") }
            netSocket = fd
        case "user-parent": userParent = true
        case "setuid", "setgid":
            let id: ID
            if value == "follow" {
                id = .follow
            } else if let number = UInt32(value!) {
                id = .id(number)
            } else {
                throw Failure(message: "failed to parse \(name == "setuid" ? "uid" : "gid"): '\(value!)'")
            }
            if name == "setuid" { setUID = id } else { setGID = id }
        case "preserve-credentials": preserveCredentials = true
        case "keep-caps": keepCaps = true
        case "root": root = value.map { .path($0) } ?? .target
        case "wd": wd = value.map { .path($0) } ?? .target
        case "wdns": wdns = value
        case "env": env = true
        case "no-fork": noFork = true
        case "join-cgroup": joinCgroup = true
        case "follow-context": followContext = true
        case "ns":
            let (kind, file) = try kindAndValue(value!, option: "--ns")
            enable(kind, file)
        case "mount-proc": mountProc = value ?? "/proc"
        case "die-with-parent": dieWithParent = true
        case "close-fds": closeFDs = true
        case "json-status-fd":
            guard let fd = Int32(value!), fd >= 0 else { throw Failure(message: "failed to parse file descriptor: '\(value!)'") }
            jsonStatusFD = fd
        case "json":
            // From here on: a later option's error is reported in JSON too.
            json = true
            jsonErrors = true
        case "help": help = true
        case "version": version = true
        default:
            let kind = NamespaceKind(name: name == "net" ? "net" : name)!
            enable(kind, value)
        }
    }

    /// Asks for `kind`; given again, the last file given wins, as in nsenter (a repeat
    /// without a file keeps the file).
    private mutating func enable(_ kind: NamespaceKind, _ file: String?) {
        let earlier = kinds.first { $0.0 == kind }?.1
        kinds.removeAll { $0.0 == kind }
        kinds.append((kind, file ?? earlier))
    }
}

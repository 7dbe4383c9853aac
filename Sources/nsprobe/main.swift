// nsprobe: a single-threaded helper the tests run in a child process, as root or as an
// unprivileged user. Each command does one namespace operation with the library and prints
// what it sees, one `key value` line each; failures print `error: DESCRIPTION` and exit 1.
//
//   nsprobe ids                              ids of this process's namespaces
//   nsprobe unshare KINDS                    unshare, then ids
//   nsprobe enter-pid PID KINDS|all          enterNamespaces(of:), then ids
//   nsprobe enter-path PATH [KIND]           enterNamespace(path:kind:), then ids
//   nsprobe threads N unshare KINDS          the same with N extra threads running
//   nsprobe write-maps PID UIDMAP GIDMAP SETGROUPS   ("-" for none; lines split by ',')
import Glibc
import LinuxNamespaces
import SystemPackage

func printIDs() throws(NamespaceError) {
    for kind in NamespaceKind.allCases {
        print(kind.procName, try NamespaceID(kind).inode)
    }
    for name in ["pid_for_children", "time_for_children"] {
        if let id = try? NamespaceID(path: .init("/proc/self/ns/\(name)")) { print(name, id.inode) }
    }
    print("uid", geteuid())
    print("gid", getegid())
}

func startThreads(_ count: Int) {
    for _ in 0..<count {
        var thread = pthread_t()
        pthread_create(&thread, nil, { _ in
            while true { sleep(1000) }
        }, nil)
    }
    while currentThreadCount() < count + 1 { usleep(1000) }
}

func run(_ args: ArraySlice<String>) throws(NamespaceError) {
    var args = args
    guard let command = args.popFirst() else {
        throw NamespaceError(.parse, detail: "no command")
    }
    switch command {
    case "ids":
        try printIDs()
    case "unshare":
        let kinds = try NamespaceSet(parsing: args.first ?? "")
        try unshare(kinds)
        // pid_for_children names the new pid namespace only once its first process exists.
        let child = kinds.contains(.pid) ? fork() : -1
        if child == 0 { pause(); _exit(0) }
        try printIDs()
        if child > 0 { kill(child, SIGKILL); waitpid(child, nil, 0) }
    case "enter-pid":
        guard let pid = args.popFirst().flatMap({ pid_t($0) }), let list = args.popFirst() else {
            throw NamespaceError(.parse, detail: "usage: enter-pid PID KINDS")
        }
        let kinds = list == "all" ? NamespaceSet.all : try NamespaceSet(parsing: list)
        let entered = try enterNamespaces(of: ProcessID(rawValue: pid), kinds)
        print("entered", entered.isEmpty ? "-" : entered.description)
        try printIDs()
    case "enter-path":
        guard let path = args.popFirst() else {
            throw NamespaceError(.parse, detail: "usage: enter-path PATH [KIND]")
        }
        let kind = try args.popFirst().map { name throws(NamespaceError) in
            guard let kind = NamespaceKind(name: name) else {
                throw NamespaceError(.parse, detail: "unknown kind \(name)")
            }
            return kind
        }
        try enterNamespace(path: .init(path), kind: kind)
        try printIDs()
    case "threads":
        guard let count = args.popFirst().flatMap({ Int($0) }) else {
            throw NamespaceError(.parse, detail: "usage: threads N COMMAND...")
        }
        startThreads(count)
        print("threads", currentThreadCount())
        try run(args)
    case "write-maps":
        guard args.count == 4, let pid = pid_t(args[args.startIndex]) else {
            throw NamespaceError(.parse, detail: "usage: write-maps PID UIDMAP GIDMAP SETGROUPS")
        }
        let values = Array(args.dropFirst())
        func map(_ text: String) throws(NamespaceError) -> IDMap? {
            text == "-" ? nil : try IDMap(parsing: text.split(separator: ",").joined(separator: "\n"))
        }
        try writeIDMaps(
            of: ProcessID(rawValue: pid), uidMap: map(values[0]), gidMap: map(values[1]),
            setgroups: values[2] == "-" ? nil : SetgroupsPolicy(rawValue: values[2]))
        print("written", pid)
    default:
        throw NamespaceError(.parse, detail: "unknown command \(command)")
    }
}

do {
    try run(CommandLine.arguments.dropFirst())
} catch {
    print("error:", error)
    exit(1)
}

// ns-ids: prints this process's namespace ids, then those of a child in new namespaces.
// The child is created the direct way: this program is single-threaded, so it may unshare a
// user namespace (with every other kind) and fork.
import Glibc
import LinuxNamespaces

func table(_ title: String) -> String {
    var lines = ["\(title) (pid \(getpid()), uid \(geteuid()))"]
    for kind in NamespaceKind.allCases {
        let id: String
        do { id = try NamespaceID(kind).description } catch { id = "\(error)" }
        lines.append("  \(kind.procName.padding(6)) \(id)")
    }
    return lines.joined(separator: "\n")
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}

print(table("this process"))
do {
    let uid = geteuid(), gid = getegid()
    try unshare([.user, .mount, .pid, .network, .uts, .ipc, .cgroup, .time])
    // Map our own ids to root inside: setgroups=deny first, as an ordinary user must.
    try writeIDMaps(
        of: .current, uidMap: IDMap(inside: 0, outside: uid), gidMap: IDMap(inside: 0, outside: gid),
        setgroups: .deny)
    fflush(nil)
    let child = fork()
    if child == 0 {
        print(table("child in new namespaces"))
        exit(0)
    }
    var status: Int32 = 0
    waitpid(child, &status, 0)
} catch {
    print("ns-ids:", error)
    exit(1)
}

// id-maps: the uid and gid maps of user namespaces. Checks maps before the kernel sees them,
// reads a process's maps, writes a new namespace's maps by hand in the order the kernel
// requires (setgroups, uid_map, gid_map), and lets a Sandbox map a range of ids, which an
// ordinary user can do only through newuidmap(1) and /etc/subuid.
// Works as root and as an ordinary user (the range then fails without /etc/subuid entries).
import Glibc
import LinuxNamespaces
import SystemPackage

do {
    // A map is checked when it is made: counts, overlaps, the 340-line limit.
    let range = try IDMap(parsing: "0 100000 65536\n")
    print("uid 1000 inside is \(range.outsideID(for: 1000)!) outside")
    do {
        _ = try IDMap([IDMapping(inside: 0, outside: 100000, count: 10), IDMapping(inside: 5, outside: 200000)])
    } catch {
        print(error)
    }

    // The maps of this process: the initial user namespace maps every id to itself.
    print("our uid_map: \(try readIDMap(.user))", terminator: "")

    // A new user namespace whose maps nobody has written yet: its process has uid 65534 (the
    // overflow id) until they are. The command waits for a line on its standard input.
    let start = try FileDescriptor.pipe()
    var command = SandboxCommand("sh", ["-c", "read go; id -u; cat /proc/self/uid_map"])
    command.fileDescriptors[.standardInput] = start.readEnd
    let process = try Sandbox(create: [.user]).spawn(command)
    try start.readEnd.close()
    print("before: \((try? readIDMap(.user, of: process.pid)).map(\.text) ?? "no uid_map yet\n")", terminator: "")

    // setgroups first: an unprivileged write of gid_map needs "deny" there
    // (user_namespaces(7)); then uid_map, then gid_map. Our own ids: allowed to anyone.
    try writeIDMaps(
        of: process.pid,
        uidMap: try IDMap(inside: 0, outside: geteuid()),
        gidMap: try IDMap(inside: 0, outside: getegid()),
        setgroups: .deny)
    print("written: uid_map \(try readIDMap(.user, of: process.pid))", terminator: "")

    // Each map can be written once.
    do {
        try writeIDMaps(of: process.pid, uidMap: try IDMap(inside: 1, outside: geteuid()), gidMap: nil, setgroups: nil)
    } catch {
        print(error)
    }
    _ = try start.writeEnd.writeAll("go\n".utf8)
    try start.writeEnd.close()
    print("termination: \(try process.wait())")

    // A range of ids through a Sandbox: written directly as root, through newuidmap and
    // newgidmap (with /etc/subuid and /etc/subgid) as an ordinary user.
    var sandbox = Sandbox(create: [.user])
    sandbox.userMapping = .maps(uid: range, gid: range)
    let ranged = try sandbox.spawn(SandboxCommand("cat", ["/proc/self/uid_map"]))
    print("range: \(try ranged.wait())")
} catch {
    print("failed: \(error)")
}

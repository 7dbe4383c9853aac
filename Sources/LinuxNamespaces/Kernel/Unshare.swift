import CNamespaces
import Glibc
import SystemPackage

/// Moves the calling process into new namespaces of the given kinds.
///
/// The kernel's rules, which this function checks or explains:
/// - A user namespace can only be created by a single-threaded process; a Swift program with
///   any concurrency is not one. We count threads first and throw an error that says so,
///   where the kernel would return a bare EINVAL.
/// - A new pid or time namespace holds only the children created afterwards
///   (`/proc/self/ns/pid_for_children`); the caller stays where it is.
/// - New net, uts, ipc, cgroup and mount namespaces move only the calling thread when the
///   process has several.
/// - Every kind but user needs `CAP_SYS_ADMIN`; an ordinary user gets it by creating a user
///   namespace in the same call: `unshare([.user, .network])`.
///
/// - Throws: `NamespaceError` (`.unshare`) with the errno and, for EPERM, ENOSPC and EUSERS,
///   the reason and how to fix it.
/// The corresponding system call is unshare(2).
public func unshare(_ kinds: NamespaceSet) throws(NamespaceError) {
    if kinds.contains(.user), let error = multithreadedError(.unshare, kinds: kinds) {
        throw error
    }
    guard cn_unshare(kinds.rawValue) == 0 else {
        let errno = Errno.current
        throw NamespaceError(
            .unshare, kinds: kinds, errno: errno, detail: "the kernel refused",
            hint: creationHint(kinds, errno: errno))
    }
}

/// Why the kernel may have refused to create namespaces of `kinds` with `errno`, and what to do.
func creationHint(_ kinds: NamespaceSet, errno: Errno) -> String? {
    switch errno {
    case .notPermitted, .permissionDenied:
        if kinds.contains(.user), let reason = userNamespaceRestriction() ?? unmappedCaller() { return reason }
        if !kinds.contains(.user) && !hasEffectiveCapability(21) {
            return "creating a \(kinds) namespace needs CAP_SYS_ADMIN; as an ordinary user, "
                + "create a user namespace in the same step (add user)"
        }
        // The capability is there (or a user namespace needs none): something else refused.
        if seccompMode() == 2 {
            return "a seccomp filter is in force (Seccomp: 2 in /proc/self/status) and may forbid it"
        }
        return "the kernel refused a new \(kinds) namespace: a chroot or a security module may forbid it"
    case .noSpace:
        // Both give ENOSPC, and from inside, the user namespaces above ours cannot be counted
        // (NS_GET_PARENT stops at our own): name both.
        if kinds.contains(.user) {
            let limit = (try? readSmallFile("/proc/sys/user/max_user_namespaces")).map { " (here \($0.trimmingWhitespace()))" } ?? ""
            return "user namespaces nest at most 32 deep, and this process may be that deep already; "
                + "or the limit in /proc/sys/user/max_user_namespaces\(limit) is reached"
        }
        return "a limit in /proc/sys/user/max_*_namespaces is reached"
            + (userNamespaceRestriction().map { " (\($0))" } ?? "")
    case .tooManyUsers:
        return "user namespaces nest at most 32 deep"
    case .invalidArgument where kinds.contains(.time) || kinds.contains(.cgroup):
        return "this kernel may be too old for a \(kinds) namespace (time needs Linux 5.6)"
    default:
        return nil
    }
}

/// The system setting that forbids unprivileged user namespaces, if one does.
func userNamespaceRestriction() -> String? {
    func value(_ path: String) -> Int? {
        guard let text = try? readSmallFile(path) else { return nil }
        return Int(text.trimmingWhitespace())
    }
    if value("/proc/sys/user/max_user_namespaces") == 0 {
        return "user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0 "
            + "(sysctl -w user.max_user_namespaces=15000)"
    }
    if value("/proc/sys/kernel/unprivileged_userns_clone") == 0 {
        return "unprivileged user namespaces are disabled: "
            + "sysctl kernel.unprivileged_userns_clone is 0"
    }
    if value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1 {
        return "AppArmor restricts unprivileged user namespaces: "
            + "sysctl kernel.apparmor_restrict_unprivileged_userns is 1 (set it to 0, or give "
            + "this program an AppArmor profile with 'userns,')"
    }
    return nil
}

/// Why a caller whose euid or egid has no mapping in its user namespace gets no new one (the
/// kernel refuses an unmapped owner: user_namespaces(7)), or nil when both are mapped.
func unmappedCaller() -> String? {
    func mapped(_ file: String, _ id: UInt32) -> Bool {
        guard let text = try? readSmallFile(file) else { return true }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").compactMap { UInt64($0) }
            if fields.count == 3, UInt64(id) >= fields[0], UInt64(id) < fields[0] + fields[2] { return true }
        }
        return false
    }
    let (uid, gid) = (geteuid(), getegid())
    if !mapped("/proc/self/uid_map", uid) {
        return "uid \(uid) has no mapping in this user namespace (/proc/self/uid_map), and the kernel gives an unmapped "
            + "owner no new user namespace; run as a mapped uid"
    }
    if !mapped("/proc/self/gid_map", gid) {
        return "gid \(gid) has no mapping in this user namespace (/proc/self/gid_map), and the kernel gives an unmapped "
            + "owner no new user namespace; run with a mapped gid"
    }
    return nil
}

/// The Seccomp field of /proc/self/status: 0 none, 1 strict, 2 a filter.
func seccompMode() -> Int? { statusField("Seccomp:").flatMap { Int($0) } }

/// The value of the line of /proc/self/status that starts with `name`.
private func statusField(_ name: String) -> String? {
    guard let text = try? readSmallFile("/proc/self/status") else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(name) {
        return line.dropFirst(name.count).trimmingWhitespace()
    }
    return nil
}

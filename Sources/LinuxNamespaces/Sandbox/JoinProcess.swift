import Glibc
import SystemPackage

extension ProcessID {
    /// The file through which a joiner enters this process's namespace of `kind`. For pid and
    /// time namespaces that is `pid_for_children` / `time_for_children`: the namespace the
    /// process's next children go to, which is where a joiner's command, a child too, belongs.
    public func joinPath(_ kind: NamespaceKind) -> FilePath {
        let name = kind == .pid ? "pid_for_children" : kind == .time ? "time_for_children" : kind.procName
        return FilePath("\(procDirectory)/ns/\(name)")
    }

    /// The kinds among `kinds` whose namespace of this process differs from the caller's, the
    /// one `nsenter -t PID -a` enters: compared through `joinPath(_:)` on both sides. A kind
    /// the kernel lacks is left out. Empty when the process shares every namespace with us.
    ///
    /// - Throws: `NamespaceError` (`.inspect`) with the real cause: ENOENT when there is no
    ///   such process (or only its zombie), EACCES/EPERM when the caller may not read its namespaces (that needs
    ///   ptrace access to it: its uid and no fewer privileges, or CAP_SYS_PTRACE in its user namespace).
    /// The corresponding C function is `stat`.
    public func namespacesDifferingFromOurs(_ kinds: NamespaceSet = .all) throws(NamespaceError) -> NamespaceSet {
        var differing = NamespaceSet()
        let directory = procDirectory
        for kind in kinds.kinds {
            // Plain strings, not FilePath: this runs at every `nsbox enter -a` start.
            let name = kind == .pid ? "pid_for_children" : kind == .time ? "time_for_children" : kind.procName
            var theirs = stat(), mine = stat()
            // No file of ours: the kernel lacks the kind (as nsenter, skip it).
            guard stat("/proc/self/ns/" + name, &mine) == 0 else { continue }
            guard stat(directory + "/ns/" + name, &theirs) == 0 else { throw unreadable(kind) }
            if (theirs.st_dev, theirs.st_ino) != (mine.st_dev, mine.st_ino) { differing.insert(NamespaceSet(kind)) }
        }
        return differing
    }

    /// Why this process's namespace file of `kind` could not be read (errno is stat's).
    private func unreadable(_ kind: NamespaceKind) -> NamespaceError {
        let errno = Errno.current
        var info = stat()
        guard errno == .noSuchFileOrDirectory else {
            return NamespaceError(
                .inspect, kinds: NamespaceSet(kind), path: joinPath(kind), pid: self, errno: errno,
                detail: "cannot read the namespaces of process \(rawValue)",
                hint: errno == .permissionDenied || errno == .notPermitted
                    ? "reading another process's namespaces needs ptrace access to it: its uid and no fewer privileges, or CAP_SYS_PTRACE in its user namespace (root of an inner user namespace has none over an outer one's process)"
                    : nil)
        }
        // No process, or a zombie: an exited process has no namespaces left.
        guard stat(procDirectory, &info) == 0 else {
            return NamespaceError(.inspect, pid: self, errno: errno, detail: "no such process", hint: "check the pid (it may have exited)")
        }
        return NamespaceError(.inspect, pid: self, errno: errno, detail: "the process has exited (a zombie its parent has not reaped)")
    }
}

extension Sandbox {
    /// Joins the namespaces of `kinds` of process `pid` through `ProcessID.joinPath(_:)`, in
    /// the application order (a kind joined already is replaced).
    public mutating func join(_ kinds: NamespaceSet, of pid: ProcessID) {
        joins.removeAll { kinds.contains($0.kind) }
        for kind in NamespaceKind.applicationOrder where kinds.contains(kind) {
            join(kind, .path(pid.joinPath(kind)))
        }
    }

    /// Joins every namespace of process `pid` that differs from the caller's: our own user
    /// namespace is never re-entered (the kernel refuses it), and nothing differing means no
    /// join at all and the command runs where we are. Kinds already in `joins` (given as
    /// files) keep their file.
    ///
    /// - Parameters:
    ///   - pid: the process whose namespaces are joined.
    ///   - reenteringShared: once something differs, also re-enter the other
    ///     namespaces `pid` shares with us, as `nsenter -t PID -a` does: a no-op that still
    ///     needs `CAP_SYS_ADMIN` over each (setns(2)), and a mount namespace's entry moves the
    ///     root and working directory to its root.
    /// - Returns: the kinds added.
    /// - Throws: `NamespaceError` from `ProcessID.namespacesDifferingFromOurs(_:)`, which
    ///   names the real cause (no such process; no permission to read its namespaces).
    @discardableResult
    public mutating func joinAll(of pid: ProcessID, reenteringShared: Bool = false) throws(NamespaceError) -> NamespaceSet {
        let already = NamespaceSet(joins.map(\.kind))
        let open = NamespaceSet.all.subtracting(already)
        var adding = try pid.namespacesDifferingFromOurs(open)
        // The shared kinds this kernel has (as nsenter, the others are skipped).
        let shared = reenteringShared && !adding.isEmpty ? open.subtracting(adding).subtracting(NamespaceSet(.user)) : []
        for kind in shared.kinds where access("/proc/self/ns/" + kind.procName, F_OK) == 0 {
            adding.insert(NamespaceSet(kind))
        }
        for kind in NamespaceKind.applicationOrder where adding.contains(kind) {
            join(kind, .path(pid.joinPath(kind)))
        }
        return adding
    }
}

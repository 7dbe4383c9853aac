import CNamespaces
import Glibc
import SystemPackage

extension Sandbox {
    /// Starts `command` in this sandbox and returns its handle.
    ///
    /// The configuration is validated first; then one clone creates a child that runs only
    /// async-signal-safe C: it enters and creates the namespaces, writes one-line maps of the
    /// caller's own ids itself (or waits while this process writes larger ones), sets
    /// credentials, forks the init or into pid and time namespaces, arranges the fds and
    /// executes the command. A failed step comes back as a `SandboxError` naming it, after the
    /// child is killed and reaped: nothing is left behind.
    ///
    /// A child that needs nothing from this process before it executes, joins no namespace and
    /// never supervises (no init) runs on this process's memory, as posix_spawn(3)'s does
    /// (`CLONE_VM | CLONE_VFORK`, on a stack of its own): the kernel copies no page tables, so a
    /// spawn from a large process costs what it costs from a small one. The calling thread
    /// waits meanwhile, until the command is executed or the set-up failed.
    ///
    /// Safe to call from any thread, concurrently.
    /// - Throws: `SandboxError`.
    public func spawn(_ command: SandboxCommand) throws(SandboxError) -> SandboxProcess {
        let (uid, gid, mapping) = try checked(command)
        return try spawnValidated(command, uid: uid, gid: gid, mapping: mapping)
    }

    /// The checks `spawn(_:)`, `execute(_:)` and `apply()` (no command) make before anything
    /// happens, and the id maps resolved for the caller's effective ids.
    func checked(_ command: SandboxCommand?) throws(SandboxError) -> (uid: uid_t, gid: gid_t, mapping: ResolvedMapping?) {
        try validate(command)
        try validateEnvironment()
        try validatePrivileges()
        let (uid, gid) = (geteuid(), getegid())
        var mapping = try userMapping.map { m throws(SandboxError) in try m.resolve(uid: uid, gid: gid) }
        // For another owner the caller writes even a map of its own ids, and leaves setgroups
        // alone, as unshare --owner does.
        if userNamespaceOwner != nil, mapping?.uidMap != nil, mapping?.useHelpers == false, mapping?.writableFromInside(uid: uid, gid: gid) == true {
            mapping?.setgroups = nil
        }
        return (uid, gid, mapping)
    }

    /// `spawn(_:)` after the checks, with the id maps already resolved for the caller's `uid`
    /// and `gid` (`execute(_:)` has done both when it falls back to spawning).
    func spawnValidated(_ command: SandboxCommand, uid: uid_t, gid: gid_t, mapping: ResolvedMapping?) throws(SandboxError) -> SandboxProcess {
        let geometry = ProcessGeometry(self)
        let searchPath = try searchPath(for: command)
        let parentMaps = mapping.map { !writesOwnMaps($0, uid: uid, gid: gid) } ?? false

        let handles = try openJoins()
        defer { for handle in handles { try? handle.close() } }

        var channels = PlanChannels()
        defer { channels.closeAll() }
        channels.errors = try SpawnPipe()
        channels.go = parentMaps ? try SpawnPipe() : nil
        channels.ready = geometry.unshareUser && parentMaps ? try SpawnPipe() : nil
        channels.status = geometry.mayHaveSupervisor ? try SpawnPipe() : nil
        channels.persistGo = persist.isEmpty ? nil : try SpawnPipe()
        channels.parentPidfd = parentDeathSignal != nil ? cn_pidfd_open(getpid(), 0) : -1

        var lowered = lower(command, mode: .spawn, geometry: geometry, mapping: mapping, uid: uid, gid: gid,
            handles: handles, channels: channels, searchPath: searchPath)
        let mounts = lowered.mounts
        var pidfd: Int32 = -1
        // PR_SET_PDEATHSIG fires when the thread that cloned exits. The main thread lives as
        // long as the process (short of pthread_exit), so it clones directly; any other thread
        // hands the clone to a thread of ours that never exits.
        let viaSpawnerThread = parentDeathSignal != nil && cn_gettid() != getpid()
        if viaSpawnerThread {
            let failure = SpawnerThread.shared.ensureRunning()
            if failure != 0 {
                channels.status?.closeBoth()
                throw SandboxError(
                    .resources, .spawnerThread, errno: Errno(rawValue: failure),
                    detail: "a parent-death signal is tied to the thread that clones; spawns from threads other than the main one clone from a thread of ours",
                    hint: "pthread_create failed: check the thread and memory limits (ulimit -u, RLIMIT_NPROC)")
            }
        }
        // The plan and all it points to live until we return: an init on our memory
        // (init_shares_memory) reads them until it says its command runs.
        let plan = lowered.arena.copy(lowered.plan)
        defer { withExtendedLifetime(lowered.arena) {} }
        let pid = viaSpawnerThread ? SpawnerThread.shared.spawn(plan, &pidfd) : cn_spawn(plan, &pidfd)
        guard pid > 0 else {
            let errno = Errno.current
            channels.status?.closeBoth()
            throw SandboxError(
                .clone, .clone(geometry.cloneFlags, sharedMemory: lowered.plan.share_memory != 0), errno: errno, detail: "cannot create the child",
                hint: creationHint(geometry.cloneFlags, errno: errno))
        }
        // (When the command's process is our own child, that one gives the terminal back.)
        let process = SandboxProcess(
            pid: ProcessID(rawValue: pid), pidfd: pidfd, statusFD: channels.status?.readEnd ?? -1,
            restoresForeground: session == .foreground && !geometry.forkAsSibling)
        // The status pipe's read end belongs to the handle now.
        let errors = channels.errors!.readEnd
        channels.errors?.closeWrite()
        channels.go?.closeRead()
        channels.ready?.closeWrite()
        channels.status?.closeWrite()
        channels.status = nil
        channels.persistGo?.closeRead()

        var persisted = false
        // The command's process when the child forked it as our own child (CN_RECORD_SIBLING).
        var sibling: SandboxProcess?
        do throws(SandboxError) {
            if let mapping, parentMaps {
                if let readyEnd = channels.ready?.readEnd {
                    // The child unshares its user namespace after its joins; wait for that.
                    guard readValue(readyEnd, as: UInt8.self, initial: 0) != nil else {
                        throw childFailure(errors, pid, command, mounts) ?? lostChild()
                    }
                }
                try writeMaps(mapping, pid: ProcessID(rawValue: pid))
                guard writeByte(channels.go!.writeEnd) else { throw childFailure(errors, pid, command, mounts) ?? lostChild() }
            }
            // Records until end of file, which means the command was executed (the pipe is
            // close-on-exec), or an init's word that it was; a failure report ends it early.
            var ids: [(NamespaceKind, NamespaceID)] = []
            reading: while let report = readValue(errors, as: cn_report.self, initial: cn_report()) {
                switch report.step {
                case Int32(CN_RECORD_STARTED.rawValue):
                    break reading
                case Int32(CN_RECORD_NAMESPACE.rawValue):
                    if let kind = NamespaceKind(cloneFlag: Int32(truncatingIfNeeded: report.detail)) {
                        ids.append((kind, NamespaceID(device: report.device, inode: report.inode)))
                    }
                case Int32(CN_RECORD_SIBLING.rawValue):
                    let siblingPID = pid_t(truncatingIfNeeded: report.detail)
                    sibling = SandboxProcess(
                        pid: ProcessID(rawValue: siblingPID), pidfd: try openPidfd(ofChild: siblingPID), statusFD: -1,
                        restoresForeground: session == .foreground)
                case Int32(CN_RECORD_READY_TO_PERSIST.rawValue):
                    try persistNamespaces(of: sibling ?? process)
                    persisted = true
                    guard writeByte(channels.persistGo!.writeEnd) else { throw lostChild() }
                default:
                    throw SandboxError(report: report, pid: ProcessID(rawValue: pid), command: command, sandbox: self, mounts: mounts)
                }
            }
            (sibling ?? process).setNamespaces(ids)
        } catch {
            sibling?.killAndReap()
            process.killAndReap()
            if persisted { unpersist() }
            throw error
        }
        guard let sibling else { return process }
        // The child that forked the command has left once the pipe closed: reap it.
        _ = try? process.wait()
        return sibling
    }

    /// The PATH the child searches for `command`: checked here first where the child sees our
    /// files, and then only the directories from the first match on (the child sees the same
    /// files unless something is mounted over a PATH directory: then it searches from the start).
    func searchPath(for command: SandboxCommand) throws(SandboxError) -> String {
        guard !joins.contains(where: { $0.kind == .mount }) && newRoot == nil && command.executableFD == nil,
            let rest = try ExecutableLookup.check(command), seesCallerFiles
        else { return command.searchPath }
        return rest
    }

    /// Whether the command sees the caller's files: no mount namespace joined, no new root,
    /// nothing mounted but a `/proc`.
    var seesCallerFiles: Bool {
        !joins.contains(where: { $0.kind == .mount }) && newRoot == nil
            && effectiveMounts.allSatisfy({ $0.source == .proc && $0.target == "/proc" })
    }

    /// Opens every namespace to join, checked: the caller closes them.
    func openJoins() throws(SandboxError) -> [NamespaceHandle] {
        var handles: [NamespaceHandle] = []
        do throws(SandboxError) {
            for (index, join) in joins.enumerated() {
                do {
                    handles.append(try NamespaceHandle.open(path: join.path, expecting: join.kind))
                } catch {
                    throw SandboxError(invalid: "joins[\(index)] (\(join.kind))", error.description)
                }
                // setns(2) refuses the user namespace one is already in with a bare EINVAL.
                if join.kind == .user, let target = try? handles[handles.count - 1].id(),
                    let own = try? NamespaceID(.user), target == own
                {
                    throw SandboxError(
                        invalid: "joins[\(index)] (user)", "\(join.path) is the caller's own user namespace, which the kernel does not let a process enter again",
                        hint: "remove the join: the sandbox is in that user namespace already")
                }
            }
        } catch {
            for handle in handles { try? handle.close() }
            throw error
        }
        return handles
    }

    /// A pidfd for `child`, our child not yet reaped (so its pid cannot have been reused);
    /// when none can be had, the child is killed and reaped.
    func openPidfd(ofChild child: pid_t) throws(SandboxError) -> Int32 {
        let fd = cn_pidfd_open(child, 0)
        guard fd < 0 else { return fd }
        let errno = Errno.current
        _ = kill(child, SIGKILL)
        _ = waitpid(child, nil, 0)
        throw SandboxError(.clone, .pidfdOpen(ProcessID(rawValue: child)), errno: errno, detail: "cannot hold the process that runs the command")
    }

    /// Checks every field that can be wrong before anything is started.
    func validate(_ command: SandboxCommand?) throws(SandboxError) {
        var seen = NamespaceSet()
        for (index, join) in joins.enumerated() {
            // A mount namespace may be joined and then copied: the new one starts as the joined
            // one (`nsbox enter --mount-proc` mounts a /proc there that the target does not see).
            if create.contains(join.kind) && join.kind != .mount {
                throw SandboxError(invalid: "joins[\(index)]", "the \(join.kind) namespace is both created and joined",
                    hint: "remove it from create or from joins")
            }
            if seen.contains(join.kind) {
                throw SandboxError(invalid: "joins[\(index)]", "the \(join.kind) namespace is joined twice")
            }
            seen.insert(NamespaceSet(join.kind))
        }
        if userNamespaceOwner != nil && !create.contains(.user) {
            throw SandboxError(invalid: "userNamespaceOwner", "an owner is given to a new user namespace", hint: "add .user to create")
        }
        if userMapping != nil && !create.contains(.user) {
            throw SandboxError(invalid: "userMapping", "id maps need a new user namespace",
                hint: "add .user to create")
        }
        if let signal = parentDeathSignal?.rawValue, !(1...64).contains(signal) || signal == SIGSTOP {
            throw SandboxError(invalid: "parentDeathSignal", "\(signal) is not a signal that can end a process")
        }
        guard let command else { return }
        if command.executable.isEmpty {
            throw SandboxError(invalid: "command.executable", "the command is empty")
        }
        if command.descriptorPairs.count > 256 || command.descriptorPairs.contains(where: { $0.target < 0 }) {
            throw SandboxError(invalid: "command.fileDescriptors", "fd numbers must be 0 or more, at most 256 of them")
        }
        // One at a time, no array of optionals and no key path: each would be a metadata
        // instantiation at every nsbox start.
        func checkDirectory(_ descriptor: FileDescriptor?) throws(SandboxError) {
            guard let fd = descriptor?.rawValue, fd <= 0 || fcntl(fd, F_GETFD) < 0 else { return }
            throw SandboxError(invalid: "command.rootDirectoryFD/workingDirectoryFD", "fd \(fd) is not an open directory above 0")
        }
        try checkDirectory(command.rootDirectoryFD)
        try checkDirectory(command.workingDirectoryFD)
        for pair in command.descriptorPairs where fcntl(pair.source, F_GETFD) < 0 {
            throw SandboxError(invalid: "command.fileDescriptors", "fd \(pair.source) is not open in this process")
        }
    }

    /// Writes the maps through the child, directly or with newuidmap/newgidmap.
    private func writeMaps(_ mapping: ResolvedMapping, pid: ProcessID) throws(SandboxError) {
        if mapping.useHelpers {
            try IDMapHelpers.write(mapping, pid: pid)
            return
        }
        do {
            try writeIDMaps(of: pid, uidMap: mapping.uidMap, gidMap: mapping.gidMap, setgroups: mapping.setgroups)
        } catch {
            throw SandboxError(idMaps: error)
        }
    }

    /// Detaches the persist bind mounts of a spawn that failed after making them.
    private func unpersist() {
        for file in persist.values { umount2(file.string, Int32(CN_MNT_DETACH)) }
    }

    private func childFailure(_ fd: Int32, _ pid: pid_t, _ command: SandboxCommand, _ mounts: [Mount]) -> SandboxError? {
        readValue(fd, as: cn_report.self, initial: cn_report()).map {
            SandboxError(report: $0, pid: ProcessID(rawValue: pid), command: command, sandbox: self, mounts: mounts)
        }
    }

    private func lostChild() -> SandboxError {
        SandboxError(.child, .unreported, detail: "the child ended without a report",
            hint: "it may have been killed (out of memory, or a signal)")
    }
}


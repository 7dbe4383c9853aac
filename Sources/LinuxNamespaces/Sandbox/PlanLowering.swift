import CNamespaces
import Glibc

/// Who carries out a lowered plan: the launch modes of DESIGN.md, which differ only in that.
enum LaunchMode {
    /// A child cloned by `cn_spawn` (`Sandbox.spawn`).
    case spawn
    /// This process, which then executes the command (`Sandbox.execute`).
    case execute
    /// This process, which then returns to its caller (`Sandbox.apply`).
    case apply
}

/// The pipes and fds between this process and the one that carries out the plan; nil or -1
/// where the mode and the sandbox need none.
struct PlanChannels {
    var errors: SpawnPipe?
    var go: SpawnPipe?
    var ready: SpawnPipe?
    var status: SpawnPipe?
    var persistGo: SpawnPipe?
    var parentPidfd: Int32 = -1

    /// Closes every end still open.
    mutating func closeAll() {
        errors?.closeBoth()
        go?.closeBoth()
        ready?.closeBoth()
        status?.closeBoth()
        persistGo?.closeBoth()
        if parentPidfd >= 0 { close(parentPidfd) }
        parentPidfd = -1
    }
}

/// A sandbox and a command lowered to the C plan, with the C memory the plan points into.
struct LoweredPlan {
    var plan: cn_plan
    /// Owns every string and array `plan` points to: keep it alive while the plan runs.
    let arena: CArena
    let geometry: ProcessGeometry
    /// `Sandbox.effectiveMounts`, in the order of the plan (a failed mount reports its index).
    let mounts: [Mount]
}

extension Sandbox {
    /// The one lowering of a checked sandbox: every launch mode fills its C plan here, so a new
    /// field needs one change. `command` is nil for `apply`, which executes nothing.
    func lower(
        _ command: SandboxCommand?, mode: LaunchMode, geometry: ProcessGeometry, mapping: ResolvedMapping?,
        uid: uid_t, gid: gid_t, handles: [NamespaceHandle], channels: PlanChannels, searchPath: String
    ) -> LoweredPlan {
        let arena = CArena()
        var plan = cn_plan()
        geometry.fill(&plan)
        if privateSysVSemaphores { plan.unshare_flags |= Int32(CN_CLONE_SYSVSEM) }
        fillJoins(&plan, handles)
        plan.ready_fd = channels.ready?.writeEnd ?? -1
        plan.go_fd = channels.go?.readEnd ?? -1
        plan.error_fd = channels.errors?.writeEnd ?? -1
        plan.status_fd = channels.status?.writeEnd ?? -1
        plan.persist_go_fd = channels.persistGo?.readEnd ?? -1
        plan.parent_ends = (
            channels.go?.writeEnd ?? -1, channels.persistGo?.writeEnd ?? -1, channels.errors?.readEnd ?? -1,
            channels.status?.readEnd ?? -1, channels.ready?.readEnd ?? -1
        )
        // Namespace records only where a caller reads them (spawn's handle).
        plan.report_flags = mode == .spawn ? createdOrJoined.rawValue : 0
        fillCredentials(&plan, mapping: mapping)
        if let owner = userNamespaceOwner {
            plan.set_owner = 1
            plan.owner_uid = owner.uid
            plan.owner_gid = owner.gid
        }
        if let mapping, writesOwnMaps(mapping, uid: uid, gid: gid) { fillOwnMaps(&plan, arena, mapping) }
        // The child needs nothing from us before it executes, never supervises and joins no
        // namespace (where others could already be, to ptrace it): it may run on our memory
        // (no page tables copied) while this thread waits.
        plan.share_memory = mode == .spawn && joins.isEmpty && channels.go == nil && persist.isEmpty && !geometry.mayHaveSupervisor ? 1 : 0
        // The init made by the clone itself, where nothing but the set-up reads the plan.
        plan.init_shares_memory = initSharesCallerMemory && mode == .spawn && geometry.runInit && geometry.cloneFlags.contains(.pid)
            && !geometry.forkForChildren && geometry.unshareFlags.isEmpty && joins.isEmpty && channels.go == nil && persist.isEmpty ? 1 : 0
        let mounts = effectiveMounts
        fillEnvironment(&plan, arena, mounts: mounts)
        plan.pdeathsig = parentDeathSignal?.rawValue ?? 0
        plan.parent_pidfd = channels.parentPidfd
        plan.exec_fd = -1
        if let command { fillProcess(&plan, arena, command, searchPath: searchPath) }
        fillPrivileges(&plan, arena, mapping: mapping, uid: uid, gid: gid)
        return LoweredPlan(plan: plan, arena: arena, geometry: geometry, mounts: mounts)
    }

    /// Whether the process that creates the user namespace writes its one-line maps itself:
    /// only maps of the caller's own ids, and only without joins (after a join, a joined mount
    /// namespace's /proc may not show the process), and not as another owner (the caller's
    /// ids are no longer its own). Otherwise this process writes them.
    func writesOwnMaps(_ mapping: ResolvedMapping, uid: uid_t, gid: gid_t) -> Bool {
        joins.isEmpty && userNamespaceOwner == nil && mapping.writableFromInside(uid: uid, gid: gid)
    }

    /// The plan's joins: the user namespace apart, the others in order.
    func fillJoins(_ plan: inout cn_plan, _ handles: [NamespaceHandle]) {
        plan.join_count = 0
        plan.user_join_fd = -1
        withUnsafeMutableBytes(of: &plan.joins) { raw in
            let joinsOut = raw.bindMemory(to: cn_join.self)
            for handle in handles {
                if handle.kind == .user {
                    plan.user_join_fd = handle.fileDescriptor.rawValue
                } else {
                    joinsOut[Int(plan.join_count)] = cn_join(fd: handle.fileDescriptor.rawValue, nstype: handle.kind.cloneFlag)
                    plan.join_count += 1
                }
            }
        }
    }

    /// The one-line maps the new user namespace's process writes itself.
    func fillOwnMaps(_ plan: inout cn_plan, _ arena: CArena, _ mapping: ResolvedMapping) {
        plan.own_setgroups = mapping.setgroups.map { UnsafePointer(arena.string($0.rawValue + "\n")) }
        plan.own_uid_map = mapping.uidMap.map { UnsafePointer(arena.string($0.text)) }
        plan.own_gid_map = mapping.gidMap.map { UnsafePointer(arena.string($0.text)) }
    }

    /// The plan's process: session, working directory, executable, arguments, environment,
    /// fds and signal mask.
    func fillProcess(_ plan: inout cn_plan, _ arena: CArena, _ command: SandboxCommand, searchPath: String) {
        plan.session = switch session {
        case .inherit: Int32(CN_SESSION_INHERIT.rawValue)
        case .newSession: Int32(CN_SESSION_NEW.rawValue)
        case .foreground: Int32(CN_SESSION_FOREGROUND.rawValue)
        }
        plan.cwd = command.workingDirectory.map { UnsafePointer(arena.string($0.string)) }
        // 0 is "none" in the plan: validate refuses a directory fd of 0.
        plan.root_dir_fd = command.rootDirectoryFD?.rawValue ?? 0
        plan.cwd_dir_fd = command.workingDirectoryFD?.rawValue ?? 0
        plan.path = UnsafePointer(arena.string(command.executable))
        plan.exec_fd = command.executableFD ?? -1
        plan.search_path = command.executable.contains("/") ? nil : UnsafePointer(arena.string(searchPath))
        plan.argv = UnsafePointer(arena.stringArray([command.argv0 ?? command.executable] + command.arguments))
        // The caller's own environment goes over as the C strings it is.
        let envp = command.environment != nil ? arena.stringArray(command.environmentStrings) : arena.cStringArray(environ)
        plan.envp = UnsafePointer(envp)
        let fds = command.descriptorPairs
        plan.fd_count = Int32(fds.count)
        plan.fd_targets = UnsafePointer(arena.int32Array(count: fds.count) { fds[$0].target })
        plan.fd_sources = UnsafePointer(arena.int32Array(count: fds.count) { fds[$0].source })
        plan.inherit_fds = command.inheritedFileDescriptors == .all ? 1 : 0
        if command.inheritsSignalMask {
            cn_current_signal_mask(&plan.mask)
        } else {
            sigemptyset(&plan.mask)
        }
    }

    /// uid, gid and groups inside: explicit ones, or root after joining a user namespace.
    ///
    /// Supplementary groups are dropped whenever the gid changes. Where we know the namespace
    /// allows setgroups (no new user namespace, or one whose maps we write without "deny") a
    /// refusal is an error; in one whose setgroups is "deny" (every rootless one) the call is
    /// skipped, and in a joined one or one mapped by newgidmap it is best effort: where nsenter
    /// fails, the child goes on without. `supplementaryGroups` `.drop` makes an explicit gid's
    /// setgroups(2) required everywhere, as unshare -G does; `.dropBeforeAndAfterJoining` is
    /// nsenter's rule: before the joins and after, an error only if both are refused.
    func fillCredentials(_ plan: inout cn_plan, mapping: ResolvedMapping?) {
        let joinedUser = joins.first { $0.kind == .user }
        let becomeRoot = joinedUser != nil && !preserveCredentials
        if let gid = gid ?? (becomeRoot ? 0 : nil) {
            plan.set_gid = 1
            plan.gid = gid
        }
        if let uid = uid ?? (becomeRoot ? 0 : nil) {
            plan.set_uid = 1
            plan.uid = uid
        }
        guard becomeRoot || gid != nil else { plan.set_groups = 0; return }
        if joinedUser != nil && becomeRoot && supplementaryGroups == .dropBeforeAndAfterJoining {
            plan.set_groups = 3
        } else if gid != nil && supplementaryGroups == .drop {
            plan.set_groups = 1
        } else if joinedUser != nil || mapping?.useHelpers == true {
            plan.set_groups = 2
        } else if create.contains(.user) {
            plan.set_groups = mapping?.setgroups == .deny || mapping == nil ? 0 : 1
        } else {
            plan.set_groups = 1
        }
    }
}

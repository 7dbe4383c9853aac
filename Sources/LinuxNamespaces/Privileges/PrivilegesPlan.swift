import CNamespaces

extension Sandbox {
    /// Whether the command's process enters a nested user + mount namespace that locks the
    /// mounts (see `MountLocking`).
    var locksMounts: Bool {
        guard create.contains(.user), !(newRoot != nil && rootMode == .chroot) else { return false }
        if disableUserNamespaces { return true }
        guard create.contains(.mount) else { return false }
        switch mountLocking {
        case .never: return false
        case .always: return true
        // Not without maps: the kernel refuses a user namespace to a process whose ids are
        // mapped nowhere (user_namespaces(7)), and that sandbox ran before.
        case .whenReadOnly: return userMapping != nil && effectiveMounts.contains(where: \.readOnly)
        }
    }

    /// Checks that `mountLocking` can be done.
    func validatePrivileges() throws(SandboxError) {
        if let program = seccompProgram, program.isEmpty || program.count % 8 != 0 || program.count > 4096 * 8 {
            throw SandboxError(invalid: "seccompProgram", "\(program.count) bytes is not a BPF program of 1 to 4096 instructions (8 bytes each)",
                hint: "give the compiled struct sock_filter array, as bwrap --seccomp reads it")
        }
        if (disableUserNamespaces || mountLocking == .always) && create.contains(.user) && userMapping == nil {
            throw SandboxError(invalid: disableUserNamespaces ? "disableUserNamespaces" : "mountLocking",
                "the nested user namespace needs id maps: the kernel refuses one to unmapped ids", hint: "set userMapping (.root)")
        }
        if disableUserNamespaces {
            if !create.contains(.user) {
                throw SandboxError(invalid: "disableUserNamespaces", "limiting user namespaces needs a new user namespace",
                    hint: "add .user to create")
            }
            if newRoot != nil && rootMode == .chroot {
                throw SandboxError(invalid: "disableUserNamespaces", "the kernel refuses a nested user namespace to a chrooted process",
                    hint: "enter the new root with .pivot")
            }
        }
        guard mountLocking == .always else { return }
        if !create.contains(.user) || !create.contains(.mount) {
            throw SandboxError(invalid: "mountLocking", "locking mounts needs a new user and a new mount namespace",
                hint: "add .user and .mount to create")
        }
        if newRoot != nil && rootMode == .chroot {
            throw SandboxError(invalid: "mountLocking", "the kernel refuses a nested user namespace to a chrooted process",
                hint: "enter the new root with .pivot")
        }
    }

    /// Fills the plan's capabilities, no_new_privs and mount locking. `uid` and `gid` are the
    /// caller's effective ids, for which `mapping` was resolved.
    func fillPrivileges(_ plan: inout cn_plan, _ arena: CArena, mapping: ResolvedMapping?, uid: uid_t, gid: gid_t) {
        plan.drop_capabilities = capabilities == .all ? 0 : 1
        plan.kept_capabilities = capabilities.rawValue
        plan.permitted_to_ambient = permittedCapabilitiesAsAmbient ? 1 : 0
        plan.no_new_privs = noNewPrivileges ? 1 : 0
        if let program = seccompProgram {
            let bytes = arena.array(of: UInt8.self, count: program.count)
            for (index, byte) in program.enumerated() { bytes[index] = byte }
            plan.seccomp_program = UnsafeRawPointer(bytes)
            plan.seccomp_length = UInt16(program.count / 8)
        }
        guard locksMounts else { return }
        plan.lock_mounts = 1
        plan.limit_user_namespaces = disableUserNamespaces ? 1 : 0
        // No maps outside: no id is mapped that the nested namespace could map through.
        guard let mapping, let uidMap = mapping.uidMap, let gidMap = mapping.gidMap else { return }
        func through(_ map: IDMap) -> UnsafePointer<CChar> {
            UnsafePointer(arena.string(map.mappings.map { "\($0.inside) \($0.inside) \($0.count)\n" }.joined()))
        }
        plan.nested_uid_map = through(uidMap)
        plan.nested_gid_map = through(gidMap)
        // Maps that leave out the caller's own ids (root mapping 0:100000:1000): the child's ids
        // are mapped nowhere inside, and the kernel refuses such a process a user namespace.
        func maps(_ map: IDMap, _ id: UInt32) -> Bool {
            map.mappings.contains { id >= $0.outside && UInt64(id) < UInt64($0.outside) + UInt64($0.count) }
        }
        if !maps(uidMap, uid) || !maps(gidMap, gid) {
            plan.nested_switch = 1
            plan.nested_uid = self.uid ?? uidMap.mappings[0].inside
            plan.nested_gid = self.gid ?? gidMap.mappings[0].inside
        }
        // One line of our own ids: written from inside, as the outer ones were. Any other maps
        // need CAP_SETUID in the outer namespace, which only a process left there has.
        if mapping.writableFromInside(uid: uid, gid: gid) {
            plan.nested_setgroups = UnsafePointer(arena.string("deny\n"))
        } else {
            plan.nested_maps_by_helper = 1
        }
    }
}

import CNamespaces
import Glibc
import SystemPackage

extension Sandbox {
    /// Every mount made inside, in order: `/proc`, binfmt_misc, the private `/tmp`, then `mounts`.
    var effectiveMounts: [Mount] {
        var result: [Mount] = []
        switch procMount {
        case .automatic where create.contains(.pid) && create.contains(.mount):
            result.append(Mount(.proc, on: "/proc"))
        case .at(let path):
            result.append(Mount(.proc, on: path))
        default: break
        }
        if let binaryFormats {
            result.append(Mount(.fileSystem(type: "binfmt_misc", options: nil), on: binaryFormats.mountPoint, restrictions: .noExecute))
        }
        if privateTmp { result.append(.tmpfs("/tmp", mode: 0o1777)) }
        return result + mounts
    }

    /// Checks the environment fields: each needs its namespace, and every path must make sense.
    func validateEnvironment() throws(SandboxError) {
        if (hostname != nil || domainName != nil) && !create.contains(.uts) {
            throw SandboxError(invalid: hostname != nil ? "hostname" : "domainName",
                "setting it needs a new UTS namespace", hint: "add .uts to create")
        }
        // One call per field, not a loop over an array of pairs: each new array element type
        // costs the runtime a metadata instantiation in a command-line tool's start-up.
        func checkLength(_ field: String, _ name: String?) throws(SandboxError) {
            if let name, name.utf8.count > 64 || name.isEmpty {
                throw SandboxError(invalid: field, "'\(name)' must be 1 to 64 bytes long")
            }
        }
        try checkLength("hostname", hostname)
        try checkLength("domainName", domainName)
        if timeOffsets != nil && !create.contains(.time) {
            throw SandboxError(invalid: "timeOffsets", "clock offsets need a new time namespace",
                hint: "add .time to create")
        }
        let mounts = effectiveMounts
        if (!mounts.isEmpty || (newRoot != nil && rootMode == .pivot)) && !create.contains(.mount) {
            let field = newRoot != nil ? "newRoot" : mounts.first.map { "mounts (\($0.description))" } ?? "mounts"
            throw SandboxError(invalid: field, "mounting needs a new mount namespace",
                hint: "add .mount to create, so nothing is mounted on the host")
        }
        if let newRoot {
            guard newRoot.isAbsolute, isDirectory(newRoot.string) else {
                throw SandboxError(invalid: "newRoot", "'\(newRoot)' is not an absolute path to a directory")
            }
        }
        if readOnlyRoot && (newRoot == nil || rootMode != .pivot) {
            throw SandboxError(invalid: "readOnlyRoot", "only a new root entered with pivot_root can be made read-only",
                hint: "set newRoot, and keep rootMode .pivot")
        }
        if let binaryFormats {
            guard create.contains(.user) && create.contains(.mount) else {
                throw SandboxError(invalid: "binaryFormats", "outside a new user namespace binfmt_misc is the machine's own: "
                    + "registering there changes it for every process", hint: "add .user and .mount to create")
            }
            if let rule = binaryFormats.rules.first(where: { $0.isEmpty || $0.utf8.contains(0) || $0.utf8.count > 1920 }) {
                throw SandboxError(invalid: "binaryFormats.rules", "'\(rule)' is not a rule: write :name:type:offset:magic:mask:interpreter:flags")
            }
        }
        if mounts.count > Int(cn_max_mounts) {
            throw SandboxError(invalid: "mounts", "\(mounts.count) mounts; at most \(cn_max_mounts)")
        }
        for mount in mounts {
            guard mount.target.isAbsolute else {
                throw SandboxError(invalid: "mounts (\(mount.description))", "the target must be an absolute path")
            }
            let target = (newRoot?.string ?? "") + mount.target.string
            if case .symlink = mount.source { continue }
            if case .directory = mount.source { continue }
            // Below a proc mounted before it, the target appears with that mount.
            let belowProc = mounts.contains { $0.source == .proc && mount.target.starts(with: $0.target) && $0.target != mount.target }
            guard mount.ifExists || mount.createsTarget || belowProc || access(target, F_OK) == 0 else {
                throw SandboxError(invalid: "mounts (\(mount.description))", "the target \(target) does not exist",
                    hint: "create it first")
            }
            if case .bind(let source, _) = mount.source {
                guard source.isAbsolute else {
                    throw SandboxError(invalid: "mounts (\(mount.description))",
                        "the source must be an absolute path", hint: "write /full/path/to/\(source)")
                }
                guard mount.ifExists || access(source.string, F_OK) == 0 else {
                    throw SandboxError(invalid: "mounts (\(mount.description))", "the source \(source) does not exist")
                }
            }
        }
        for (kind, file) in persist {
            guard create.contains(kind) else {
                throw SandboxError(invalid: "persist[\(kind)]", "only a namespace the sandbox creates can be persisted",
                    hint: "add .\(kind) to create")
            }
            guard file.isAbsolute else {
                throw SandboxError(invalid: "persist[\(kind)]", "'\(file)' must be an absolute path")
            }
        }
    }

    /// Fills the environment part of the plan; the mounts' C memory comes from `arena`.
    func fillEnvironment(_ plan: inout cn_plan, _ arena: CArena, mounts: [Mount]) {
        plan.time_offsets = timeOffsets.map { UnsafePointer(arena.string($0.text)) }
        if create.contains(.mount) {
            plan.propagation = switch mountPropagation {
            case .private: UInt(CN_MS_PRIVATE)
            case .slave: UInt(CN_MS_SLAVE)
            case .shared: UInt(CN_MS_SHARED)
            case .unchanged: 0
            }
        }
        let lowered = arena.array(of: cn_mount.self, count: mounts.count)
        for (index, mount) in mounts.enumerated() {
            let target = UnsafePointer(arena.string((newRoot?.string ?? "") + mount.target.string))
            var entry = cn_mount()
            entry.target = target
            entry.read_only = mount.readOnly ? 1 : 0
            entry.if_exists = mount.ifExists ? 1 : 0
            entry.create = Int32((mount.createsTarget ? CN_CREATE_DIRECTORY : CN_CREATE_NONE).rawValue)
            entry.restrict_flags = (mount.restrictions.contains(.noSetuid) ? CN_MS_NOSUID : 0)
                | (mount.restrictions.contains(.noDevices) ? CN_MS_NODEV : 0) | (mount.restrictions.contains(.noExecute) ? CN_MS_NOEXEC : 0)
            func fileSystem(_ type: String, _ options: String?, flags: UInt) {
                entry.source = UnsafePointer(arena.string(type))
                entry.fstype = UnsafePointer(arena.string(type))
                entry.data = options.map { UnsafePointer(arena.string($0)) }
                entry.flags = flags | entry.restrict_flags
            }
            switch mount.source {
            case .bind(let source, let recursive):
                entry.source = UnsafePointer(arena.string(source.string))
                entry.flags = CN_MS_BIND | (recursive ? CN_MS_REC : 0)
                // The mount point of a file is a file.
                if mount.createsTarget && !isDirectory(source.string) { entry.create = Int32(CN_CREATE_FILE.rawValue) }
            case .tmpfs(let options): fileSystem("tmpfs", options, flags: CN_MS_NOSUID | CN_MS_NODEV)
            case .proc: fileSystem("proc", nil, flags: CN_MS_NOSUID | CN_MS_NODEV | CN_MS_NOEXEC)
            case .fileSystem(let type, let options): fileSystem(type, options, flags: CN_MS_NOSUID | CN_MS_NODEV)
            case .mask: entry.mask = 1
            case .rebind: entry.rebind = 1
            case .directory: entry.create = Int32(CN_CREATE_DIRECTORY_ONLY.rawValue)
            case .symlink(let path):
                entry.source = UnsafePointer(arena.string(path.string))
                entry.create = Int32(CN_CREATE_SYMLINK.rawValue)
            }
            // Set at the mount itself where the file system is new; binds get them afterwards.
            if entry.fstype != nil { entry.restrict_flags = 0 }
            lowered[index] = entry
        }
        plan.mount_count = Int32(mounts.count)
        plan.mounts = UnsafePointer(lowered)
        plan.new_root = newRoot.map { UnsafePointer(arena.string($0.string)) }
        plan.root_mode = Int32(newRoot == nil ? CN_ROOT_NONE.rawValue : rootMode == .pivot ? CN_ROOT_PIVOT.rawValue : CN_ROOT_CHROOT.rawValue)
        plan.root_read_only = readOnlyRoot ? 1 : 0
        plan.hostname = hostname.map { UnsafePointer(arena.string($0)) }
        plan.domainname = domainName.map { UnsafePointer(arena.string($0)) }
        plan.loopback_up = loopbackUp && create.contains(.network) ? 1 : 0
        if let binaryFormats, !binaryFormats.rules.isEmpty {
            plan.binfmt_register = UnsafePointer(arena.string((newRoot?.string ?? "") + binaryFormats.mountPoint.appending("register").string))
            plan.binfmt_rule_count = Int32(binaryFormats.rules.count)
            plan.binfmt_rules = UnsafePointer(arena.stringArray(binaryFormats.rules))
        }
    }

    /// Bind-mounts the sandbox's namespaces on the `persist` files, creating missing files.
    /// On failure, undoes the ones already made.
    func persistNamespaces(of process: SandboxProcess) throws(SandboxError) {
        var done: [String] = []
        for (kind, path) in persist.sorted(by: { $0.value.string < $1.value.string }) {
            let file = path.string
            let fd = open(file, O_RDONLY | O_CREAT | O_CLOEXEC, 0o644)
            if fd >= 0 { close(fd) }
            guard Glibc.mount(process.namespacePath(kind), file, nil, UInt(CN_MS_BIND), nil) == 0 else {
                let errno = Errno.current
                for path in done { umount2(path, Int32(CN_MNT_DETACH)) }
                var hint = "persisting needs root: CAP_SYS_ADMIN in this mount namespace"
                if errno == .invalidArgument && kind == .mount {
                    hint = "a mount namespace cannot be bound on a file inside a shared mount that would propagate into it: "
                        + "put the file on a private mount (mount --bind DIR DIR; mount --make-private DIR)"
                } else if errno != .notPermitted && errno != .permissionDenied {
                    hint = "the file must be on a mount this process may bind over"
                }
                throw SandboxError(.persist, .persist(kind, path), errno: errno,
                    detail: "cannot bind-mount \(process.namespacePath(kind)) on it", hint: hint)
            }
            done.append(file)
        }
    }
}

/// Whether `path` is a directory.
func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

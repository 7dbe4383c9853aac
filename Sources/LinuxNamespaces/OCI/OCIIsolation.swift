import Glibc
import SystemPackage

/// `root` of a runtime-spec `config.json`: the bundle's root file system.
public struct OCIRoot: Sendable, Hashable {
    /// `root.path`: the directory to make `/`, relative to the bundle (the directory of
    /// `config.json`) unless absolute.
    public var path: String
    /// `root.readonly`: the root itself is read-only (not what is mounted on it).
    public var readOnly: Bool

    /// A root file system at `path`.
    public init(path: String, readOnly: Bool = false) {
        self.path = path
        self.readOnly = readOnly
    }
}

/// One entry of `mounts`: `destination` inside the root, `type`, `source` and `options` as
/// mount(8) takes them (`bind`/`rbind` among the options for a bind mount).
public struct OCIMount: Sendable, Hashable {
    /// Where, an absolute path inside the container.
    public var destination: String
    /// The file system type (`proc`, `tmpfs`, `devpts`, `mqueue`, `sysfs`, `cgroup2`, `bind`).
    public var type: String?
    /// A host path for a bind mount (relative to the bundle unless absolute); a name otherwise.
    public var source: String?
    /// Mount options: flags such as `ro`, `nosuid`, `rbind`, and file-system options such as
    /// `mode=755`.
    public var options: [String]

    /// A mount entry.
    public init(destination: String, type: String? = nil, source: String? = nil, options: [String] = []) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
    }
}

extension OCIConfig {
    /// The members each object of a config may have; any other one is refused, naming its
    /// JSON path: a field that is not applied must never be silently ignored, since the
    /// command would then run with less isolation than the config asks for.
    static let knownMembers: [String: Set<String>] = [
        "": ["ociVersion", "process", "root", "hostname", "domainname", "linux", "mounts", "annotations"],
        "process": ["args", "env", "cwd", "user", "terminal", "consoleSize", "capabilities", "noNewPrivileges"],
        "process.user": ["uid", "gid", "additionalGids"],
        "process.capabilities": ["bounding", "effective", "inheritable", "permitted", "ambient"],
        "linux": ["namespaces", "uidMappings", "gidMappings", "timeOffsets", "maskedPaths", "readonlyPaths", "rootfsPropagation"],
        "root": ["path", "readonly"],
        "mounts[]": ["destination", "type", "source", "options"],
    ]

    /// Fails on a member of `field` (an object) that `knownMembers[kind]` does not list.
    static func refuseUnknownMembers(of field: JSONField, as kind: String) throws(OCIConfigError) {
        let known = knownMembers[kind] ?? []
        for key in try field.object().keys.sorted() where !known.contains(key) {
            let path = JSONField.join(field.path, key)
            throw OCIConfigError(
                field: path,
                "cannot be applied here, and ignoring it could run the command with less isolation than the config asks; remove it")
        }
    }

    /// Reads `root`.
    static func root(_ field: JSONField) throws(OCIConfigError) -> OCIRoot {
        try refuseUnknownMembers(of: field, as: "root")
        guard let path = try field.member("path") else { throw field.failure("missing \"path\", the root file system's directory") }
        let text = try path.string()
        guard !text.isEmpty else { throw path.failure("empty; name the root file system's directory") }
        return OCIRoot(path: text, readOnly: try field.member("readonly")?.bool() ?? false)
    }

    /// Reads `mounts`.
    static func mounts(_ list: JSONField) throws(OCIConfigError) -> [OCIMount] {
        var result: [OCIMount] = []
        for entry in try list.array() {
            try refuseUnknownMembers(of: entry, as: "mounts[]")
            guard let destination = try entry.member("destination") else {
                throw entry.failure("missing \"destination\", where to mount inside the container")
            }
            result.append(OCIMount(
                destination: try destination.string(), type: try entry.member("type")?.string(),
                source: try entry.member("source")?.string(), options: try entry.member("options")?.strings() ?? []))
        }
        return result
    }

    /// The directory relative paths of the config are taken from: the bundle's, where the
    /// config was read from a file, else the working directory.
    var bundleDirectory: String { bundle ?? currentDirectory() }

    /// `path` made absolute against the bundle.
    func inBundle(_ path: String) -> String {
        path.utf8.first == UInt8(ascii: "/") ? path : bundleDirectory + "/" + path
    }

    /// Puts `root`, `mounts`, `linux.maskedPaths`, `linux.readonlyPaths` and
    /// `linux.rootfsPropagation` on `sandbox`, in the order runc applies them: the mounts, then
    /// the masked and read-only paths (which name files of a proc or sysfs mounted just
    /// before, so a missing one is skipped), then the root made read-only.
    func applyFileSystem(to sandbox: inout Sandbox) throws(OCIConfigError) {
        let usesFileSystem = root != nil || !mounts.isEmpty || !maskedPaths.isEmpty || !readonlyPaths.isEmpty
        guard usesFileSystem else { return }
        guard sandbox.create.contains(.mount) else {
            let field = root != nil ? "root" : !mounts.isEmpty ? "mounts" : linuxField(maskedPaths.isEmpty ? "readonlyPaths" : "maskedPaths")
            throw OCIConfigError(field: field, "needs a new mount namespace; add {\"type\": \"mount\"} to \(linuxField("namespaces"))")
        }
        if let root {
            sandbox.newRoot = FilePath(inBundle(root.path))
            sandbox.readOnlyRoot = root.readOnly
        }
        // The config says what to mount: no /proc of our own beside its mounts.
        sandbox.procMount = .none
        for (index, mount) in mounts.enumerated() {
            sandbox.mounts.append(try self.mount(mount, field: "mounts[\(index)]"))
        }
        for (index, path) in maskedPaths.enumerated() {
            try requireAbsolute(path, field: linuxField("maskedPaths") + "[\(index)]")
            sandbox.mounts.append(Mount(.mask, on: path, ifExists: true))
        }
        for (index, path) in readonlyPaths.enumerated() {
            try requireAbsolute(path, field: linuxField("readonlyPaths") + "[\(index)]")
            sandbox.mounts.append(Mount(.rebind, on: path, readOnly: true, ifExists: true))
        }
        if let rootfsPropagation { sandbox.mountPropagation = rootfsPropagation }
    }

    private func requireAbsolute(_ path: String, field: String) throws(OCIConfigError) {
        guard path.utf8.first == UInt8(ascii: "/") else {
            throw OCIConfigError(field: field, "\(quoted(path)) is not an absolute path")
        }
    }

    /// The `Mount` of one `mounts` entry.
    private func mount(_ entry: OCIMount, field: String) throws(OCIConfigError) -> Mount {
        try requireAbsolute(entry.destination, field: field + ".destination")
        var bind: Bool? = entry.type == "bind" ? false : nil
        var readOnly = false
        var restrictions: MountRestrictions = []
        var data: [String] = []
        for (index, option) in entry.options.enumerated() {
            switch option {
            case "bind": bind = bind ?? false
            case "rbind": bind = true
            case "ro": readOnly = true
            case "rw", "suid", "dev", "exec", "private", "rprivate", "slave", "rslave",
                "atime", "noatime", "relatime", "norelatime", "strictatime", "nostrictatime", "diratime", "nodiratime", "lazytime", "nolazytime":
                // The defaults here, or about access times only: nothing isolation depends on.
                continue
            case "nosuid": restrictions.insert(.noSetuid)
            case "nodev": restrictions.insert(.noDevices)
            case "noexec": restrictions.insert(.noExecute)
            case "shared", "rshared", "unbindable", "runbindable", "remount", "sync", "dirsync", "mand", "nomand":
                throw OCIConfigError(field: "\(field).options[\(index)]", "\(quoted(option)) is not supported; remove it")
            default: data.append(option)
            }
        }
        let options = data.isEmpty ? nil : data.joined(separator: ",")
        let source: Mount.Source
        if let recursive = bind {
            guard let path = entry.source, !path.isEmpty else {
                throw OCIConfigError(field: field + ".source", "a bind mount needs the host path to bind")
            }
            if let options {
                throw OCIConfigError(field: field + ".options", "\(quoted(options)): a bind mount takes no file-system options")
            }
            source = .bind(FilePath(inBundle(path)), recursive: recursive)
        } else {
            switch entry.type {
            case "proc": source = .proc
            case "tmpfs": source = .tmpfs(options: options)
            case let type?: source = .fileSystem(type: type, options: options)
            case nil: throw OCIConfigError(field: field + ".type", "missing; name the file system type, or give the bind option")
            }
        }
        // Mount points that do not exist yet (/dev/pts on a new /dev tmpfs) are made, as runc does.
        return Mount(source, on: entry.destination, readOnly: readOnly, restrictions: restrictions, createsTarget: true)
    }
}

/// The working directory ("." where it cannot be read).
func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    return getcwd(&buffer, buffer.count) != nil ? String(cString: buffer) : "."
}

extension OCIConfig {
    /// Puts `process.noNewPrivileges` and `process.capabilities` on `sandbox`. A sandbox keeps
    /// one set of capabilities in all five sets, so the command keeps what every set that
    /// counts lists (a set left out is empty, as the runtime spec reads it): bounding,
    /// permitted and effective; for a uid other than 0 inside also inheritable and ambient,
    /// which are what such a process keeps across execve. Never more than the config gives.
    func applyPrivileges(to sandbox: inout Sandbox) throws(OCIConfigError) {
        sandbox.noNewPrivileges = process.noNewPrivileges
        guard let sets = process.capabilities else { return }
        var named: [(String, [String]?)] = [("bounding", sets.bounding), ("permitted", sets.permitted), ("effective", sets.effective)]
        if (process.uid ?? 0) != 0 { named += [("inheritable", sets.inheritable), ("ambient", sets.ambient)] }
        var kept = CapabilitySet.all
        for (set, names) in named {
            var listed = CapabilitySet()
            for (index, name) in (names ?? []).enumerated() {
                guard let capability = Capability(name: name) else {
                    throw OCIConfigError(
                        field: "process.capabilities.\(set)[\(index)]", "\(quoted(name)) is not a capability capabilities(7) names")
                }
                listed.insert(capability)
            }
            kept = CapabilitySet(rawValue: kept.rawValue & listed.rawValue)
        }
        sandbox.capabilities = kept
    }
}

extension JSONField {
    func bool() throws(OCIConfigError) -> Bool {
        guard case .bool(let flag) = value else { throw failure("expected true or false, found \(value.typeDescription)") }
        return flag
    }
}

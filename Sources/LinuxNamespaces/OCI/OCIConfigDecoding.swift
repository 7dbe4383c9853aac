import Glibc

extension OCIConfig {
    /// Reads a runtime-spec `config.json`, or a document that is only its `linux` object.
    /// - Throws: `OCIConfigError` for text that is not JSON (with line and column), a field
    ///   of the wrong JSON type, or a value the runtime spec forbids, naming its JSON path.
    public init(parsing text: String) throws(OCIConfigError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Reads a runtime-spec `config.json` from UTF-8 bytes; as `init(parsing:)`.
    public init(parsing bytes: [UInt8]) throws(OCIConfigError) {
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw OCIConfigError(syntax: error) }
        try self.init(json: json)
    }

    /// Reads the file at `path` (a bundle's `config.json`); as `init(parsing:)`, with the file
    /// named in syntax errors.
    /// - Throws: `OCIConfigError`, also when the file cannot be read.
    /// The corresponding C functions are `open` and `read`.
    public init(contentsOf path: String) throws(OCIConfigError) {
        let bytes = try readConfigFile(path)
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw OCIConfigError(syntax: error, source: path) }
        try self.init(json: json)
        let slash = path.utf8.lastIndex(of: UInt8(ascii: "/"))
        let directory = slash.map { String(path[..<$0]) } ?? ""
        bundle = slash == nil ? nil : directory.isEmpty ? "/" : directory
        if let bundle, bundle.utf8.first != UInt8(ascii: "/") { self.bundle = currentDirectory() + "/" + bundle }
    }

    /// Reads a parsed document: a whole `config.json`, or its `linux` object alone (an object
    /// with `namespaces`, `uidMappings`, `gidMappings` or `timeOffsets` and none of the
    /// top-level fields). One of those next to top-level fields is an error, not ignored.
    /// - Throws: `OCIConfigError` naming the JSON path of the first wrong field.
    public init(json: JSONValue) throws(OCIConfigError) {
        let document = JSONField(json)
        let members = try document.object()
        let linuxKeys: Set = ["namespaces", "uidMappings", "gidMappings", "timeOffsets"]
        let topKeys: Set = ["ociVersion", "process", "root", "hostname", "linux", "mounts"]
        let bareLinux = !linuxKeys.isDisjoint(with: members.keys) && topKeys.isDisjoint(with: members.keys)
        if !bareLinux, let misplaced = linuxKeys.intersection(members.keys).sorted().first {
            // Ignoring it, as the spec asks of unknown properties, would run without the namespaces.
            throw OCIConfigError(field: misplaced, "belongs in the linux object, as linux.\(misplaced)")
        }

        self.init()
        let linux: JSONField?
        if bareLinux {
            linuxPath = ""
            linux = document
        } else {
            try Self.refuseUnknownMembers(of: document, as: "")
            linux = try document.member("linux")
            hostname = try document.member("hostname")?.string()
            if let domain = try document.member("domainname"), !(try domain.string()).isEmpty {
                throw domain.failure("setting the NIS domain name is not supported; remove it")
            }
            if let process = try document.member("process") { self.process = try OCIProcess(process) }
            if let root = try document.member("root") { self.root = try Self.root(root) }
            if let list = try document.member("mounts") { mounts = try Self.mounts(list) }
        }
        if let linux {
            try Self.refuseUnknownMembers(of: linux, as: "linux")
            if let list = try linux.member("namespaces") { namespaces = try Self.namespaces(list) }
            if let list = try linux.member("uidMappings") { uidMappings = try Self.mappings(list) }
            if let list = try linux.member("gidMappings") { gidMappings = try Self.mappings(list) }
            if let offsets = try linux.member("timeOffsets") { timeOffsets = try Self.timeOffsets(offsets) }
            maskedPaths = try linux.member("maskedPaths")?.strings() ?? []
            readonlyPaths = try linux.member("readonlyPaths")?.strings() ?? []
            if let propagation = try linux.member("rootfsPropagation") {
                let name = try propagation.string()
                guard let mode = MountPropagation(rawValue: name), mode != .unchanged else {
                    throw propagation.failure("\(quoted(name)) is not supported; use private, slave or shared")
                }
                rootfsPropagation = mode
            }
        }
        try validate()
    }

    private static func namespaces(_ list: JSONField) throws(OCIConfigError) -> [OCINamespace] {
        var result: [OCINamespace] = []
        for entry in try list.array() {
            guard let typeField = try entry.member("type") else {
                throw entry.failure("missing \"type\"; expected one of \(OCINamespace.typeNames.joined(separator: ", "))")
            }
            let type = try typeField.string()
            guard let kind = NamespaceKind(rawValue: type) else {
                throw typeField.failure(
                    "unknown namespace type \(quoted(type)); expected one of \(OCINamespace.typeNames.joined(separator: ", "))")
            }
            // An empty path means "create", as runc reads it.
            let path = try entry.member("path")?.string()
            result.append(OCINamespace(kind, path: path?.isEmpty == false ? path : nil))
        }
        return result
    }

    private static func mappings(_ list: JSONField) throws(OCIConfigError) -> [IDMapping] {
        var result: [IDMapping] = []
        for entry in try list.array() {
            func id(_ key: String) throws(OCIConfigError) -> UInt32 {
                guard let field = try entry.member(key) else {
                    throw entry.failure("missing \"\(key)\"; a mapping has containerID, hostID and size")
                }
                return try field.uint32()
            }
            result.append(IDMapping(inside: try id("containerID"), outside: try id("hostID"), count: try id("size")))
        }
        return result
    }

    private static func timeOffsets(_ field: JSONField) throws(OCIConfigError) -> TimeOffsets {
        var offsets = TimeOffsets()
        for (clock, _) in try field.object().sorted(by: { $0.key < $1.key }) {
            guard let offset = try field.member(clock) else { continue }
            _ = try offset.object()
            let seconds = try offset.member("secs")?.integer(in: Int64.min...Int64.max) ?? 0
            if let nanoseconds = try offset.member("nanosecs") {
                let value = try nanoseconds.integer(in: 0...999_999_999)
                guard value == 0 else {
                    throw nanoseconds.failure("only whole seconds are supported; found \(value) nanoseconds")
                }
            }
            switch clock {
            case "monotonic": offsets.monotonic = seconds
            case "boottime": offsets.boottime = seconds
            default:
                throw offset.failure("unknown clock \(quoted(clock)); expected monotonic or boottime")
            }
        }
        return offsets
    }
}

extension OCIProcess {
    /// Reads `process.args`, `process.env`, `process.cwd` and `process.user` from the `process`
    /// object.
    init(_ field: JSONField) throws(OCIConfigError) {
        self.init()
        try OCIConfig.refuseUnknownMembers(of: field, as: "process")
        args = try field.member("args")?.strings()
        env = try field.member("env")?.strings()
        cwd = try field.member("cwd")?.string()
        if let terminal = try field.member("terminal"), try terminal.bool() {
            throw terminal.failure("a terminal for the process is not made here; set it to false, and run nsbox on a terminal")
        }
        noNewPrivileges = try field.member("noNewPrivileges")?.bool() ?? false
        if let sets = try field.member("capabilities") {
            try OCIConfig.refuseUnknownMembers(of: sets, as: "process.capabilities")
            capabilities = OCICapabilities(
                bounding: try sets.member("bounding")?.strings(), effective: try sets.member("effective")?.strings(),
                inheritable: try sets.member("inheritable")?.strings(), permitted: try sets.member("permitted")?.strings(),
                ambient: try sets.member("ambient")?.strings())
        }
        if let user = try field.member("user") {
            try OCIConfig.refuseUnknownMembers(of: user, as: "process.user")
            uid = try user.member("uid")?.uint32()
            gid = try user.member("gid")?.uint32()
            if let groups = try user.member("additionalGids"), !(try groups.array()).isEmpty {
                throw groups.failure("supplementary groups are not supported; remove them or leave the list empty")
            }
        }
    }
}

/// The bytes of the file at `path`, at most 16 MiB.
private func readConfigFile(_ path: String) throws(OCIConfigError) -> [UInt8] {
    let limit = 16 << 20
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    func failure(_ what: String, _ code: Int32 = errno) -> OCIConfigError {
        OCIConfigError(field: "", "\(path): cannot \(what): \(String(cString: strerror(code)))")
    }
    guard fd >= 0 else { throw failure("open") }
    defer { close(fd) }
    let bytes: [UInt8]?
    do { bytes = try readToEnd(fd, bufferSize: 65536, limit: limit) } catch { throw failure("read", error.rawValue) }
    guard let bytes else { throw OCIConfigError(field: "", "\(path): larger than \(limit) bytes; not a config.json") }
    return bytes
}


extension OCIConfig {
    /// Checks the rules of the runtime spec that need no file system: each type at most once,
    /// absolute paths, id maps only for a created user namespace and ones the kernel accepts,
    /// a hostname only with a created UTS namespace, clock offsets only with a created time
    /// namespace, `NAME=value` environment entries whose names differ in more than their
    /// Unicode normalization, an absolute working directory.
    /// - Throws: `OCIConfigError` naming the JSON path of the first mistake.
    public func validate() throws(OCIConfigError) {
        let list = linuxField("namespaces")
        var firstIndex: [NamespaceKind: Int] = [:]
        for (index, namespace) in namespaces.enumerated() {
            if let earlier = firstIndex[namespace.kind] {
                throw OCIConfigError(
                    field: "\(list)[\(index)].type",
                    "duplicate namespace type \(quoted(namespace.kind.rawValue)) (also \(list)[\(earlier)]); each type may appear once")
            }
            firstIndex[namespace.kind] = index
            // Bytes, not Characters: "/" followed by a combining mark is still absolute.
            if let path = namespace.path, path.utf8.first != UInt8(ascii: "/") {
                throw OCIConfigError(
                    field: "\(list)[\(index)].path", "\(quoted(path)) is not an absolute path; the runtime spec requires one")
            }
        }
        try validateMappings(userIndex: firstIndex[.user])
        if let hostname, !hostname.isEmpty {
            try requireCreated(.uts, at: firstIndex[.uts], for: "hostname")
            guard hostname.utf8.count <= 64, !hostname.utf8.contains(0) else {
                throw OCIConfigError(field: "hostname", "\(quoted(hostname)) is longer than 64 bytes or holds a NUL byte")
            }
        }
        if timeOffsets != nil {
            try requireCreated(.time, at: firstIndex[.time], for: linuxField("timeOffsets"))
        }
        // Names by Swift's String equality (canonical equivalence), which the command's
        // environment dictionary uses: two spellings of one name would become one variable.
        var names: [String: (index: Int, name: String)] = [:]
        for (index, entry) in (process.env ?? []).enumerated() {
            guard let equals = entry.utf8.firstIndex(of: UInt8(ascii: "=")), equals != entry.utf8.startIndex else {
                throw OCIConfigError(field: "process.env[\(index)]", "\(quoted(entry)) is not NAME=value")
            }
            let name = String(entry[..<equals])
            if let earlier = names[name], !earlier.name.utf8.elementsEqual(name.utf8) {
                throw OCIConfigError(
                    field: "process.env[\(index)]",
                    "the name \(quoted(name)) (\(scalars(name))) is process.env[\(earlier.index)]'s \(quoted(earlier.name)) "
                        + "(\(scalars(earlier.name))) in another Unicode normalization; the command would get one variable: spell both alike")
            }
            names[name] = (index, name)
        }
        if let cwd = process.cwd, cwd.utf8.first != UInt8(ascii: "/") {
            throw OCIConfigError(field: "process.cwd", "\(quoted(cwd)) is not an absolute path; the runtime spec requires one")
        }
    }

    private func validateMappings(userIndex: Int?) throws(OCIConfigError) {
        for (name, lines, other) in [("uidMappings", uidMappings, "gidMappings"), ("gidMappings", gidMappings, "uidMappings")]
        where !lines.isEmpty {
            let field = linuxField(name)
            try requireCreated(.user, at: userIndex, for: field)
            if (name == "uidMappings" ? gidMappings : uidMappings).isEmpty {
                throw OCIConfigError(field: field, "given without \(linuxField(other)); the user namespace needs both maps")
            }
            do { _ = try IDMap(lines) } catch {
                throw OCIConfigError(field: field, error.detail + (error.hint.map { "; \($0)" } ?? ""))
            }
        }
    }

    /// Fails unless a namespace of `kind` is created (listed without a path).
    private func requireCreated(_ kind: NamespaceKind, at index: Int?, for field: String) throws(OCIConfigError) {
        let list = linuxField("namespaces")
        guard let index else {
            throw OCIConfigError(
                field: field, "needs a new \(kind.rawValue) namespace; add {\"type\": \"\(kind.rawValue)\"} to \(list)")
        }
        if namespaces[index].path != nil {
            throw OCIConfigError(
                field: field,
                "needs a new \(kind.rawValue) namespace, but \(list)[\(index)] joins an existing one by path")
        }
    }
}

import SystemPackage

extension OCIConfig {
    /// The `Sandbox` this configuration describes: entries without a path created, entries
    /// with one joined, the id maps written, the hostname and clock offsets set, and the uid and
    /// gid of `process.user` taken inside. A user namespace joined by the path of the caller's
    /// own is kept, as the kernel refuses to enter it again.
    ///
    /// Everything else keeps `Sandbox`'s defaults (a small init is pid 1 of a new pid
    /// namespace, `/proc` is mounted fresh when pid and mount namespaces are both new); change
    /// them on the returned value.
    /// - Throws: `OCIConfigError` for anything `validate()` finds, and for a `path` that cannot
    ///   be opened or is not a namespace of its entry's type (checked with `NS_GET_NSTYPE`).
    public func sandbox() throws(OCIConfigError) -> Sandbox {
        try validate()
        var sandbox = Sandbox()
        for (index, namespace) in namespaces.enumerated() {
            guard let path = namespace.path else {
                sandbox.create.insert(NamespaceSet(namespace.kind))
                continue
            }
            let id = try checkNamespaceFile(path, kind: namespace.kind, field: "\(linuxField("namespaces"))[\(index)].path")
            // The kernel refuses to enter the user namespace one is already in (setns(2): EINVAL);
            // joining it means keeping it.
            if namespace.kind == .user, let id, id == (try? NamespaceID(.user)) { continue }
            sandbox.join(namespace.kind, .path(FilePath(path)))
        }
        if !uidMappings.isEmpty {
            // validate() has checked that both maps are there and that the kernel takes them.
            do {
                sandbox.userMapping = .maps(uid: try IDMap(uidMappings), gid: try IDMap(gidMappings))
            } catch {
                throw OCIConfigError(field: linuxField("uidMappings"), error.detail)
            }
        }
        if let hostname, !hostname.isEmpty { sandbox.hostname = hostname }
        sandbox.timeOffsets = timeOffsets
        sandbox.uid = process.uid
        sandbox.gid = process.gid
        try applyFileSystem(to: &sandbox)
        try applyPrivileges(to: &sandbox)
        return sandbox
    }

    /// The command this configuration runs: `process.args` (or `arguments` when given and not
    /// empty), with `process.env` as its whole environment and `process.cwd` as its working
    /// directory.
    /// - Parameter arguments: a command line that replaces `process.args`, as the arguments
    ///   after `--` do for `nsbox run --config`.
    /// - Throws: `OCIConfigError` (`process.args`) when there is no command, and for anything
    ///   `validate()` finds.
    public func command(arguments: [String]? = nil) throws(OCIConfigError) -> SandboxCommand {
        try validate()
        let words: [String]
        if let arguments, !arguments.isEmpty {
            words = arguments
        } else if let args = process.args, !args.isEmpty {
            words = args
        } else {
            throw OCIConfigError(
                field: "process.args",
                "\(process.args == nil ? "missing" : "empty"); the runtime spec requires at least one entry, the program to run")
        }
        guard !words[0].isEmpty else {
            throw OCIConfigError(field: "process.args[0]", "the program is an empty string")
        }
        var command = SandboxCommand(words[0], Array(words.dropFirst()))
        if let env = process.env {
            var environment: [String: String] = [:]
            for entry in env {
                // Split at the first "=" byte: a combining mark after it must not hide it.
                let equals = entry.utf8.firstIndex(of: UInt8(ascii: "="))!
                environment[String(entry[..<equals])] = String(entry[entry.utf8.index(after: equals)...])
            }
            command.environment = environment
        }
        command.workingDirectory = process.cwd.map { FilePath($0) }
        return command
    }

    /// Fails unless `path` is a namespace file of `kind`; returns its id where it can be read.
    private func checkNamespaceFile(_ path: String, kind: NamespaceKind, field: String) throws(OCIConfigError)
        -> NamespaceID?
    {
        let handle: NamespaceHandle
        do {
            handle = try NamespaceHandle.open(path: FilePath(path))
        } catch {
            var detail = "\(quoted(path)): "
            if error.operation == .inspect, error.errno == .inappropriateIOCTLForDevice || error.errno == .invalidArgument {
                detail += "not a namespace file; give /proc/PID/ns/\(kind.procName) or a file a \(kind.rawValue) namespace is bind-mounted on"
            } else {
                detail += [error.errno?.symbolicDescription, error.detail, error.hint].compactMap { $0 }.joined(separator: ": ")
            }
            throw OCIConfigError(field: field, detail)
        }
        defer { try? handle.close() }
        guard handle.kind == kind else {
            throw OCIConfigError(
                field: field, "\(quoted(path)) is a \(handle.kind.rawValue) namespace, not a \(kind.rawValue) namespace")
        }
        return try? handle.id()
    }
}

import CNamespaces
import Glibc
import SystemPackage

/// Namespaces kept alive under a name, on files in well-known directories: network namespaces
/// in `/run/netns`, where `ip netns` finds them (and we find its own), the other kinds in
/// `/run/nsbox/KIND` with the same layout. A named namespace is a bind mount of
/// `/proc/PID/ns/KIND` on `DIRECTORY/NAME`; removing it unmounts and deletes the file.
///
/// ```swift
/// var sandbox = Sandbox(create: [.network])
/// try sandbox.persist[.network] = NamedNamespaces.prepare(.network, "demo")   // /run/netns/demo
/// _ = try sandbox.spawn(SandboxCommand("true")).wait()
/// // later: ip netns exec demo ..., or
/// var user = Sandbox(); user.join(.network, .path(NamedNamespaces.path(.network, "demo")))
/// try NamedNamespaces.remove(.network, "demo")
/// ```
public enum NamedNamespaces {
    /// The directory that holds named namespaces of `kind`.
    public static func directory(_ kind: NamespaceKind) -> FilePath {
        FilePath(directoryString(kind))
    }

    /// The file of the namespace of `kind` named `name`.
    public static func path(_ kind: NamespaceKind, _ name: String) -> FilePath {
        FilePath(pathString(kind, name))
    }

    private static func directoryString(_ kind: NamespaceKind) -> String {
        kind == .network ? "/run/netns" : "/run/nsbox/\(kind.procName)"
    }

    private static func pathString(_ kind: NamespaceKind, _ name: String) -> String {
        directoryString(kind) + "/" + name
    }

    /// The file an option's value `nameOrPath` names (`nsbox enter --net=VALUE`,
    /// `nsbox run --net=VALUE`): a value with a '/' is a path, taken as it is; any other is the
    /// name of a namespace of `kind`, whose file this returns, `prepare`d first when `creating`
    /// (the name must then be free).
    /// - Throws: `NamespaceError` from `prepare` when `creating`.
    public static func resolve(_ kind: NamespaceKind, _ nameOrPath: String, creating: Bool = false) throws(NamespaceError) -> FilePath {
        if nameOrPath.contains("/") { return FilePath(nameOrPath) }
        return creating ? try prepare(kind, nameOrPath) : path(kind, nameOrPath)
    }

    /// Checks `name`, creates the directory the way `ip netns add` does (a mount point of its
    /// own, shared so that names reach other mount namespaces; private for mount namespaces,
    /// which cannot be bound under a mount that propagates into them), and returns the path
    /// to give `Sandbox.persist`. Fails if the name is taken.
    /// - Throws: `NamespaceError` (`.validate`) for a bad or taken name, (`.makeDirectory` or
    ///   `.mount`) when the directory cannot be prepared (ordinary users cannot write `/run`).
    public static func prepare(_ kind: NamespaceKind, _ name: String) throws(NamespaceError) -> FilePath {
        try validate(name)
        let directory = directoryString(kind)
        try makeDirectory(directory)
        let propagation = kind == .mount ? CN_MS_PRIVATE : CN_MS_SHARED
        if Glibc.mount("none", directory, nil, UInt(propagation | CN_MS_REC), nil) != 0 {
            // Not a mount point yet: bind it onto itself, then set its propagation.
            guard Glibc.mount(directory, directory, nil, UInt(CN_MS_BIND | CN_MS_REC), nil) == 0,
                Glibc.mount("none", directory, nil, UInt(propagation | CN_MS_REC), nil) == 0
            else {
                throw NamespaceError(.mount, path: FilePath(directory), errno: .current,
                    detail: "cannot make the directory a mount point for named namespaces",
                    hint: "naming namespaces needs root (CAP_SYS_ADMIN)")
            }
        }
        let file = pathString(kind, name)
        if (try? NamespaceID(path: FilePath(file))).map({ _ in isNamespaceFile(file) }) == true {
            throw NamespaceError(.validate, kinds: NamespaceSet(kind), path: FilePath(file),
                detail: "a \(kind) namespace named '\(name)' exists", hint: "remove it first, or pick another name")
        }
        return FilePath(file)
    }

    /// The names of the existing namespaces of `kind`, sorted.
    public static func list(_ kind: NamespaceKind) -> [String] {
        guard let dir = opendir(directoryString(kind)) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = directoryEntryName(entry)
            if !name.hasPrefix("."), isNamespaceFile(pathString(kind, name)) { names.append(name) }
        }
        return names.sorted()
    }

    /// Unmounts and deletes the namespace of `kind` named `name`. The namespace itself lives on
    /// while a process is in it.
    /// - Throws: `NamespaceError` (`.validate`) when there is no such name, (`.unmount`) when it
    ///   cannot be unmounted, (`.unlink`) when its file cannot be deleted.
    public static func remove(_ kind: NamespaceKind, _ name: String) throws(NamespaceError) {
        try validate(name)
        let file = pathString(kind, name)
        guard access(file, F_OK) == 0 else {
            throw NamespaceError(.validate, kinds: NamespaceSet(kind), path: FilePath(file),
                detail: "there is no \(kind) namespace named '\(name)'", hint: "see the names with nsbox names \(kind.procName)")
        }
        if umount2(file, Int32(CN_MNT_DETACH)) != 0 && Errno.current != .invalidArgument {
            throw NamespaceError(.unmount, path: FilePath(file), errno: .current, detail: "cannot unmount it")
        }
        guard unlink(file) == 0 else {
            throw NamespaceError(.unlink, path: FilePath(file), errno: .current, detail: "cannot delete the file")
        }
    }

    /// Whether `file` has a namespace bind-mounted on it.
    static func isNamespaceFile(_ file: String) -> Bool {
        guard let handle = try? NamespaceHandle.open(path: FilePath(file)) else { return false }
        try? handle.close()
        return true
    }

    private static func validate(_ name: String) throws(NamespaceError) {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), name.utf8.count <= 255 else {
            throw NamespaceError(.validate, detail: "'\(name)' is not a usable name", hint: "use a plain file name, without '/'")
        }
    }

    private static func makeDirectory(_ directory: String) throws(NamespaceError) {
        var prefix = ""
        for component in directory.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && Errno.current != .fileExists {
                throw NamespaceError(.makeDirectory, path: FilePath(prefix), errno: .current,
                    detail: "cannot create the directory for named namespaces", hint: "naming namespaces needs root")
            }
        }
    }
}

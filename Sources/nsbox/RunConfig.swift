import LinuxNamespaces
import SystemPackage

extension RunOptions {
    /// `nsbox run --config FILE`: the sandbox and command of an OCI runtime-spec `config.json`
    /// (or its `linux` object), with the lifetime and mount options of the command line on top.
    /// The words after `--` (`command`) replace `process.args`; `-w` replaces `process.cwd`.
    func configured(by path: String, _ command: [String]) throws -> (Sandbox, SandboxCommand) {
        let config: OCIConfig
        var sandbox: Sandbox
        do {
            config = try OCIConfig(contentsOf: path)
            sandbox = try config.sandbox()
        } catch {
            throw Failure(message: "--config \(path): \(error)")
        }
        let options = try makeSandbox()
        if !options.create.isEmpty || !options.joins.isEmpty || options.userMapping != nil || options.hostname != nil
            || options.timeOffsets != nil
        {
            throw Failure(
                message: "--config \(path) sets the namespaces, id maps, hostname and clock offsets; drop the options that set them too "
                    + "(namespace flags, -r, -c, --map-*, --join, --hostname, --monotonic, --boottime, --mount-proc, --sandbox)")
        }
        let fromConfig = sandbox
        sandbox = options
        sandbox.create = fromConfig.create
        sandbox.joins = fromConfig.joins
        sandbox.userMapping = fromConfig.userMapping
        sandbox.hostname = fromConfig.hostname
        sandbox.timeOffsets = fromConfig.timeOffsets
        sandbox.uid = options.uid ?? fromConfig.uid
        sandbox.gid = options.gid ?? fromConfig.gid
        // The config's file system first; the command line's mounts go on top of it.
        if fromConfig.newRoot != nil {
            if options.newRoot != nil {
                throw Failure(message: "--config \(path) sets the root (root.path); drop --new-root")
            }
            sandbox.newRoot = fromConfig.newRoot
            sandbox.readOnlyRoot = fromConfig.readOnlyRoot
        }
        sandbox.mounts = fromConfig.mounts + options.mounts
        if fromConfig.procMount == .none { sandbox.procMount = .none }
        if fromConfig.mountPropagation != Sandbox().mountPropagation { sandbox.mountPropagation = fromConfig.mountPropagation }
        // Privileges: what both the config and the command line leave the command.
        sandbox.capabilities = CapabilitySet(rawValue: fromConfig.capabilities.rawValue & options.capabilities.rawValue)
        sandbox.noNewPrivileges = fromConfig.noNewPrivileges || options.noNewPrivileges

        let words = command == ["--"] || command.isEmpty ? nil : try commandWords(command, subcommand: "run")
        var spawned: SandboxCommand
        do { spawned = try config.command(arguments: words) } catch {
            throw Failure(message: "--config \(path): \(error)\(error.field == "process.args" ? "; or give the command after --" : "")")
        }
        if let workingDirectory { spawned.workingDirectory = FilePath(workingDirectory) }
        spawned.inheritedFileDescriptors = inheritedFileDescriptors
        return (sandbox, spawned)
    }
}

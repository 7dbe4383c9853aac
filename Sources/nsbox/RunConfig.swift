import LinuxNamespaces
import SystemPackage

extension RunOptions {
    /// `nsbox run --config FILE`: the sandbox and command of an OCI runtime-spec `config.json`
    /// (or its `linux` object), with the command line's options on top
    /// (`OCIConfig.sandbox(mergedWith:)`).
    /// The words after `--` (`command`) replace `process.args`; `-w` replaces `process.cwd`.
    func configured(by path: String, _ command: [String]) throws -> (Sandbox, SandboxCommand) {
        let config: OCIConfig
        do { config = try OCIConfig(contentsOf: path) } catch { throw Failure(message: "--config \(path): \(error)") }
        let sandbox: Sandbox
        do { sandbox = try config.sandbox(mergedWith: try makeSandbox()) } catch let error as OCIConfigError {
            switch error.field {
            case "options.namespaces":
                throw Failure(
                    message: "--config \(path) sets the namespaces, id maps, hostname and clock offsets; drop the options that set them too "
                        + "(namespace flags, -r, -c, --map-*, --owner, --join, --hostname, --monotonic, --boottime, --mount-proc, --mount-binfmt, -l, --sandbox)")
            case "options.newRoot": throw Failure(message: "--config \(path) sets the root (root.path); drop --new-root")
            default: throw Failure(message: "--config \(path): \(error)")
            }
        }

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

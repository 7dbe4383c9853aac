import SystemPackage

extension SandboxCommand {
    /// Passes the caller's `fd` to the command: under the same number, or as `target`
    /// (`fileDescriptors[target] = fd` in numbers). The caller keeps its own `fd` open.
    public mutating func pass(_ fd: FileDescriptor, as target: FileDescriptor? = nil) {
        guard let target, target != fd else { return pass(fd.rawValue) }
        fileDescriptors[target.rawValue] = fd.rawValue
    }
}

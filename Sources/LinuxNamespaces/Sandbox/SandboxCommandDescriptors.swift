import SystemPackage

extension SandboxCommand {
    /// Passes the caller's `fd` to the command: under the same number, or as `target`
    /// (`fileDescriptors[target] = fd`). The caller keeps its own `fd` open.
    public mutating func pass(_ fd: FileDescriptor, as target: FileDescriptor? = nil) {
        place(fd.rawValue, at: (target ?? fd).rawValue)
    }
}

import SystemPackage

/// What the command reads on its standard input, named as swift-subprocess names it:
/// `.none`, `.string("...")`, `.array(bytes)`, `.fileDescriptor(fd, closeAfterSpawningProcess:)`,
/// `.standardInput` (the caller's), or `.inputWriter` (the closure form writes it).
public struct SandboxInput: Sendable {
    enum Source: Sendable {
        case none
        case bytes([UInt8])
        case fileDescriptor(FileDescriptor, close: Bool)
        case writer
    }

    let source: Source

    /// No input: the command reads from /dev/null.
    public static var none: Self { Self(source: .none) }

    /// The UTF-8 bytes of `string`, then end of file.
    public static func string(_ string: some StringProtocol) -> Self { Self(source: .bytes(Array(string.utf8))) }

    /// `bytes`, then end of file.
    public static func array(_ bytes: [UInt8]) -> Self { Self(source: .bytes(bytes)) }

    /// The command reads `fd` directly (a file, a pipe, a socket). With
    /// `closeAfterSpawningProcess`, `run` closes it once the command has started (or failed to).
    public static func fileDescriptor(_ fd: FileDescriptor, closeAfterSpawningProcess: Bool) -> Self {
        Self(source: .fileDescriptor(fd, close: closeAfterSpawningProcess))
    }

    /// The caller's own standard input (fd 0), left open.
    public static var standardInput: Self { Self(source: .fileDescriptor(.standardInput, close: false)) }

    /// A pipe the closure form of `run` writes through `SandboxExecution/standardInputWriter`.
    public static var inputWriter: Self { Self(source: .writer) }
}

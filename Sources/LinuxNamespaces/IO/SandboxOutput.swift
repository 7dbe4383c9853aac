import SystemPackage

/// Where the command's standard output or standard error goes, and what `run` hands back for
/// it, named as swift-subprocess names them: `.discarded`, `.standardOutput`,
/// `.standardError`, `.fileDescriptor(fd, closeAfterSpawningProcess:)`, `.string(limit:)`,
/// `.bytes(limit:)`, and `.sequence` for the closure form.
///
/// Conform to it to turn collected bytes into a value of your own (`destination` is
/// `.collected(limit:)`, and `output(from:)` converts).
public protocol SandboxOutput: Sendable {
    /// What `SandboxResult` holds for this stream: `String`, `[UInt8]`, or `Void`.
    associatedtype OutputType: Sendable
    /// Where the command's fd goes.
    var destination: OutputDestination { get }
    /// The value for the bytes collected (called only when `destination` collects).
    func output(from bytes: [UInt8]) -> OutputType
}

extension SandboxOutput where OutputType == Void {
    /// Nothing to convert.
    public func output(from bytes: [UInt8]) {}
}

/// Where a standard output or error stream goes: opaque, made by the `SandboxOutput` values.
public struct OutputDestination: Sendable {
    enum Kind: Sendable {
        case discarded
        case fileDescriptor(FileDescriptor, close: Bool)
        case collected(limit: Int)
        case sequence
    }

    let kind: Kind

    /// /dev/null.
    public static var discarded: Self { Self(kind: .discarded) }
    /// An fd of the caller, closed by `run` after the spawn when `close` is true.
    public static func fileDescriptor(_ fd: FileDescriptor, close: Bool) -> Self { Self(kind: .fileDescriptor(fd, close: close)) }
    /// A pipe read to its end; more than `limit` bytes is an error.
    public static func collected(limit: Int) -> Self { Self(kind: .collected(limit: limit)) }
    /// A pipe the closure form reads as an `OutputSequence`.
    public static var sequence: Self { Self(kind: .sequence) }
}

/// Output thrown away: the command writes to /dev/null.
public struct DiscardedOutput: SandboxOutput {
    /// Nothing is kept.
    public typealias OutputType = Void
    /// /dev/null.
    public var destination: OutputDestination { .discarded }
}

/// Output written to an fd of the caller: its own standard output or error, a file, a pipe.
public struct FileDescriptorOutput: SandboxOutput {
    /// Nothing is kept.
    public typealias OutputType = Void
    /// The fd, and whether `run` closes it after the spawn.
    public let destination: OutputDestination
}

/// Output collected and decoded as UTF-8 (invalid sequences become U+FFFD).
public struct StringOutput: SandboxOutput {
    /// The text.
    public typealias OutputType = String
    /// The most bytes collected before `run` throws.
    public let limit: Int
    /// A pipe read to its end.
    public var destination: OutputDestination { .collected(limit: limit) }
    /// The bytes decoded as UTF-8.
    public func output(from bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}

/// Output collected as bytes.
public struct BytesOutput: SandboxOutput {
    /// The bytes.
    public typealias OutputType = [UInt8]
    /// The most bytes collected before `run` throws.
    public let limit: Int
    /// A pipe read to its end.
    public var destination: OutputDestination { .collected(limit: limit) }
    /// The bytes as they came.
    public func output(from bytes: [UInt8]) -> [UInt8] { bytes }
}

/// Output the closure form of `run` reads as it comes (`SandboxExecution/standardOutput`).
public struct SequenceOutput: SandboxOutput {
    /// Nothing is kept: the closure has read it.
    public typealias OutputType = Void
    /// A pipe.
    public var destination: OutputDestination { .sequence }
}

extension SandboxOutput where Self == DiscardedOutput {
    /// Throws the stream away (/dev/null).
    public static var discarded: Self { DiscardedOutput() }
}

extension SandboxOutput where Self == FileDescriptorOutput {
    /// Writes to `fd`; with `closeAfterSpawningProcess`, `run` closes it once the command has
    /// started (or failed to).
    public static func fileDescriptor(_ fd: FileDescriptor, closeAfterSpawningProcess: Bool) -> Self {
        FileDescriptorOutput(destination: .fileDescriptor(fd, close: closeAfterSpawningProcess))
    }
    /// The caller's standard output (fd 1): the command inherits it.
    public static var standardOutput: Self { .fileDescriptor(.standardOutput, closeAfterSpawningProcess: false) }
    /// The caller's standard error (fd 2): the command inherits it.
    public static var standardError: Self { .fileDescriptor(.standardError, closeAfterSpawningProcess: false) }
}

extension SandboxOutput where Self == StringOutput {
    /// Collects the stream as a UTF-8 string; `run` throws (`.io`) beyond `limit` bytes.
    public static func string(limit: Int) -> Self { StringOutput(limit: limit) }
}

extension SandboxOutput where Self == BytesOutput {
    /// Collects the stream as bytes; `run` throws (`.io`) beyond `limit` bytes.
    public static func bytes(limit: Int) -> Self { BytesOutput(limit: limit) }
}

extension SandboxOutput where Self == SequenceOutput {
    /// Streams it to the closure form of `run` as an `OutputSequence` of chunks.
    public static var sequence: Self { SequenceOutput() }
}

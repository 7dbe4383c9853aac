/// Writes to the command's standard input in the closure form of `Sandbox.run` (with
/// `input: .inputWriter`). Each write returns once the pipe took every byte, waiting for room
/// without blocking a thread; `finish()` closes the pipe so the command sees end of file.
/// `run` finishes it when the closure returns. Valid only inside the closure.
public final class StandardInputWriter: Sendable {
    private let pipe: Locked<PipeEnd?>

    init(_ pipe: PipeEnd?) { self.pipe = Locked(pipe) }

    /// Writes `bytes`; returns how many were written (all of them).
    /// - Throws: `SandboxError` (`.io`): EPIPE once the command closed its standard input,
    ///   EBADF after `finish()` or when `run`'s input is not `.inputWriter`; `CancellationError`.
    @discardableResult
    public func write(_ bytes: [UInt8]) async throws -> Int {
        guard let pipe = pipe.withLock({ $0 }) else {
            throw SandboxError.inputClosed("the command's standard input is not open for writing here")
        }
        guard try await pipe.write(bytes) else { throw CancellationError() }
        return bytes.count
    }

    /// Writes the UTF-8 bytes of `string`; returns how many were written.
    /// - Throws: as `write(_:)` of bytes.
    @discardableResult
    public func write(_ string: some StringProtocol) async throws -> Int {
        try await write(Array(string.utf8))
    }

    /// Closes the command's standard input (end of file); later calls do nothing.
    public func finish() async throws {
        pipe.withLock { pipe in
            pipe?.close()
            pipe = nil
        }
    }
}

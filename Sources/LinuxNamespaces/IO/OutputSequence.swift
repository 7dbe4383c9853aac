/// The command's standard output or error as it comes: chunks of bytes, as the pipe hands
/// them over (up to 64 KiB each), until end of file. Reading waits without blocking a thread;
/// while nobody reads, the command blocks once the pipe is full (no unbounded buffering).
///
/// Valid only inside the closure of `Sandbox.run(_:input:output:error:terminateChildAfter:body:)`; iterate it
/// once. Cancelling the iterating task ends the sequence early.
public struct OutputSequence: AsyncSequence, Sendable {
    /// A chunk of output.
    public typealias Element = [UInt8]

    let pipe: PipeEnd
    let stream: StandardStream

    /// An iterator over the chunks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let pipe: PipeEnd
        let stream: StandardStream
        var finished = false

        /// The next chunk, or nil at end of file (or once the task is cancelled).
        /// - Throws: `SandboxError` (`.io`) when reading fails.
        public mutating func next() async throws -> [UInt8]? {
            guard !finished else { return nil }
            guard let bytes = try await pipe.read(upTo: 65536, stream: stream), !bytes.isEmpty else {
                finished = true
                return nil
            }
            return bytes
        }
    }

    /// An iterator over the chunks.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pipe: pipe, stream: stream) }

    /// The whole stream as UTF-8 lines, without their line feeds (a last line without one
    /// included).
    public var lines: AsyncThrowingStream<String, Error> {
        let chunks = self
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var pending: [UInt8] = []
                    for try await chunk in chunks {
                        pending += chunk
                        while let newline = pending.firstIndex(of: 10) {
                            continuation.yield(String(decoding: pending[..<newline], as: UTF8.self))
                            pending.removeSubrange(...newline)
                        }
                    }
                    if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

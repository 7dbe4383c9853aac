import Glibc
import SystemPackage

/// How a command run by `Sandbox.run` ended, with what it wrote and what the closure returned.
public struct SandboxResult<ClosureResult, Output: SandboxOutput, ErrorOutput: SandboxOutput> {
    /// How the command ended. A non-zero exit is a result, not an error.
    public let termination: Termination
    /// The process `spawn` created (with a new pid namespace, its init).
    public let processIdentifier: ProcessID
    /// What the command wrote to its standard output: `String` for `.string(limit:)`,
    /// `[UInt8]` for `.bytes(limit:)`, `Void` where it was not collected.
    public let standardOutput: Output.OutputType
    /// What it wrote to its standard error, likewise.
    public let standardError: ErrorOutput.OutputType
    /// What the closure of the closure form returned (`Void` for the collected form).
    public let closureResult: ClosureResult
}

extension SandboxResult: Sendable where ClosureResult: Sendable {}

/// The running command, as the closure form of `Sandbox.run` sees it: its process (pid,
/// namespaces, `signal(_:)`), a writer for its standard input and its output as it comes.
/// Valid only inside the closure.
public struct SandboxExecution<Output: SandboxOutput, ErrorOutput: SandboxOutput>: Sendable {
    /// The process: `process.pid`, `process.namespaces`, `process.signal(SIGTERM)`.
    public let process: SandboxProcess
    /// Writes the command's standard input when `run`'s input is `.inputWriter`.
    public let standardInputWriter: StandardInputWriter
    let outputPipe: PipeEnd?
    let errorPipe: PipeEnd?

    /// The process's pid, as swift-subprocess names it.
    public var processIdentifier: ProcessID { process.pid }
}

extension SandboxExecution where Output == SequenceOutput {
    /// The command's standard output as it comes (output `.sequence`).
    public var standardOutput: OutputSequence { OutputSequence(pipe: outputPipe!, stream: .output) }
}

extension SandboxExecution where ErrorOutput == SequenceOutput {
    /// The command's standard error as it comes (error `.sequence`).
    public var standardError: OutputSequence { OutputSequence(pipe: errorPipe!, stream: .error) }
}

extension Termination {
    /// Whether the command exited with status 0.
    public var isSuccess: Bool { self == .exited(0) }
}

extension Sandbox {
    /// Runs `command` in this sandbox, feeds it `input`, and returns how it ended with its
    /// output collected as `output` and `error` say, in the shape of swift-subprocess's `run`:
    ///
    /// ```swift
    /// let result = try await sandbox.run(SandboxCommand("uname", ["-n"]), output: .string(limit: 4096))
    /// print(result.termination, result.standardOutput)
    /// ```
    ///
    /// Input is written and both outputs are read at the same time, without a thread each
    /// (any size flows: the pipes never fill up while `run` waits on the other), and the
    /// process is awaited through its pidfd. The command's own exit, whatever its status, is
    /// a result. Output written after the command ended, by processes it left behind outside
    /// a pid namespace, is not waited for.
    ///
    /// If the task is cancelled, or an output passes its limit, the command is killed
    /// (SIGKILL; with a new pid namespace, everything in it) and reaped before `run` throws.
    /// With `terminateChildAfter` (Perl's `term_child`), cancelling sends SIGTERM first and
    /// SIGKILL only when the command still runs after that grace period.
    /// - Throws: `SandboxError` when the sandbox cannot be set up or the output passes its
    ///   limit (`.io`); `CancellationError`.
    public func run<Output: SandboxOutput, ErrorOutput: SandboxOutput>(
        _ command: SandboxCommand, input: SandboxInput = .none, output: Output, error: ErrorOutput = .discarded,
        terminateChildAfter grace: Duration? = nil
    ) async throws -> SandboxResult<Void, Output, ErrorOutput> {
        try await run(command, input: input, output: output, error: error, terminateChildAfter: grace) { _ in }
    }

    /// Runs `command` and lets `body` work with it while it runs: write its standard input
    /// (`input: .inputWriter`), read its output as it comes (`.sequence`), signal it. When
    /// `body` returns, the input is finished and `run` waits for the command to end:
    ///
    /// ```swift
    /// let result = try await sandbox.run(SandboxCommand("cat"), input: .inputWriter, output: .sequence) { execution in
    ///     try await execution.standardInputWriter.write("hello\n")
    ///     try await execution.standardInputWriter.finish()
    ///     var text = ""
    ///     for try await chunk in execution.standardOutput { text += String(decoding: chunk, as: UTF8.self) }
    ///     return text
    /// }
    /// ```
    ///
    /// If `body` throws, the task is cancelled, or an output passes its limit, the command is
    /// killed (SIGKILL; with a new pid namespace, everything in it) and reaped before `run`
    /// throws. With `terminateChildAfter` (Perl's `term_child`), when `body` throws or the task
    /// is cancelled the command gets SIGTERM first, and SIGKILL only when it still runs after
    /// that grace period.
    /// - Throws: `SandboxError`, `CancellationError`, or what `body` threw.
    public func run<ClosureResult, Output: SandboxOutput, ErrorOutput: SandboxOutput>(
        _ command: SandboxCommand, input: SandboxInput = .none, output: Output, error: ErrorOutput,
        terminateChildAfter grace: Duration? = nil,
        body: (SandboxExecution<Output, ErrorOutput>) async throws -> ClosureResult
    ) async throws -> SandboxResult<ClosureResult, Output, ErrorOutput> {
        var plumbing = try StdioPlumbing(input: input, output: output.destination, error: error.destination)
        var command = command
        plumbing.connect(&command)
        let process: SandboxProcess
        do {
            process = try spawn(command)
        } catch {
            plumbing.afterSpawn()
            plumbing.closeParentEnds()
            throw error
        }
        plumbing.afterSpawn()
        let execution = SandboxExecution<Output, ErrorOutput>(
            process: process, standardInputWriter: StandardInputWriter(plumbing.writer),
            outputPipe: plumbing.outputPipe, errorPipe: plumbing.errorPipe)
        let inputPipe = plumbing.inputPipe, outputPipe = plumbing.outputPipe, errorPipe = plumbing.errorPipe
        do {
            let (value, collected, termination) = try await withThrowingTaskGroup(
                of: Collected.self, returning: (ClosureResult, [StandardStream: [UInt8]], Termination?).self
            ) { group in
                if let inputPipe, case .bytes(let bytes) = input.source {
                    group.addTask {
                        // A command that exits without reading it all is no error (as in a shell).
                        do { _ = try await inputPipe.write(bytes) } catch let failure as SandboxError where failure.errno == .brokenPipe {}
                        inputPipe.close()
                        return .nothing
                    }
                }
                for (pipe, stream, destination) in [(outputPipe, StandardStream.output, output.destination), (errorPipe, .error, error.destination)] {
                    guard let pipe, case .collected(let limit) = destination.kind else { continue }
                    group.addTask {
                        do {
                            return .bytes(stream, try await collect(pipe, stream, limit: limit))
                        } catch {
                            // The command must not block on a pipe nobody reads any more.
                            _ = try? process.signal(SIGKILL)
                            throw error
                        }
                    }
                }
                let value: ClosureResult
                do {
                    value = try await body(execution)
                    try await execution.standardInputWriter.finish()
                    // Streams are the closure's to read: what it left unread ends the command
                    // (EPIPE, SIGPIPE) instead of leaving it blocked on a full pipe.
                    if case .sequence = output.destination.kind { outputPipe?.close() }
                    if case .sequence = error.destination.kind { errorPipe?.close() }
                } catch {
                    // With a grace, `end(terminatingAfter:)` below sends the one SIGTERM.
                    if grace == nil { _ = try? process.signal(SIGKILL) }
                    throw error
                }
                group.addTask { .terminated(try await process.wait()) }
                var collected: [StandardStream: [UInt8]] = [:]
                var termination: Termination?
                for try await piece in group {
                    switch piece {
                    case .nothing: break
                    // Done: collectors read what is left in their pipes and return, and an
                    // input nobody reads is given up.
                    case .terminated(let ending):
                        termination = ending
                        group.cancelAll()
                    case .bytes(let stream, let bytes): collected[stream] = bytes
                    }
                }
                return (value, collected, termination)
            }
            plumbing.closeParentEnds()
            return SandboxResult(
                termination: termination!, processIdentifier: process.pid,
                standardOutput: output.output(from: collected[.output] ?? []),
                standardError: error.output(from: collected[.error] ?? []),
                closureResult: value)
        } catch {
            plumbing.closeParentEnds()
            await process.end(terminatingAfter: grace)
            if let error = error as? SandboxError, error.stage == .wait, error.errno == .canceled { throw CancellationError() }
            throw error
        }
    }
}

/// What a task of `run`'s group hands back.
private enum Collected: Sendable {
    case nothing
    case terminated(Termination)
    case bytes(StandardStream, [UInt8])
}

/// Reads `pipe` to its end; once the task is cancelled (the command has ended), what is left
/// in the pipe. More than `limit` bytes is an error.
private func collect(_ pipe: PipeEnd, _ stream: StandardStream, limit: Int) async throws(SandboxError) -> [UInt8] {
    var bytes: [UInt8] = []
    while true {
        let room = max(1, min(65536, limit - bytes.count + 1))
        guard let chunk = try await pipe.read(upTo: room, stream: stream) else {
            // Cancelled: drain without waiting.
            while let chunk = try pipe.readNow(upTo: 65536, stream: stream), !chunk.isEmpty {
                bytes += chunk
                if bytes.count > limit { throw .outputLimitExceeded(stream, limit: limit) }
            }
            return bytes
        }
        if chunk.isEmpty { return bytes }
        bytes += chunk
        if bytes.count > limit { throw .outputLimitExceeded(stream, limit: limit) }
    }
}

/// The fds `run` gives the command and the ends it keeps.
private struct StdioPlumbing {
    /// fd 0, 1, 2 of the command.
    var childFDs: [Int32] = [-1, -1, -1]
    /// Which of `childFDs` to close here after the spawn (pipe ends, /dev/null, the caller's
    /// fds given with closeAfterSpawningProcess).
    var closeAfterSpawn: [Int32] = []
    var inputPipe: PipeEnd?
    var outputPipe: PipeEnd?
    var errorPipe: PipeEnd?
    /// `inputPipe` when the closure writes it.
    var writer: PipeEnd?

    init(input: SandboxInput, output: OutputDestination, error: OutputDestination) throws(SandboxError) {
        do throws(SandboxError) {
            switch input.source {
            case .none:
                childFDs[0] = try openNullDevice(writing: false)
                closeAfterSpawn.append(childFDs[0])
            case .bytes, .writer:
                let (parent, child) = try makeStdioPipe(parentReads: false)
                childFDs[0] = child
                closeAfterSpawn.append(child)
                inputPipe = parent
                if case .writer = input.source { writer = parent }
            case .fileDescriptor(let fd, let close):
                childFDs[0] = fd.rawValue
                if close { closeAfterSpawn.append(fd.rawValue) }
            }
            outputPipe = try route(output, to: 1)
            errorPipe = try route(error, to: 2)
        } catch {
            afterSpawn()
            closeParentEnds()
            throw error
        }
    }

    private mutating func route(_ destination: OutputDestination, to target: Int) throws(SandboxError) -> PipeEnd? {
        switch destination.kind {
        case .discarded:
            childFDs[target] = try openNullDevice(writing: true)
            closeAfterSpawn.append(childFDs[target])
            return nil
        case .fileDescriptor(let fd, let close):
            childFDs[target] = fd.rawValue
            if close { closeAfterSpawn.append(fd.rawValue) }
            return nil
        case .collected, .sequence:
            let (parent, child) = try makeStdioPipe(parentReads: true)
            childFDs[target] = child
            closeAfterSpawn.append(child)
            return parent
        }
    }

    /// Makes the command's fds 0, 1, 2 copies of `childFDs`.
    func connect(_ command: inout SandboxCommand) {
        for target in 0..<3 { command.place(childFDs[target], at: Int32(target)) }
    }

    /// Closes what the command has its own copies of now (each fd once).
    mutating func afterSpawn() {
        for fd in Set(closeAfterSpawn) { close(fd) }
        closeAfterSpawn = []
    }

    /// Closes the ends this process kept.
    func closeParentEnds() {
        for pipe in [inputPipe, outputPipe, errorPipe] { pipe?.close() }
    }
}

import CNamespaces
import Glibc
import Synchronization

/// Swift closures that run inside new namespaces, in a fresh copy of this program.
///
/// A Swift process is multithreaded, so forking it and calling a closure in the child is not
/// safe. Instead the program re-executes itself (`/proc/self/exe`, opened before the spawn so a
/// binary replaced on disk cannot be swapped in) inside the sandbox, and the copy, still
/// single-threaded at the top of `main`, runs the closure registered under the requested name.
/// `Codable` values (or bytes) go in and come back over pipes, as JSON; a thrown error comes
/// back as an `EntryPointError` with its description (and its value, if it is `Codable`).
///
/// The rule: register every entry point, then call `runIfRequested()`, first thing in `main`,
/// before any other work (in particular before starting tasks or threads):
///
/// ```swift
/// SandboxEntryPoints.register("hostname") { (prefix: String) in
///     var name = [CChar](repeating: 0, count: 65)
///     gethostname(&name, name.count)
///     return prefix + String(cString: name)
/// }
/// SandboxEntryPoints.runIfRequested()
/// // ... the program as usual; later, from any thread:
/// var sandbox = Sandbox(create: [.user, .uts]); sandbox.hostname = "box"
/// let name = try sandbox.run(entryPoint: "hostname", input: "in ", as: String.self)   // "in box"
/// ```
public enum SandboxEntryPoints {
    /// The environment variable that names the entry point in the re-executed copy.
    public static let environmentVariable = "LINUX_NAMESPACES_ENTRY_POINT"
    /// The fd the copy reads its input from, and the one it writes its reply to.
    static let inputFD: Int32 = 3
    static let outputFD: Int32 = 4

    private static let registry = Mutex<[String: @Sendable ([UInt8]) throws -> [UInt8]]>([:])

    /// Registers `body` under `name`, replacing any earlier one: bytes in, bytes out.
    public static func register(_ name: String, _ body: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
        registry.withLock { $0[name] = body }
    }

    /// Registers `body` under `name`, replacing any earlier one: its input is decoded from
    /// JSON and its result encoded as JSON, for `Sandbox.run(entryPoint:input:as:environment:)`.
    public static func register<Input: Decodable, Output: Encodable>(
        _ name: String, _ body: @escaping @Sendable (Input) throws -> Output
    ) {
        register(name, TypedEntryPoint(body: body).call)
    }

    /// In a copy started by `Sandbox.run(entryPoint:input:environment:)`: runs the entry point and exits
    /// (0 on success, 1 when it threw, 2 when no entry point has that name). Otherwise returns
    /// at once. Call it first in `main`, after registering.
    public static func runIfRequested() {
        guard let raw = getenv(environmentVariable) else { return }
        let name = String(cString: raw)
        unsetenv(environmentVariable)
        guard let body = registry.withLock({ $0[name] }) else {
            send(status: 2, Array("no entry point named '\(name)' is registered".utf8))
            exit(2)
        }
        let input = readAll(inputFD)
        close(inputFD)
        do {
            send(status: 0, try body(input))
            exit(0)
        } catch {
            send(status: 1, EntryPointError(name: name, thrown: error).record)
            exit(1)
        }
    }

    private static func send(status: UInt8, _ payload: [UInt8]) {
        writeAll(outputFD, [status] + payload)
        close(outputFD)
    }
}

/// A typed entry point as bytes in and out: JSON decoded, called, encoded.
private struct TypedEntryPoint<Input: Decodable, Output: Encodable>: Sendable {
    let body: @Sendable (Input) throws -> Output

    @Sendable func call(_ bytes: [UInt8]) throws -> [UInt8] { try encodeJSON(body(decodeJSON(from: bytes))) }
}

/// What an entry point answered.
public struct EntryPointReply: Sendable, Equatable {
    /// The bytes it returned.
    public var output: [UInt8]
    /// How the copy of the program ended.
    public var termination: Termination
}

extension Sandbox {
    /// Runs the entry point registered as `name` in a copy of this program inside the sandbox,
    /// feeding it `input`, and returns what it returned.
    /// - Throws: `SandboxError` when the sandbox cannot be set up, or (stage `.child`, step
    ///   `.entryPoint(name)`) with the description of the error the closure threw.
    public func run(entryPoint name: String, input: [UInt8], environment: [String: String]? = nil)
        throws(SandboxError) -> EntryPointReply
    {
        let (status, payload, termination) = try exchange(name, input, environment)
        guard status == 0 else {
            let thrown = EntryPointError(name: name, record: payload)
            throw SandboxError(.child, .entryPoint(name), detail: thrown.message)
        }
        return EntryPointReply(output: payload, termination: termination)
    }

    /// Runs the entry point registered as `name` (with `SandboxEntryPoints.register(_:_:)` for
    /// `Codable` values) in a copy of this program inside the sandbox, and returns its result.
    ///
    /// ```swift
    /// let answer = try sandbox.run(entryPoint: "describe", input: Request(path: "/etc"), as: Answer.self)
    /// ```
    /// - Throws: `SandboxError` when the sandbox cannot be set up; `EntryPointError` when the
    ///   closure threw; `EncodingError` or `DecodingError` when a value does not code.
    public func run<Input: Encodable, Output: Decodable>(
        entryPoint name: String, input: Input, as type: Output.Type = Output.self, environment: [String: String]? = nil
    ) throws -> Output {
        let (status, payload, _) = try exchange(name, try encodeJSON(input), environment)
        guard status == 0 else { throw EntryPointError(name: name, record: payload) }
        return try decodeJSON(type, from: payload)
    }

    /// Starts the copy with `input` and returns its status byte, the rest of its reply, and
    /// how it ended.
    private func exchange(_ name: String, _ input: [UInt8], _ environment: [String: String]?)
        throws(SandboxError) -> (UInt8, [UInt8], Termination)
    {
        let executable = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        guard executable >= 0 else {
            throw SandboxError(.commandNotFound, .lookup("/proc/self/exe"), errno: .current, detail: "cannot open this program")
        }
        defer { close(executable) }
        var toChild = try SpawnPipe(), fromChild = try SpawnPipe()
        defer { toChild.closeBoth(); fromChild.closeBoth() }
        var command = SandboxCommand(CommandLine.arguments.first ?? "/proc/self/exe")
        command.executableFD = executable
        var variables = environment ?? command.inheritedEnvironment
        variables[SandboxEntryPoints.environmentVariable] = name
        command.environment = variables
        command.place(toChild.readEnd, at: SandboxEntryPoints.inputFD)
        command.place(fromChild.writeEnd, at: SandboxEntryPoints.outputFD)
        let process = try spawn(command)
        toChild.closeRead()
        fromChild.closeWrite()
        withSIGPIPEBlocked { writeAll(toChild.writeEnd, input) }  // a copy that died early: EPIPE, not death
        toChild.closeWrite()
        let reply = readAll(fromChild.readEnd)
        let termination = try process.wait()
        guard let status = reply.first else {
            throw SandboxError(.child, .entryPoint(name), detail: "the program \(termination) without a reply",
                hint: "call SandboxEntryPoints.runIfRequested() first thing in main")
        }
        return (status, Array(reply.dropFirst()), termination)
    }
}

extension SandboxCommand {
    /// The caller's environment as a dictionary.
    var inheritedEnvironment: [String: String] {
        var result: [String: String] = [:]
        for entry in environmentStrings {
            if let equals = entry.firstIndex(of: "=") {
                result[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
            }
        }
        return result
    }
}

/// Reads `fd` to its end.
func readAll(_ fd: Int32) -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return bytes }
        bytes += buffer[..<n]
    }
}

/// Writes all of `bytes` to `fd`, ignoring a reader that went away.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        offset += n
    }
}

/// Runs `body` with SIGPIPE blocked in this thread, discarding one it raised.
func withSIGPIPEBlocked(_ body: () -> Void) {
    var block = sigset_t(), old = sigset_t()
    sigemptyset(&block)
    sigaddset(&block, SIGPIPE)
    pthread_sigmask(SIG_BLOCK, &block, &old)
    body()
    var pending = sigset_t()
    sigpending(&pending)
    if sigismember(&pending, SIGPIPE) == 1 && sigismember(&old, SIGPIPE) == 0 {
        var zero = timespec()
        _ = sigtimedwait(&block, nil, &zero)
    }
    pthread_sigmask(SIG_SETMASK, &old, nil)
}

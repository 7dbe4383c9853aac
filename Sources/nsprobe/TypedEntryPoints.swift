// `nsprobe typed SCENARIO KINDS`: typed entry points (`Codable` in and out) run in a sandbox
// with a root mapping; prints `result ...` or `error ...` lines. `nsprobe thread-of KINDS`:
// withNamespaces(of:_:_:) in the namespaces of a spawned sandbox.
import Glibc
import LinuxNamespaces

struct ProbeRequest: Codable, Equatable {
    var text: String
    var numbers: [Int64]
    var ratio: Double
    var flag: Bool
    var inner: Inner?
    struct Inner: Codable, Equatable { var names: [String: UInt8] }
}

struct ProbeAnswer: Codable, Equatable {
    var echo: ProbeRequest
    var uid: UInt32
    var pid: Int32
    var hostname: String
}

struct ProbeParseError: Error, Codable, Equatable, CustomStringConvertible {
    var line: Int
    var reason: String
    var description: String { "line \(line): \(reason)" }
}

struct ProbeOpaqueError: Error, CustomStringConvertible {
    var description: String { "an error that does not code" }
}

/// Called before `SandboxEntryPoints.runIfRequested()`.
func registerTypedEntryPoints() {
    SandboxEntryPoints.register("typed-echo") { (request: ProbeRequest) in
        var name = [CChar](repeating: 0, count: 65)
        gethostname(&name, 64)
        return ProbeAnswer(echo: request, uid: geteuid(), pid: getpid(), hostname: String(cString: name))
    }
    SandboxEntryPoints.register("typed-throw") { (request: ProbeRequest) -> ProbeAnswer in
        throw ProbeParseError(line: request.numbers.first.map(Int.init) ?? 0, reason: request.text)
    }
    SandboxEntryPoints.register("typed-opaque") { (_: ProbeRequest) -> ProbeAnswer in throw ProbeOpaqueError() }
}

func typedCommand(_ args: ArraySlice<String>) throws(NamespaceError) {
    guard args.count == 2 else { throw NamespaceError(.parse, detail: "usage: typed SCENARIO KINDS") }
    let scenario = args[args.startIndex]
    var sandbox = Sandbox(create: try NamespaceSet(parsing: args[args.startIndex + 1]))
    sandbox.userMapping = .root
    if sandbox.create.contains(.uts) { sandbox.hostname = "typed-box" }
    let request = ProbeRequest(text: "héllo \"quoted\"\n", numbers: [-3, 0, Int64.max], ratio: 0.25, flag: true,
        inner: .init(names: ["a": 1, "b": 255]))
    do {
        switch scenario {
        case "echo":
            let answer = try sandbox.run(entryPoint: "typed-echo", input: request, as: ProbeAnswer.self)
            print("roundtrip", answer.echo == request)
            print("uid", answer.uid)
            print("pid", answer.pid)
            print("hostname", answer.hostname)
        case "throw", "opaque":
            _ = try sandbox.run(entryPoint: "typed-\(scenario)", input: request, as: ProbeAnswer.self)
            print("succeeded")
        case "mismatch":
            _ = try sandbox.run(entryPoint: "typed-echo", input: request, as: [String].self)
            print("succeeded")
        default:
            throw NamespaceError(.parse, detail: "no scenario \(scenario)")
        }
    } catch let error as EntryPointError {
        print("entry-point-error", error)
        print("type", error.typeName)
        let decoded = error.decode(ProbeParseError.self)
        print("decoded", decoded.map { "\($0)" } ?? "-")
    } catch let error as DecodingError {
        print("decoding-error", error)
    } catch {
        print("error:", error)
        exit(1)
    }
}

func threadOfCommand(_ args: ArraySlice<String>) throws(NamespaceError) {
    let kinds = try NamespaceSet(parsing: args.first ?? "")
    var sandbox = Sandbox(create: kinds.union([.user]))
    sandbox.userMapping = .root
    do {
        let process = try sandbox.spawn(SandboxCommand("/bin/sleep", ["60"]))
        defer { try? process.signal(SIGKILL); _ = try? process.wait() }
        let entering = kinds.subtracting([.user])
        // /proc/thread-self: the namespaces of the thread that runs the closure.
        let inside = try withNamespaces(of: process.pid, entering) {
            entering.kinds.map { (try? NamespaceID(path: .init("/proc/thread-self/ns/\($0.procName)")).inode) ?? 0 }
        }
        let theirs = entering.kinds.map { (try? NamespaceID(path: .init(process.namespacePath($0))).inode) ?? 1 }
        let ours = entering.kinds.map { (try? NamespaceID($0).inode) ?? 2 }
        print("same", inside == theirs)
        print("ours-differ", zip(ours, theirs).allSatisfy { $0 != $1 })
    } catch {
        print("error:", error)
        exit(1)
    }
}

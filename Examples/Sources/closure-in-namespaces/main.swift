// closure-in-namespaces: run Swift closures inside new namespaces.
// 1. Sandbox.run(entryPoint:input:): the program re-executes itself in the sandbox and the
//    copy runs a registered closure; safe from any thread.
// 2. forkIntoNamespaces: the direct form, for a program that is still single-threaded.
// Works as root and as an ordinary user.
import Glibc
import LinuxNamespaces

/// The typed entry point's input, result and error.
struct Lookup: Codable { var names: [String]; var wanted: String }
struct Found: Codable { var index: Int; var seenBy: String }
struct Missing: Error, Codable { var name: String }

/// What a process sees of itself: uid, pid and hostname.
func describeSelf() -> String {
    var name = [CChar](repeating: 0, count: 65)
    gethostname(&name, name.count - 1)
    let hostname = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return "uid \(getuid()), pid \(getpid()), hostname \(hostname)"
}

// Register every entry point, then call the hook: first thing in main, before any thread or
// task starts. In the re-executed copy runIfRequested runs the closure and exits; in the
// original program it returns at once.
SandboxEntryPoints.register("describe") { input in
    Array("\(String(decoding: input, as: UTF8.self)): \(describeSelf())".utf8)
}
SandboxEntryPoints.register("fail") { _ in
    struct NotToday: Error, CustomStringConvertible { var description: String { "not today" } }
    throw NotToday()
}
// A typed entry point: Codable values in and out (as JSON); a Codable error comes back as itself.
SandboxEntryPoints.register("lookup") { (request: Lookup) -> Found in
    guard let id = request.names.firstIndex(of: request.wanted) else { throw Missing(name: request.wanted) }
    return Found(index: id, seenBy: describeSelf())
}
SandboxEntryPoints.runIfRequested()

print("outside: \(describeSelf())")

// The direct form: this process has one thread so far, so it may fork and run Swift code in
// the child. The closure's return value is the child's exit status.
do {
    let ending = try forkIntoNamespaces([.user, .uts, .pid], mapping: .root) {
        sethostname("direct", 6)
        print("forkIntoNamespaces: \(describeSelf())")
        return 0
    }
    print("forkIntoNamespaces: \(ending)")
} catch {
    print("forkIntoNamespaces failed: \(error)")
}

// The re-exec form: the closure runs in a fresh copy of this program inside the sandbox.
var sandbox = Sandbox(create: [.user, .uts, .pid])
sandbox.userMapping = .root
sandbox.hostname = "box"
do {
    let reply = try sandbox.run(entryPoint: "describe", input: Array("hello".utf8))
    print("run(entryPoint:): \(String(decoding: reply.output, as: UTF8.self)) (\(reply.termination))")
    _ = try sandbox.run(entryPoint: "fail", input: [])
} catch {
    print("run(entryPoint:) failed: \(error)")    // the closure's error, as text
}

// The typed form: a Codable value in, one out; a thrown error comes back as an EntryPointError.
do {
    let found = try sandbox.run(entryPoint: "lookup", input: Lookup(names: ["a", "b"], wanted: "b"), as: Found.self)
    print("run(entryPoint:input:as:): \(found.index), seen by \(found.seenBy)")
    _ = try sandbox.run(entryPoint: "lookup", input: Lookup(names: [], wanted: "c"), as: Found.self)
} catch let error as EntryPointError {
    print("\(error.name) threw \(error.decode(Missing.self)?.name ?? error.message)")    // "lookup threw c"
} catch {
    print("run(entryPoint:input:as:) failed: \(error)")
}

// Once a second thread exists, the direct form refuses and says what to use instead.
var thread = pthread_t()
pthread_create(&thread, nil, { _ in sleep(60); return nil }, nil)
do {
    _ = try forkIntoNamespaces([.user], mapping: .root) { 0 }
} catch {
    print(error)
}

// per-thread-socket: one thread of this (multithreaded) program enters another process's
// network namespace, opens a listening socket there and returns it; the socket stays in that
// namespace. A second thread connects to it from inside, the main thread accepts outside.
// Needs root: setns(2) into a network namespace needs CAP_SYS_ADMIN in our own user namespace.
import Glibc
import LinuxNamespaces

/// 127.0.0.1:`port` as a sockaddr_in.
func loopback(_ port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    return address
}

struct SocketError: Error, CustomStringConvertible {
    var description: String
    init(_ call: String) { description = "\(call): \(String(cString: strerror(errno)))" }
}

/// A TCP socket, bound to 127.0.0.1:`port` and listening when `listen`, else connected to it.
func tcpSocket(port: UInt16, listen: Bool) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw SocketError("socket") }
    var address = loopback(port)
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            listen
                ? (bind(fd, pointer, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 ? Glibc.listen(fd, 8) : -1)
                : connect(fd, pointer, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard result == 0 else {
        let error = SocketError(listen ? "bind/listen" : "connect")
        close(fd)
        throw error
    }
    return fd
}

/// The network devices of the namespaces `joins`, with the async form of `withNamespaces`: the
/// task is suspended while a new thread does the work, no executor thread is blocked. (At the
/// top level of main.swift, `try await withNamespaces` would pick the synchronous overload.)
func networkDevices(in joins: [NamespaceJoin]) async throws -> [String] {
    try await withNamespaces(joins) {
        // /proc/thread-self/net shows the calling thread's network namespace.
        let file = fopen("/proc/thread-self/net/dev", "r")!
        defer { fclose(file) }
        var names: [String] = []
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let colon = text.firstIndex(of: ":") { names.append(text[..<colon].filter { $0 != " " }) }
        }
        return names
    }
}

do {
    // A process with a network namespace of its own (only lo, up) to work in.
    // (An ordinary user needs a user namespace to create it, and then cannot enter it below.)
    let holder = try Sandbox(create: geteuid() == 0 ? [.network] : [.user, .network])
        .spawn(SandboxCommand("sleep", ["60"]))
    defer { try? holder.signal(SIGKILL); _ = try? holder.wait() }
    let inside = [NamespaceJoin(.network, .process(holder.pid))]

    // Synchronous form: the closure runs on a new thread that has entered the namespace.
    let listener = try withNamespaces(inside) { try tcpSocket(port: 8080, listen: true) }
    print("listening on 127.0.0.1:8080 inside the network namespace of pid \(holder.pid)")

    // Outside, nothing listens on 8080.
    do { close(try tcpSocket(port: 8080, listen: false)) } catch { print("outside: \(error)") }

    // Inside, a second thread connects and sends a line; the main thread accepts it here.
    try withNamespaces(inside) {
        let client = try tcpSocket(port: 8080, listen: false)
        _ = "hello from inside\n".withCString { write(client, $0, strlen($0)) }
        close(client)
    }
    let connection = accept(listener, nil, nil)
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = read(connection, &buffer, buffer.count)
    print("accepted: \(String(decoding: buffer[..<max(count, 0)], as: UTF8.self))", terminator: "")
    close(connection)
    close(listener)

    let devices = try await networkDevices(in: inside)
    print("network devices inside: \(devices)")
} catch {
    print("failed: \(error)")
}

// User, pid and time namespaces cannot be entered by one thread: refused with the reason.
do {
    _ = try withNamespaces([NamespaceJoin(.user, .process(ProcessID(rawValue: 1)))]) { 0 }
} catch {
    print(error)
}

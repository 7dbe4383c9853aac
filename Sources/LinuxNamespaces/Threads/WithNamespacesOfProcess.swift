/// Runs `body` on a new OS thread that has entered the `kinds` namespaces of process `pid`
/// (net, uts, ipc, cgroup, mount), as `withNamespaces(_:_:)` does with a join of each.
///
/// ```swift
/// let socket = try withNamespaces(of: containerPID, [.network]) { try makeListeningSocket(port: 8080) }
/// ```
///
/// - Throws: `NamespaceError` if a namespace cannot be opened or entered (user, pid and time
///   namespaces cannot be entered by one thread), or what `body` threw.
public func withNamespaces<Result: Sendable>(
    of pid: ProcessID, _ kinds: NamespaceSet, _ body: @escaping @Sendable () throws -> Result
) throws -> Result {
    try withNamespaces(kinds.kinds.map { NamespaceJoin($0, .process(pid)) }, body)
}

/// The `async` form of `withNamespaces(of:_:_:)`: the caller's task is suspended, no executor
/// thread is blocked.
public func withNamespaces<Result: Sendable>(
    of pid: ProcessID, _ kinds: NamespaceSet, _ body: @escaping @Sendable () throws -> Result
) async throws -> Result {
    try await withNamespaces(kinds.kinds.map { NamespaceJoin($0, .process(pid)) }, body)
}

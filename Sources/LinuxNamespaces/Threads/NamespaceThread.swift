import CNamespaces
import Glibc
import SystemPackage

/// Runs `body` on a new OS thread that has entered the given namespaces, then discards the
/// thread, so that no other code ever runs in those namespaces by accident.
///
/// Net, uts, ipc, cgroup and mount namespaces belong to threads, so one thread of a
/// multithreaded program can work inside a container's network namespace (open a listening
/// socket there: it stays in that namespace after the thread is gone) or read files in its
/// mount namespace, while the rest of the program stays where it is. For a mount namespace the
/// thread first unshares its file-system attributes (`unshare(CLONE_FS)`), which setns(2)
/// requires. User, pid and time namespaces cannot be entered by one thread: they are refused
/// with an explanation (spawn a `Sandbox` instead).
///
/// `body` runs on a plain thread, never on a Swift concurrency executor thread; tasks it
/// starts run elsewhere, outside the namespaces.
///
/// ```swift
/// let socket = try withNamespaces([NamespaceJoin(.network, .process(containerPID))]) {
///     try makeListeningSocket(port: 8080)   // bound inside the container's network
/// }
/// ```
///
/// - Parameters:
///   - joins: the namespaces to enter, by process or by file.
///   - body: the work to do inside.
/// - Returns: what `body` returned.
/// - Throws: `NamespaceError` if a namespace cannot be opened or entered, or what `body`
///   threw.
public func withNamespaces<Result: Sendable>(
    _ joins: [NamespaceJoin], _ body: @escaping @Sendable () throws -> Result
) throws -> Result {
    let thread = try NamespaceThread(joins)
    return try thread.run(body)
}

/// The `async` form of `withNamespaces(_:_:)`: the caller's task is suspended, no executor
/// thread is blocked.
public func withNamespaces<Result: Sendable>(
    _ joins: [NamespaceJoin], _ body: @escaping @Sendable () throws -> Result
) async throws -> Result {
    let thread = try NamespaceThread(joins)
    let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Swift.Result<Result, any Error>, Never>) in
        thread.start(body) { continuation.resume(returning: $0) }
    }
    return try outcome.get()
}

/// The opened namespaces and the thread that enters them.
private final class NamespaceThread: @unchecked Sendable {
    private let handles: [NamespaceHandle]

    init(_ joins: [NamespaceJoin]) throws(NamespaceError) {
        var seen = NamespaceSet()
        for join in joins {
            switch join.kind {
            case .user:
                throw NamespaceError(.setns, kinds: .user, detail: "a single thread cannot enter a user namespace",
                    hint: "the kernel requires a single-threaded process: spawn a Sandbox that joins it")
            case .pid, .time:
                throw NamespaceError(.setns, kinds: NamespaceSet(join.kind),
                    detail: "entering a \(join.kind) namespace only affects children, not the thread itself",
                    hint: "spawn a Sandbox that joins it")
            default:
                guard !seen.contains(join.kind) else {
                    throw NamespaceError(.validate, kinds: NamespaceSet(join.kind), detail: "joined twice")
                }
                seen.insert(NamespaceSet(join.kind))
            }
        }
        var opened: [NamespaceHandle] = []
        do {
            for join in joins {
                opened.append(try NamespaceHandle.open(path: join.path, expecting: join.kind))
            }
        } catch {
            for handle in opened { try? handle.close() }
            throw error
        }
        handles = opened
    }

    deinit {
        for handle in handles { try? handle.close() }
    }

    /// Runs `body` on the thread and waits for it.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) throws -> Result {
        let done = Completion<Swift.Result<Result, any Error>>()
        start(body) { done.finish($0) }
        return try done.wait().get()
    }

    /// Starts the thread; `completion` is called on it with the outcome.
    func start<Result: Sendable>(
        _ body: @escaping @Sendable () throws -> Result,
        completion: @escaping @Sendable (Swift.Result<Result, any Error>) -> Void
    ) {
        runOnNewThread { [self] in
            do {
                try self.enter()
                completion(.success(try body()))
            } catch {
                completion(.failure(error))
            }
        }
    }

    /// On the new thread: unshare the fs attributes if a mount namespace is entered, then setns.
    private func enter() throws(NamespaceError) {
        if handles.contains(where: { $0.kind == .mount }) && cn_unshare(CN_CLONE_FS) != 0 {
            throw NamespaceError(.unshare, errno: .current, detail: "unshare(CLONE_FS) failed for the thread")
        }
        for handle in handles {
            guard cn_setns(handle.fileDescriptor.rawValue, handle.kind.cloneFlag) == 0 else {
                throw NamespaceError(.setns, kinds: NamespaceSet(handle.kind), errno: .current,
                    detail: "the kernel refused",
                    hint: Errno.current == .notPermitted
                        ? "entering needs CAP_SYS_ADMIN both in the user namespace that owns the target and in the caller's own; an ordinary user has neither outside a user namespace it made (run as root, or spawn a sandbox that joins the user namespace too)"
                        : nil)
            }
        }
    }
}

/// A one-shot value handed from one thread to a waiting one.
private final class Completion<Value>: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var value: Value?

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    func finish(_ value: Value) {
        pthread_mutex_lock(&mutex)
        self.value = value
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    func wait() -> Value {
        pthread_mutex_lock(&mutex)
        while value == nil { pthread_cond_wait(&condition, &mutex) }
        let result = value!
        pthread_mutex_unlock(&mutex)
        return result
    }
}

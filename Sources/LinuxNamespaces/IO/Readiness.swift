import CNamespaces
import Glibc
import SystemPackage

/// One epoll thread for the whole process: a task that must wait until a pidfd or a pipe is
/// ready registers the fd here and suspends, instead of blocking a thread of its own.
///
/// A registration lasts for one readiness event: the thread removes the fd from the epoll set
/// before it resumes the waiters (all of them: several tasks may await one process), which
/// then retry their non-blocking call. An fd is never left in the set, so a closed fd whose
/// file lives on in a forked child cannot deliver events for a later fd of the same number.
/// The lock is held only around epoll_ctl(2), which does not block.
final class Readiness: Sendable {
    /// How a wait ended.
    enum Outcome: Sendable {
        /// The fd is ready (or in error, or hung up): retry the call.
        case ready
        /// The waiting task was cancelled first.
        case cancelled
    }

    static let shared = Readiness()

    private struct Registration {
        var token: UInt64
        var events: UInt32
        var waiters: [UInt64: CheckedContinuation<Outcome, Never>] = [:]
    }

    private struct State {
        var epoll: Int32 = -1
        /// Registrations by fd; `tokens` maps an event's token back to its fd.
        var registrations: [Int32: Registration] = [:]
        var tokens: [UInt64: Int32] = [:]
        var nextID: UInt64 = 1
        /// Waiters cancelled before they could register.
        var cancelledEarly: Set<UInt64> = []
        /// Why the thread could not be started (0: it runs or was not needed yet).
        var startFailure: Int32 = 0
    }

    private let state = Locked(State())

    private init() {}

    /// Suspends until `fd` is ready for `events` (EPOLLIN, EPOLLOUT), or the task is
    /// cancelled (unless `cancellable` is false). Returns `.ready` at once for an fd epoll does
    /// not watch (a regular file, which never blocks).
    /// - Throws: `SandboxError` when the epoll thread cannot be started.
    func wait(_ fd: Int32, for events: UInt32, cancellable: Bool = true) async throws(SandboxError) -> Outcome {
        let id = try state.withLock { state throws(SandboxError) -> UInt64 in
            try startIfNeeded(&state)
            defer { state.nextID += 1 }
            return state.nextID
        }
        let register = { (continuation: CheckedContinuation<Outcome, Never>) in
            let early: Outcome? = self.state.withLock { state in
                if state.cancelledEarly.remove(id) != nil { return .cancelled }
                return self.add(&state, fd, events, id, continuation) ? nil : .ready
            }
            if let early { continuation.resume(returning: early) }
        }
        guard cancellable else { return await withCheckedContinuation(register) }
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation(register)
        } onCancel: {
            self.cancel(id, fd)
        }
        // A cancellation that came after the wait ended left its mark: drop it.
        state.withLock { _ = $0.cancelledEarly.remove(id) }
        return outcome
    }

    /// Adds waiter `id` for `fd`; false when epoll refuses the fd (it will not block then).
    private func add(_ state: inout State, _ fd: Int32, _ events: UInt32, _ id: UInt64,
        _ continuation: CheckedContinuation<Outcome, Never>) -> Bool
    {
        if var registration = state.registrations[fd] {
            if registration.events & events != events {
                var event = epoll_event(events: registration.events | events, data: epoll_data_t(u64: registration.token))
                guard epoll_ctl(state.epoll, EPOLL_CTL_MOD, fd, &event) == 0 else { return false }
                registration.events |= events
            }
            registration.waiters[id] = continuation
            state.registrations[fd] = registration
            return true
        }
        let token = id
        var event = epoll_event(events: events, data: epoll_data_t(u64: token))
        guard epoll_ctl(state.epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { return false }
        state.registrations[fd] = Registration(token: token, events: events, waiters: [id: continuation])
        state.tokens[token] = fd
        return true
    }

    /// Removes waiter `id` and resumes it as cancelled, or marks it for `register` to see.
    private func cancel(_ id: UInt64, _ fd: Int32) {
        let continuation = state.withLock { state -> CheckedContinuation<Outcome, Never>? in
            guard var registration = state.registrations[fd], let waiter = registration.waiters.removeValue(forKey: id) else {
                state.cancelledEarly.insert(id)
                return nil
            }
            if registration.waiters.isEmpty {
                remove(&state, fd, registration.token)
            } else {
                state.registrations[fd] = registration
            }
            return waiter
        }
        continuation?.resume(returning: .cancelled)
    }

    /// Ends the waits on `fd` before it is closed (they retry and find it closed): a closed
    /// fd left in the table would swallow the waits on the next fd of that number.
    func forget(_ fd: Int32) {
        let waiters = state.withLock { state -> [CheckedContinuation<Outcome, Never>] in
            guard let registration = state.registrations[fd] else { return [] }
            remove(&state, fd, registration.token)
            return Array(registration.waiters.values)
        }
        for continuation in waiters { continuation.resume(returning: .ready) }
    }

    private func remove(_ state: inout State, _ fd: Int32, _ token: UInt64) {
        _ = epoll_ctl(state.epoll, EPOLL_CTL_DEL, fd, nil)
        state.registrations[fd] = nil
        state.tokens[token] = nil
    }

    /// Creates the epoll set and starts its thread, once.
    private func startIfNeeded(_ state: inout State) throws(SandboxError) {
        guard state.epoll < 0 else { return }
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw SandboxError(ioResources: "epoll_create1", errno: .current) }
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        // The thread starts with every signal blocked: it must never take one meant for the
        // program's own threads (a sigwait loop, a handler that expects the main thread).
        var all = sigset_t(), old = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &old)
        let started = pthread_create(&thread, nil, { raw in
            Unmanaged<Readiness>.fromOpaque(raw!).takeUnretainedValue().serve()
        }, context)
        pthread_sigmask(SIG_SETMASK, &old, nil)
        guard started == 0 else {
            Unmanaged<Readiness>.fromOpaque(context).release()
            close(epoll)
            throw SandboxError(ioResources: "pthread_create", errno: Errno(rawValue: started))
        }
        pthread_detach(thread)
        state.epoll = epoll
    }

    private func serve() -> Never {
        let epoll = state.withLock { $0.epoll }
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let count = epoll_wait(epoll, &events, Int32(events.count), -1)
            guard count > 0 else { continue }  // EINTR
            var ready: [CheckedContinuation<Outcome, Never>] = []
            state.withLock { state in
                for event in events[..<Int(count)] {
                    let token = event.data.u64
                    guard let fd = state.tokens[token], let registration = state.registrations[fd] else { continue }
                    remove(&state, fd, token)
                    ready.append(contentsOf: registration.waiters.values)
                }
            }
            for continuation in ready { continuation.resume(returning: .ready) }
        }
    }
}

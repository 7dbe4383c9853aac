import Glibc

/// A value guarded by a `pthread_mutex_t`, for state the epoll thread and tasks share.
///
/// Not `Synchronization.Mutex`: on Linux its contended lock is handed over in the kernel
/// (FUTEX_LOCK_PI), which ThreadSanitizer does not see, so it reports races under a held lock.
/// TSan intercepts pthread_mutex_lock(3) and unlock, so a report here is a real race.
final class Locked<Value> {
    // Heap cells: a pthread_mutex_t must not move, which a stored property may.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let value = UnsafeMutablePointer<Value>.allocate(capacity: 1)

    init(_ initial: Value) {
        pthread_mutex_init(mutex, nil)
        value.initialize(to: initial)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with the value while holding the lock; `body` must not block or suspend.
    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}

// The lock is what makes sharing the value safe.
extension Locked: @unchecked Sendable where Value: Sendable {}

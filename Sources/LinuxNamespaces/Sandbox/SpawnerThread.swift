import CNamespaces
import Glibc

/// A thread that lives as long as the process and makes the clones of sandboxes that die with
/// their parent.
///
/// `PR_SET_PDEATHSIG` fires when the *thread* that created the child exits, not the process:
/// prctl(2). A spawn from a short-lived thread (a Dispatch worker that retires, a Task on a
/// thread that goes away) would otherwise kill its sandbox at a random moment. Cloning from
/// this thread ties the signal to the process's whole life.
final class SpawnerThread: @unchecked Sendable {
    static let shared = SpawnerThread()

    /// One clone request: filled by the caller, carried out by the thread, then signalled.
    private final class Job {
        let plan: UnsafePointer<cn_plan>
        var pid: pid_t = -1
        var pidfd: Int32 = -1
        var errno: Int32 = 0
        var done = sem_t()
        init(_ plan: UnsafePointer<cn_plan>) {
            self.plan = plan
            sem_init(&done, 0, 0)
        }
        deinit { sem_destroy(&done) }
    }

    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var queue: [Job] = []
    /// Whether the thread exists: it is started by the first spawn, and again by a later one
    /// if starting it failed (pthread_create can fail for want of memory or a thread limit).
    private var running = false

    private init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    /// Starts the thread; returns 0 or pthread_create's error. Called with the mutex held.
    private func start() -> Int32 {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { raw in
            Unmanaged<SpawnerThread>.fromOpaque(raw!).takeUnretainedValue().serve()
        }, context)
        if result != 0 {
            Unmanaged<SpawnerThread>.fromOpaque(context).release()
            return result
        }
        pthread_detach(thread)
        running = true
        return 0
    }

    /// Starts the thread unless it runs; returns 0 or pthread_create's error.
    func ensureRunning() -> Int32 {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return running ? 0 : start()
    }

    /// cn_spawn on the spawner thread; returns the pid (or -1 with errno set) and the pidfd.
    /// Call `ensureRunning()` first.
    func spawn(_ plan: UnsafePointer<cn_plan>, _ pidfd: inout Int32) -> pid_t {
        let job = Job(plan)
        pthread_mutex_lock(&mutex)
        precondition(running, "SpawnerThread.spawn before ensureRunning")
        queue.append(job)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
        while sem_wait(&job.done) != 0 {}
        pidfd = job.pidfd
        Glibc.errno = job.errno
        return job.pid
    }

    private func serve() -> Never {
        while true {
            pthread_mutex_lock(&mutex)
            while queue.isEmpty { pthread_cond_wait(&condition, &mutex) }
            let job = queue.removeFirst()
            pthread_mutex_unlock(&mutex)
            job.pid = cn_spawn(job.plan, &job.pidfd)
            job.errno = cn_errno()
            sem_post(&job.done)
        }
    }
}

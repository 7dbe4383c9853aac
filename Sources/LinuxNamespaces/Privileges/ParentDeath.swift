import CNamespaces
import Glibc
import SystemPackage

/// This process's lifetime tied to its parent's, as `bwrap --die-with-parent` ties the sandbox
/// to whoever started bwrap.
public enum ParentDeath {
    /// Makes the kernel send `signal` to this process when its parent dies
    /// (`PR_SET_PDEATHSIG`), race-free: a parent that died before the signal was armed (this
    /// process was reparented, or the parent's pidfd is readable) is noticed, and `signal` is
    /// then sent to this process at once, as the kernel would have. `parent` is the parent
    /// recorded as early as possible (getppid() at start-up); 0 (a parent outside our pid
    /// namespace) arms the signal without the check.
    ///
    /// The kernel sends it when the parent *thread* that forked us exits: prctl(2).
    /// - Throws: `Errno` when prctl refuses (`signal` is not a signal).
    /// The corresponding system call is prctl(2) with `PR_SET_PDEATHSIG`.
    public static func arm(signal: Int32 = SIGKILL, parent: ProcessID) throws(Errno) {
        // Opened before arming: once armed, a pidfd of the same pid could be a new process.
        let pidfd = parent.rawValue > 0 ? cn_pidfd_open(parent.rawValue, 0) : -1
        let reaped = pidfd < 0 && Errno.current == .noSuchProcess
        defer { if pidfd >= 0 { close(pidfd) } }
        guard cn_set_parent_death_signal(signal) == 0 else { throw Errno.current }
        guard parent.rawValue > 0 else { return }
        var ready = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        let exited = pidfd >= 0 && poll(&ready, 1, 0) > 0
        // pidfd_open fails (ESRCH) for a parent that had gone and been reaped before it.
        if getppid() != parent.rawValue || exited || reaped {
            kill(getpid(), signal)
        }
    }
}

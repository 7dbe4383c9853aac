// Passing signals on, as tini and dumb-init do: the rule that both waiting sides follow, the
// caller that waits for its child (nsbox) and the init or supervisor inside.
#define _GNU_SOURCE
#include "CNamespaces.h"
#include "CNamespacesSpawn.h"
#include "child_calls.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void cn_passed_on_signals(sigset_t *set) {
    // glibc's sigfillset leaves out its own two (32, 33); SIGKILL and SIGSTOP cannot be
    // caught, and SIGCHLD is about our own children.
    sigfillset(set);
    sigdelset(set, SIGKILL);
    sigdelset(set, SIGSTOP);
    sigdelset(set, SIGCHLD);
}

void cn_take_back_child_signal(void) {
    struct sigaction action;
    if (sigaction(SIGCHLD, (struct sigaction *)0, &action) != 0) return;
    if (action.sa_handler != SIG_IGN && !(action.sa_flags & SA_NOCLDWAIT)) return;
    action.sa_handler = SIG_DFL;
    action.sa_flags = 0;
    sigemptyset(&action.sa_mask);
    sigaction(SIGCHLD, &action, (struct sigaction *)0);
}

// Passing a signal on is done by the supervisor in the child as well as by the waiting
// caller: raw system calls, no instrumentation (child_calls.h).
CN_CHILD_CODE_BEGIN

/// Takes the default action of `sig` (blocked in this thread and never caught by us) on this
/// thread now: a stop, which the kernel itself skips in an orphaned process group (nobody
/// would continue us) and for the init of a pid namespace.
static void take_default_action(int sig) {
    cn_ksigset one = cn_ksig_bit(sig), old = 0;
    syscall(SYS_tgkill, sys_getpid(), syscall(SYS_gettid), sig);
    sys_sigprocmask(SIG_UNBLOCK, &one, &old);
    sys_sigprocmask(SIG_SETMASK, &old, (void *)0);
}

int cn_signal_child(int pidfd, pid_t pid, int sig) {
    int result = pidfd >= 0 ? cn_pidfd_send_signal(pidfd, sig, 0) : -1;
    // Without pidfd_send_signal (a seccomp profile may refuse it): our child, unreaped, keeps
    // its pid, so kill(2) cannot hit another process.
    if (pidfd < 0 || (result != 0 && errno == ENOSYS)) result = sys_kill(pid, sig);
    return result;
}

int cn_pass_on_signal(int pidfd, pid_t pid, int sig, int code) {
    int result = 0;
    // A terminal's signals (the kernel's, SI_KERNEL) go to its whole foreground process group:
    // a child in ours has had it already.
    if (code != SI_KERNEL || syscall(SYS_getpgid, pid) != syscall(SYS_getpgid, 0)) result = cn_signal_child(pidfd, pid, sig);
    // Job control: the child stops, and so do we, so that the shell sees its job stopped.
    if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) take_default_action(sig);
    return result;
}

CN_CHILD_CODE_END

/// The signals cn_block_passed_on_signals blocked in this thread that were not blocked before.
static __thread sigset_t blocked_for_waiting;

int cn_block_passed_on_signals(void) {
    sigset_t set, old;
    cn_passed_on_signals(&set);
    if (pthread_sigmask(SIG_BLOCK, &set, &old) != 0) return -1;
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&set, sig) == 1 && sigismember(&old, sig) == 0) sigaddset(&blocked_for_waiting, sig);
    return 0;
}

int cn_current_signal_mask(sigset_t *mask) {
    if (pthread_sigmask(SIG_SETMASK, (sigset_t *)0, mask) != 0) return -1;
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&blocked_for_waiting, sig) == 1) sigdelset(mask, sig);
    return 0;
}

int cn_wait_passing_on_signals(int pidfd, pid_t pid) {
    sigset_t set;
    cn_passed_on_signals(&set);
    if (cn_block_passed_on_signals() != 0) return -1;
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) return -1;
    for (;;) {
        struct pollfd fds[2] = {{pidfd, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            close(sfd);
            errno = saved;
            return -1;
        }
        struct signalfd_siginfo info;
        while (read(sfd, &info, sizeof info) == (ssize_t)sizeof info)
            cn_pass_on_signal(pidfd, pid, (int)info.ssi_signo, info.ssi_code);
        if (fds[0].revents) break;
    }
    close(sfd);
    return 0;
}

/// Milliseconds on the monotonic clock.
static long long monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int cn_wait_terminating_on_signal(int pidfd, int grace_ms) {
    sigset_t set, old;
    cn_passed_on_signals(&set);
    if (pthread_sigmask(SIG_BLOCK, &set, &old) != 0) return -1;
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    int result = sfd < 0 ? -1 : 0;
    // When SIGKILL is due: -1 before the first signal, and once it was sent.
    long long kill_at = -1;
    int terminated = 0;
    while (result == 0) {
        struct pollfd fds[2] = {{pidfd, POLLIN, 0}, {sfd, POLLIN, 0}};
        long long left = kill_at < 0 ? -1 : kill_at - monotonic_ms();
        int ready = poll(fds, 2, left < 0 ? -1 : (int)left);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) { result = -1; break; }
        if (fds[0].revents) break;
        if (kill_at >= 0 && monotonic_ms() >= kill_at) {
            cn_pidfd_send_signal(pidfd, SIGKILL, 0);
            kill_at = -1;
        }
        // Every signal is consumed here: none reaches us once the mask is restored.
        struct signalfd_siginfo info;
        int got = 0;
        while (read(sfd, &info, sizeof info) == (ssize_t)sizeof info) got = 1;
        if (got && !terminated) {
            terminated = 1;
            cn_pidfd_send_signal(pidfd, SIGTERM, 0);
            kill_at = monotonic_ms() + (grace_ms > 0 ? grace_ms : 0);
        }
    }
    int saved = errno;
    if (sfd >= 0) close(sfd);
    pthread_sigmask(SIG_SETMASK, &old, (sigset_t *)0);
    errno = saved;
    return result;
}

// The supervisor: pid 1 of a new pid namespace (the init), or the process that stays behind
// when a pid or time namespace applies to children only. It passes every signal it can catch
// on to its child (cn_pass_on_signal), reaps every process that ends up with it, and exits
// when its child does, reporting the child's exact wait status on the status pipe first.
// Raw system calls only (child_calls.h).
#define _GNU_SOURCE
#include "CNamespacesSpawn.h"

#include "CNamespaces.h"
#include "child_calls.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

CN_CHILD_CODE_BEGIN

void cn_supervise(int status_fd, pid_t child) __attribute__((noreturn));

/// How often, and how far apart, a failing wait is tried again before we give up.
enum { wait_attempts = 50 };
static const struct timespec wait_retry = {0, 100 * 1000 * 1000};

/// Writes `count` ints on the status pipe `status_fd`, if we have one.
static void report(int status_fd, const int *values, int count) {
    if (status_fd < 0) return;
    ssize_t ignored = sys_write(status_fd, values, sizeof *values * (size_t)count);
    (void)ignored;
}

/// Reaps whatever has ended; exits when `child` has. Returns 0 when nothing more is to be had
/// now, or the errno of a failed wait.
static int reap(int status_fd, pid_t child) {
    for (;;) {
        int status;
        pid_t ended = sys_wait_any(&status, WNOHANG);
        if (ended == 0) return 0;
        if (ended < 0) return errno;
        if (ended != child) continue;
        report(status_fd, &status, 1);
        // As pid 1, leaving kills everything else in the namespace: pid_namespaces(7).
        sys_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
}

/// `status_fd`: the plan's, taken before: an init on the caller's memory must not read the
/// plan once the caller may have freed it.
void cn_supervise(int status_fd, pid_t child) {
    // We never execute anything, so the caller's fds inherited at the clone (close-on-exec or
    // not) would stay open as long as we live, the error pipe among them: close all but ours.
    cn_close_from(0, status_fd);
    // Every signal is still blocked since the clone: wait for them synchronously.
    cn_ksigset waited = cn_passed_on_ksigset() | cn_ksig_bit(SIGCHLD);
    int failures = 0;
    for (;;) {
        siginfo_t info;
        // After a failed wait, try again shortly whether or not another SIGCHLD comes: the one
        // we had may have been the command's last.
        int sig = failures ? sys_sigtimedwait(&waited, &info, &wait_retry) : sys_sigwaitinfo(&waited, &info);
        if (sig < 0 && errno != EAGAIN) {
            if (errno == EINTR) continue;
            sys_exit(125);
        }
        if (sig > 0 && sig != SIGCHLD) {
            cn_pass_on_signal(-1, child, sig, info.si_code);
            if (!failures) continue;
        }
        int error = reap(status_fd, child);
        failures = error ? failures + 1 : 0;
        if (failures < wait_attempts) continue;
        // Waiting keeps failing: end the command rather than leave it unreaped and the
        // namespaces pinned, and say why.
        int failed[2] = {CN_STATUS_WAIT_FAILED, error};
        report(status_fd, failed, 2);
        sys_kill(child, SIGKILL);
        sys_exit(125);
    }
}

CN_CHILD_CODE_END

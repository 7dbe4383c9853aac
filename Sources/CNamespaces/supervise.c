// The supervisor: pid 1 of a new pid namespace (the init), or the process that stays behind
// when a pid or time namespace applies to children only. It forwards signals to its child,
// reaps every process that ends up with it, and exits when its child does, reporting the
// child's exact wait status on the status pipe first. Raw system calls only (child_calls.h).
#define _GNU_SOURCE
#include "CNamespacesSpawn.h"

#include "CNamespaces.h"
#include "child_calls.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

CN_CHILD_CODE_BEGIN

/// The signals passed on to the child: those a terminal or a service manager sends.
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

void cn_supervise(const struct cn_plan *plan, pid_t child) __attribute__((noreturn));

void cn_supervise(const struct cn_plan *plan, pid_t child) {
    // We never execute anything, so the caller's fds inherited at the clone (close-on-exec or
    // not) would stay open as long as we live, the error pipe among them: close all but ours.
    cn_close_from(0, plan->status_fd);
    // Every signal is still blocked since the clone: wait for them synchronously.
    cn_ksigset waited = cn_ksig_bit(SIGCHLD);
    for (unsigned i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) waited |= cn_ksig_bit(forwarded[i]);
    for (;;) {
        siginfo_t info;
        int sig = sys_sigwaitinfo(&waited, &info);
        if (sig < 0) {
            if (errno == EINTR) continue;
            sys_exit(125);
        }
        if (sig != SIGCHLD) {
            sys_kill(child, sig);
            continue;
        }
        for (;;) {
            int status;
            pid_t ended = sys_wait_any(&status, WNOHANG);
            if (ended <= 0) break;
            if (ended != child) continue;
            if (plan->status_fd >= 0) {
                ssize_t ignored = sys_write(plan->status_fd, &status, sizeof status);
                (void)ignored;
            }
            // As pid 1, leaving kills everything else in the namespace: pid_namespaces(7).
            sys_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
    }
}

CN_CHILD_CODE_END

// The parent side of the child executor: clone with every signal blocked.
#define _GNU_SOURCE
#include "CNamespaces.h"
#include "CNamespacesSpawn.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

void cn_child_main(const struct cn_plan *plan) __attribute__((noreturn));

/// clone3, or clone where the kernel lacks clone3; no stack: the child continues here, like fork.
static pid_t clone_child(int ns_flags, int *pidfd) {
    struct cn_clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CN_CLONE_PIDFD | (uint64_t)(unsigned)ns_flags;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = SIGCHLD;
    pid_t pid = cn_clone3(&args, sizeof args);
    if (pid < 0 && errno == ENOSYS) {
        // clone(flags, stack, parent_tid, child_tid, tls): CLONE_PIDFD stores into parent_tid.
        pid = (pid_t)syscall(SYS_clone, (unsigned long)CN_CLONE_PIDFD | (unsigned)ns_flags | SIGCHLD,
                             (void *)0, pidfd, (void *)0, (void *)0);
    }
    return pid;
}

pid_t cn_spawn(const struct cn_plan *plan, int *pidfd) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = clone_child(plan->clone_flags, pidfd);
    if (pid == 0) cn_child_main(plan);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, (sigset_t *)0);
    errno = saved;
    return pid;
}

int cn_current_signal_mask(sigset_t *mask) { return pthread_sigmask(SIG_SETMASK, (sigset_t *)0, mask); }

int cn_wait_pidfd(int pidfd, int nohang, int *code, int *status) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int r;
    do {
        r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | (nohang ? WNOHANG : 0));
    } while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    *code = info.si_code;
    *status = info.si_status;
    return 0;
}

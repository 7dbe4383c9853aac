// The child side of the executor: carries out a cn_plan with raw system calls only.
// Async-signal-safe throughout: no allocation, no stdio, no locks, _exit never exit.
#define _GNU_SOURCE
#include "CNamespaces.h"
#include "CNamespacesSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void cn_supervise(const struct cn_plan *plan, pid_t child) __attribute__((noreturn));
int cn_write_time_offsets(const struct cn_plan *plan);
int cn_set_up_mounts(const struct cn_plan *plan, int *index);
int cn_set_up_names_and_network(const struct cn_plan *plan);

/// Where failures are reported: the plan's error_fd, moved if the command's fds need its number.
static int report_fd = -1;
/// The plan's exec_fd, moved the same way.
static int exec_fd = -1;

/// Reports a failed step to the parent and exits: 127 when the command is not found, 126 when
/// it cannot be executed, 125 for any other setup failure (the conventions of env(1)).
static void __attribute__((noreturn)) fail(const struct cn_plan *plan, int step, long detail) {
    struct cn_report report = {step, errno, detail};
    if (report_fd >= 0) {
        ssize_t ignored = write(report_fd, &report, sizeof report);
        (void)ignored;
    }
    if (step == CN_STEP_EXEC) _exit(report.error == ENOENT ? 127 : 126);
    _exit(125);
}

/// fork without glibc's fork(): no atfork handlers (the Swift runtime's) run in the child.
static pid_t raw_fork(void) { return (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0, 0, 0, 0); }

/// Arms PR_SET_PDEATHSIG and checks the parent did not die before it was armed: prctl(2).
/// In a new pid namespace getppid() is 0, so the check polls a pidfd of the parent (opened
/// before the clone) where we have one, and compares getppid() with the expected parent else.
static void arm_parent_death_signal(const struct cn_plan *plan, pid_t expected_parent) {
    if (plan->pdeathsig == 0) return;
    if (prctl(CN_PR_SET_PDEATHSIG, plan->pdeathsig, 0, 0, 0) != 0) fail(plan, CN_STEP_PDEATHSIG, 0);
    if (expected_parent > 0) {
        if (getppid() != expected_parent) { errno = ESRCH; fail(plan, CN_STEP_PARENT_GONE, 0); }
    } else if (plan->parent_pidfd >= 0) {
        struct pollfd pfd = {plan->parent_pidfd, POLLIN, 0};
        if (poll(&pfd, 1, 0) != 0) { errno = ESRCH; fail(plan, CN_STEP_PARENT_GONE, 0); }
    }
}

/// Waits for the parent's go-ahead (it has written the id maps).
static void wait_for_parent(const struct cn_plan *plan) {
    if (plan->go_fd < 0) return;
    char byte;
    ssize_t n;
    do { n = read(plan->go_fd, &byte, 1); } while (n < 0 && errno == EINTR);
    if (n != 1) { if (n == 0) errno = EPIPE; fail(plan, CN_STEP_SYNC, 0); }
    close(plan->go_fd);
}

/// Enters and creates namespaces: non-user joins with our own privileges, then the user
/// namespace (joined or created), then the joins that needed it, then the new namespaces.
static void enter_namespaces(const struct cn_plan *plan) {
    int pending[8];
    int pending_count = 0;
    int user_step = plan->user_join_fd >= 0 || plan->unshare_user;
    for (int i = 0; i < plan->join_count; i++) {
        if (cn_setns(plan->joins[i].fd, plan->joins[i].nstype) == 0) continue;
        if (!user_step) fail(plan, CN_STEP_SETNS, plan->joins[i].nstype);
        pending[pending_count++] = i;
    }
    if (plan->user_join_fd >= 0 && cn_setns(plan->user_join_fd, CN_CLONE_NEWUSER) != 0)
        fail(plan, CN_STEP_SETNS, CN_CLONE_NEWUSER);
    if (plan->unshare_user) {
        if (cn_unshare(CN_CLONE_NEWUSER) != 0) fail(plan, CN_STEP_UNSHARE, CN_CLONE_NEWUSER);
        char byte = 1;
        if (write(plan->ready_fd, &byte, 1) != 1) fail(plan, CN_STEP_SYNC, 0);
        close(plan->ready_fd);
        wait_for_parent(plan);
    }
    for (int k = 0; k < pending_count; k++) {
        const struct cn_join *join = &plan->joins[pending[k]];
        if (cn_setns(join->fd, join->nstype) != 0) fail(plan, CN_STEP_SETNS, join->nstype);
    }
    if (plan->unshare_flags && cn_unshare(plan->unshare_flags) != 0)
        fail(plan, CN_STEP_UNSHARE, plan->unshare_flags);
}

/// Sets groups, gid and uid inside, in that order (setgroups needs the old uid's capability).
/// Raw system calls: glibc's wrappers broadcast the change to every thread it believes the
/// process has (copied from the multithreaded parent) and would wait for them forever.
static void set_credentials(const struct cn_plan *plan) {
    // set_groups 2: best effort, for a user namespace whose setgroups file says "deny".
    if (plan->set_groups && syscall(SYS_setgroups, 0, (const gid_t *)0) != 0 &&
        !(plan->set_groups == 2 && errno == EPERM))
        fail(plan, CN_STEP_SETGROUPS, 0);
    if (plan->set_gid && syscall(SYS_setresgid, plan->gid, plan->gid, plan->gid) != 0)
        fail(plan, CN_STEP_SETGID, plan->gid);
    if (plan->set_uid && syscall(SYS_setresuid, plan->uid, plan->uid, plan->uid) != 0)
        fail(plan, CN_STEP_SETUID, plan->uid);
}

/// Forks; the parent becomes the supervisor of the child and never returns.
static void fork_and_supervise(const struct cn_plan *plan) {
    pid_t self = getpid();
    pid_t child = raw_fork();
    if (child < 0) fail(plan, CN_STEP_FORK, 0);
    if (child > 0) cn_supervise(plan, child);
    // A pid namespace's first process has no parent in it: getppid() is 0 then.
    arm_parent_death_signal(plan, getppid() == 0 ? 0 : self);
}

/// Gives the command exactly the fds it was told to keep: every target is a copy of its
/// source, everything else is closed on exec (the error pipe stays open until then).
static void arrange_fds(const struct cn_plan *plan) {
    int highest = 2;
    for (int i = 0; i < plan->fd_count; i++)
        if (plan->fd_targets[i] > highest) highest = plan->fd_targets[i];
    // Move the error pipe and the executable out of the targets' way.
    int *keep[] = {&report_fd, &exec_fd};
    for (unsigned k = 0; k < 2; k++) {
        if (*keep[k] < 0 || *keep[k] > highest) continue;
        int moved = fcntl(*keep[k], F_DUPFD_CLOEXEC, highest + 1);
        if (moved < 0) fail(plan, CN_STEP_FDS, *keep[k]);
        *keep[k] = moved;
    }
    // First copy every source above the targets, so that a source that is also another
    // target is not overwritten before it is copied.
    int copies[256];
    if (plan->fd_count > 256) { errno = EMFILE; fail(plan, CN_STEP_FDS, 0); }
    for (int i = 0; i < plan->fd_count; i++) {
        copies[i] = fcntl(plan->fd_sources[i], F_DUPFD_CLOEXEC, highest + 1);
        if (copies[i] < 0) fail(plan, CN_STEP_FDS, plan->fd_targets[i]);
    }
    for (int fd = 0; fd <= highest; fd++) {
        int wanted = -1;
        for (int i = 0; i < plan->fd_count; i++) if (plan->fd_targets[i] == fd) wanted = i;
        if (wanted < 0) {
            close(fd);
        } else if (dup2(copies[wanted], fd) < 0) {
            fail(plan, CN_STEP_FDS, fd);
        }
    }
    // Keep the error pipe at highest+1 and the executable at highest+2, close everything
    // else: no fd of the caller (a host directory among them) stays reachable, even through
    // /proc/self/fd, while the working directory is resolved and the command starts.
    int base = highest + 1;
    if (exec_fd == base) {
        exec_fd = fcntl(exec_fd, F_DUPFD_CLOEXEC, base + 2);
        if (exec_fd < 0) fail(plan, CN_STEP_FDS, base);
    }
    if (report_fd >= 0 && report_fd != base) {
        if (dup3(report_fd, base, O_CLOEXEC) < 0) fail(plan, CN_STEP_FDS, base);
        report_fd = base;
    }
    if (exec_fd >= 0 && exec_fd != base + 1) {
        if (dup3(exec_fd, base + 1, O_CLOEXEC) < 0) fail(plan, CN_STEP_FDS, base + 1);
        exec_fd = base + 1;
    }
    cn_close_from(exec_fd >= 0 ? base + 2 : base + 1, -1);
}

/// execve the command: its path as given when it has a slash, else the first match in
/// search_path, as execvp(3) searches (EACCES remembered, ENOENT and ENOTDIR skipped).
static void exec_command(const struct cn_plan *plan) {
    if (exec_fd >= 0) {
        // An executable opened before the clone (our own binary): nothing can swap it since.
        syscall(SYS_execveat, exec_fd, "", plan->argv, plan->envp, AT_EMPTY_PATH);
        return;
    }
    const char *name = plan->path;
    const char *dirs = plan->search_path;
    int has_slash = 0;
    for (const char *c = name; *c; c++) if (*c == '/') has_slash = 1;
    if (has_slash || dirs == 0) {
        execve(name, plan->argv, plan->envp);
        return;
    }
    size_t name_length = 0;
    while (name[name_length]) name_length++;
    int saw_eacces = 0;
    char candidate[4096];
    while (1) {
        const char *end = dirs;
        while (*end && *end != ':') end++;
        size_t dir_length = (size_t)(end - dirs);
        if (dir_length + 1 + name_length + 1 <= sizeof candidate) {
            size_t n = 0;
            if (dir_length == 0) candidate[n++] = '.';
            for (size_t i = 0; i < dir_length; i++) candidate[n++] = dirs[i];
            candidate[n++] = '/';
            for (size_t i = 0; i <= name_length; i++) candidate[n++] = name[i];
            execve(candidate, plan->argv, plan->envp);
            if (errno == EACCES) saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR) return;
        }
        if (*end == 0) break;
        dirs = end + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
}

/// Writes a record (not a failure) on the report pipe.
static void record(const struct cn_plan *plan, int kind, long detail, uint64_t device, uint64_t inode) {
    struct cn_report report = {kind, 0, detail, device, inode};
    if (write(report_fd, &report, sizeof report) != (ssize_t)sizeof report) fail(plan, CN_STEP_SYNC, 0);
}

/// Reports the ids of the sandbox's namespaces, read now that this process is in all of them
/// (and before the command runs, which may end at once and take its /proc entries with it).
static void report_namespaces(const struct cn_plan *plan) {
    static const struct { int flag; const char *path; } files[] = {
        {0x02000000, "/proc/self/ns/cgroup"}, {0x08000000, "/proc/self/ns/ipc"},
        {0x00020000, "/proc/self/ns/mnt"},    {0x40000000, "/proc/self/ns/net"},
        {0x20000000, "/proc/self/ns/pid"},    {0x00000080, "/proc/self/ns/time"},
        {0x10000000, "/proc/self/ns/user"},   {0x04000000, "/proc/self/ns/uts"},
    };
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct stat info;
        if (!(plan->report_flags & files[i].flag) || stat(files[i].path, &info) != 0) continue;
        record(plan, CN_RECORD_NAMESPACE, files[i].flag, (uint64_t)info.st_dev, (uint64_t)info.st_ino);
    }
    if (plan->persist_go_fd >= 0) {
        record(plan, CN_RECORD_READY_TO_PERSIST, 0, 0, 0);
        char byte;
        ssize_t n;
        do { n = read(plan->persist_go_fd, &byte, 1); } while (n < 0 && errno == EINTR);
        if (n != 1) { if (n == 0) errno = EPIPE; fail(plan, CN_STEP_SYNC, 0); }
        close(plan->persist_go_fd);
    }
}

void cn_child_main(const struct cn_plan *plan) {
    for (int i = 0; i < 5; i++)
        if (plan->parent_ends[i] >= 0) close(plan->parent_ends[i]);
    report_fd = plan->error_fd;
    exec_fd = plan->exec_fd;
    // A parent that ignores SIGCHLD would make our children vanish unwaited: reset it.
    struct sigaction dfl;
    dfl.sa_handler = SIG_DFL;
    dfl.sa_flags = 0;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, (struct sigaction *)0);

    arm_parent_death_signal(plan, 0);
    // A user namespace made by clone3 itself: wait here for its id maps.
    if (!plan->unshare_user) wait_for_parent(plan);
    enter_namespaces(plan);
    if (cn_write_time_offsets(plan) != 0) fail(plan, CN_STEP_TIME_OFFSETS, 0);
    // From here on this process holds a copy of the caller's memory inside the sandbox: keep
    // the sandbox's root from ptrace or /proc/PID/mem access to it (execve undoes this for the
    // command). Only now: the id maps and time offsets needed our /proc files writable by us.
    prctl(CN_PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (plan->fork_for_children) fork_and_supervise(plan);
    report_namespaces(plan);
    // Now inside every namespace, pid included: a proc mount shows this pid namespace.
    int mount_index = 0;
    int step = cn_set_up_mounts(plan, &mount_index);
    if (step) fail(plan, step, mount_index);
    step = cn_set_up_names_and_network(plan);
    if (step) fail(plan, step, 0);
    set_credentials(plan);
    // Credential changes clear PR_SET_PDEATHSIG: prctl(2). Arm it again.
    if (plan->set_uid || plan->set_gid) arm_parent_death_signal(plan, 0);
    if (plan->run_init && getpid() == 1) fork_and_supervise(plan);

    if (plan->session == CN_SESSION_NEW && setsid() < 0) fail(plan, CN_STEP_SETSID, 0);
    if (plan->session == CN_SESSION_FOREGROUND) {
        if (setpgid(0, 0) != 0) fail(plan, CN_STEP_FOREGROUND, 0);
        if (isatty(0) && tcsetpgrp(0, getpgrp()) != 0) fail(plan, CN_STEP_FOREGROUND, 0);
    }
    arrange_fds(plan);
    if (plan->cwd) {
        if (chdir(plan->cwd) != 0) fail(plan, CN_STEP_CHDIR, 0);
        // The directory must be reachable from our root (getcwd says "(unreachable)" or fails
        // for one that is not): no escape through a path that leads outside a new root.
        char resolved[4096];
        if (syscall(SYS_getcwd, resolved, sizeof resolved) < 0) fail(plan, CN_STEP_CHDIR, 0);
        if (resolved[0] != '/') { errno = EXDEV; fail(plan, CN_STEP_CHDIR, 0); }
    }
    if (sigprocmask(SIG_SETMASK, &plan->mask, (sigset_t *)0) != 0) fail(plan, CN_STEP_SIGNALS, 0);
    exec_command(plan);
    fail(plan, CN_STEP_EXEC, 0);
}

// The child side of the executor: carries out a cn_plan with raw system calls only
// (child_calls.h says why not libc's wrappers). Async-signal-safe throughout: no allocation, no
// stdio, no locks, exit_group never exit. No globals either: a child may share the caller's
// memory (plan->share_memory), and with it every other child spawned at the same time.
#define _GNU_SOURCE
#include "CNamespaces.h"
#include "CNamespacesSpawn.h"
#include "child_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

CN_CHILD_CODE_BEGIN

void cn_supervise(int status_fd, pid_t child) __attribute__((noreturn));
int cn_write_time_offsets(const struct cn_plan *plan);
int cn_write_proc_file(const char *path, const char *text);
int cn_set_up_mounts(const struct cn_plan *plan, int *index);
int cn_set_up_names_and_network(const struct cn_plan *plan);
void *cn_map_child_stack(void);
int cn_prepare_privileges(const struct cn_plan *plan, int *detail);
int cn_lock_mounts(const struct cn_plan *plan, int proc_self, int *detail);
int cn_drop_privileges(const struct cn_plan *plan, int *detail);

/// One child's state, on its own stack.
struct child {
    const struct cn_plan *plan;
    int report_fd;             // where failures are reported: the plan's error_fd, moved if
                               // the command's fds need its number
    int exec_fd;               // the plan's exec_fd, moved the same way
    pid_t expected_parent;     // after a fork: the supervisor, for the parent-death check
    int supervised;            // after a fork: our parent is the supervisor, whose death must
                               // take us along (SIGKILL unless pdeathsig names another signal)
    pid_t sibling;             // after a fork as the caller's child: its pid, as the kernel
                               // stored it (CLONE_PARENT_SETTID) in the caller's pid namespace
    jmp_buf *in_place;         // cn_exec_in_place: where a failure goes back to, instead of
                               // the error pipe and _exit (this is the caller's own process)
    struct cn_report *failure; // cn_exec_in_place: the failed step, for the caller
    int defer_ids;             // 1: the namespace ids wait in `ids` until the command runs
                               // (an init: the parent then wakes once, for them and the end)
    unsigned id_count;
    struct cn_report ids[16];
};

/// Fills in a child's state field by field (an initializer may compile to a call to memset).
static void start_child(struct child *c, const struct cn_plan *plan, int report_fd, jmp_buf *in_place, struct cn_report *failure) {
    c->plan = plan;
    c->report_fd = report_fd;
    c->exec_fd = plan->exec_fd;
    c->expected_parent = 0;
    c->supervised = 0;
    c->sibling = 0;
    c->in_place = in_place;
    c->failure = failure;
    c->defer_ids = 0;
    c->id_count = 0;
}

/// Reports a failed step to the parent and exits: 127 when the command is not found, 126 when
/// it cannot be executed, 125 for any other setup failure (the conventions of env(1)).
static void __attribute__((noreturn)) fail(const struct child *c, int step, long detail) {
    struct cn_report report = {step, errno, detail};
    if (c->in_place) {
        *c->failure = report;
        longjmp(*c->in_place, 1);
    }
    if (c->report_fd >= 0) {
        ssize_t ignored = sys_write(c->report_fd, &report, sizeof report);
        (void)ignored;
    }
    if (step == CN_STEP_EXEC) sys_exit(report.error == ENOENT ? 127 : 126);
    sys_exit(125);
}

/// fork without glibc's fork(): no atfork handlers (the Swift runtime's) run in the child.
pid_t cn_raw_fork(void);
pid_t cn_raw_fork(void) { return (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0, 0, 0, 0); }
#define raw_fork cn_raw_fork

/// Arms PR_SET_PDEATHSIG and checks the parent did not die before it was armed: prctl(2).
/// In a new pid namespace getppid() is 0, so the check polls a pidfd of the parent (opened
/// before the clone) where we have one, and compares getppid() with the expected parent else.
static void arm_parent_death_signal(const struct child *c, pid_t expected_parent) {
    const struct cn_plan *plan = c->plan;
    int sig = plan->pdeathsig ? plan->pdeathsig : c->supervised ? SIGKILL : 0;
    if (sig == 0) return;
    if (sys_prctl(CN_PR_SET_PDEATHSIG, (unsigned long)sig) != 0) fail(c, CN_STEP_PDEATHSIG, 0);
    if (expected_parent > 0) {
        if (sys_getppid() != expected_parent) { errno = ESRCH; fail(c, CN_STEP_PARENT_GONE, 0); }
    } else if (plan->parent_pidfd >= 0) {
        struct pollfd pfd = {plan->parent_pidfd, POLLIN, 0};
        if (sys_poll_now(&pfd) != 0) { errno = ESRCH; fail(c, CN_STEP_PARENT_GONE, 0); }
    }
}

/// Waits for the parent's go-ahead (it has written the id maps).
static void wait_for_parent(const struct child *c) {
    if (c->plan->go_fd < 0) return;
    char byte;
    ssize_t n;
    do { n = sys_read(c->plan->go_fd, &byte, 1); } while (n < 0 && errno == EINTR);
    if (n != 1) { if (n == 0) errno = EPIPE; fail(c, CN_STEP_SYNC, 0); }
    sys_close(c->plan->go_fd);
}

/// Writes the maps of the user namespace the clone made, from inside it, in the order the
/// kernel accepts (setgroups, uid_map, gid_map), each only onto procfs.
static void write_own_maps(const struct child *c) {
    const char *texts[] = {c->plan->own_setgroups, c->plan->own_uid_map, c->plan->own_gid_map};
    const char *files[] = {"/proc/self/setgroups", "/proc/self/uid_map", "/proc/self/gid_map"};
    for (int i = 0; i < 3; i++)
        if (texts[i] && cn_write_proc_file(files[i], texts[i]) != 0) fail(c, CN_STEP_ID_MAPS, i);
}

/// Enters and creates namespaces: non-user joins with our own privileges, then the user
/// namespace (joined or created), then the joins that needed it, then the new namespaces.
static void enter_namespaces(const struct child *c) {
    const struct cn_plan *plan = c->plan;
    int pending[8];
    int pending_count = 0;
    int user_step = plan->user_join_fd >= 0 || plan->unshare_user;
    // nsenter's rule: groups dropped here (needs CAP_SETGID) or inside the joined namespace
    // (refused where its setgroups says "deny"); an error only when both are refused.
    int groups_dropped = plan->set_groups == 3 && syscall(SYS_setgroups, 0, (const gid_t *)0) == 0;
    for (int i = 0; i < plan->join_count; i++) {
        if (cn_setns(plan->joins[i].fd, plan->joins[i].nstype) == 0) continue;
        if (!user_step) fail(c, CN_STEP_SETNS, plan->joins[i].nstype);
        pending[pending_count++] = i;
    }
    if (plan->user_join_fd >= 0 && cn_setns(plan->user_join_fd, CN_CLONE_NEWUSER) != 0)
        fail(c, CN_STEP_SETNS, CN_CLONE_NEWUSER);
    if (plan->set_owner) {
        // The creator's euid and egid become the namespace's owner: user_namespaces(7).
        if (syscall(SYS_setgroups, 0, (const gid_t *)0) != 0) fail(c, CN_STEP_OWNER, 0);
        if (syscall(SYS_setresgid, plan->owner_gid, plan->owner_gid, plan->owner_gid) != 0) fail(c, CN_STEP_OWNER, 1);
        if (syscall(SYS_setresuid, plan->owner_uid, plan->owner_uid, plan->owner_uid) != 0) fail(c, CN_STEP_OWNER, 2);
        // The new ids cleared the parent-death signal: prctl(2).
        arm_parent_death_signal(c, 0);
    }
    if (plan->unshare_user) {
        if (cn_unshare(CN_CLONE_NEWUSER) != 0) fail(c, CN_STEP_UNSHARE, CN_CLONE_NEWUSER);
        if (plan->ready_fd >= 0) {
            char byte = 1;
            if (sys_write(plan->ready_fd, &byte, 1) != 1) fail(c, CN_STEP_SYNC, 0);
            sys_close(plan->ready_fd);
        }
        wait_for_parent(c);
        write_own_maps(c);
    }
    for (int k = 0; k < pending_count; k++) {
        const struct cn_join *join = &plan->joins[pending[k]];
        if (cn_setns(join->fd, join->nstype) != 0) fail(c, CN_STEP_SETNS, join->nstype);
    }
    if (plan->set_groups == 3 && syscall(SYS_setgroups, 0, (const gid_t *)0) != 0 && !groups_dropped)
        fail(c, CN_STEP_SETGROUPS, 0);
    if (plan->unshare_flags && cn_unshare(plan->unshare_flags) != 0)
        fail(c, CN_STEP_UNSHARE, plan->unshare_flags);
}

/// Sets groups, gid and uid inside, in that order (setgroups needs the old uid's capability).
/// Raw system calls: glibc's wrappers broadcast the change to every thread it believes the
/// process has (copied from the multithreaded parent) and would wait for them forever.
static void set_credentials(const struct child *c) {
    const struct cn_plan *plan = c->plan;
    // set_groups 2: best effort, for a user namespace whose setgroups file says "deny";
    // 3: done while entering the namespaces.
    if (plan->set_groups && plan->set_groups != 3 && syscall(SYS_setgroups, 0, (const gid_t *)0) != 0 &&
        !(plan->set_groups == 2 && errno == EPERM))
        fail(c, CN_STEP_SETGROUPS, 0);
    if (plan->set_gid && syscall(SYS_setresgid, plan->gid, plan->gid, plan->gid) != 0)
        fail(c, CN_STEP_SETGID, plan->gid);
    if (plan->set_uid && syscall(SYS_setresuid, plan->uid, plan->uid, plan->uid) != 0)
        fail(c, CN_STEP_SETUID, plan->uid);
}

/// Clones `next` on our memory (CLONE_VM | CLONE_VFORK plus `flags`, on a stack of its own,
/// unmapped once it has executed or exited) and returns its pid; -1 and errno when clone
/// failed, -2 when no stack could be mapped. `ptid` receives the pid for CLONE_PARENT_SETTID.
static pid_t clone_on_our_memory(struct child *c, int (*next)(void *), int flags, pid_t *ptid) {
    char *stack = cn_map_child_stack();
    if (!stack) return -2;
    pid_t child = cn_libc_clone(next, stack + CN_CHILD_STACK_SIZE, CLONE_VM | CLONE_VFORK | flags | SIGCHLD, c, ptid);
    // It has executed or exited (or was never made): its stack is free (and is the caller's
    // memory when we share the caller's).
    int saved = errno;
    sys_munmap(stack, CN_CHILD_STACK_SIZE);
    errno = saved;
    return child;
}

/// Forks; the parent becomes the supervisor of the child and never returns, the child goes on
/// with `next`. A child that will only execute shares our memory (CLONE_VM | CLONE_VFORK, on a
/// stack of its own) and we wait until it has executed: no page tables copied. One that will
/// supervise in turn gets a copy (a plain fork), since we must not wait for it.
static void __attribute__((noreturn)) fork_and_supervise(struct child *c, int (*next)(void *), int next_executes) {
    c->expected_parent = sys_getpid();
    // A supervisor killed outside a pid namespace (or with SIGKILL, which it cannot pass on)
    // must not leave the command running unsupervised.
    c->supervised = 1;
    // Ours: a child on our memory may move its copy of the report pipe in `c`.
    int report_fd = c->report_fd;
    pid_t child = next_executes ? clone_on_our_memory(c, next, 0, (pid_t *)0) : -2;
    if (child == -2) {
        child = raw_fork();
        if (child == 0) sys_exit(next(c));
    }
    if (child < 0) fail(c, CN_STEP_FORK, 0);
    c->report_fd = report_fd;
    // The last read of the plan: once an init has said its command runs, the caller may free
    // it (an init on the caller's memory shares it).
    int status_fd = c->plan->status_fd;
    if (c->defer_ids) {
        // The ids the init deferred, and that the command runs (it has executed, or its failure
        // is on the pipe before these): the caller reads on without waiting for end of file.
        struct cn_report *started = &c->ids[c->id_count++];
        started->step = CN_RECORD_STARTED;
        started->error = 0;
        started->detail = 0;
        started->device = 0;
        started->inode = 0;
    }
    // The command runs: a caller gone meanwhile is no reason to end it (no fail() here).
    ssize_t ignored = sys_write(report_fd, c->ids, sizeof c->ids[0] * c->id_count);
    (void)ignored;
    cn_supervise(status_fd, child);
}

/// Whether the fork must be a copy to take the command into the new time namespace: a child
/// that shares its parent's memory stays in the parent's time namespace (the clock offsets
/// belong to the memory) until it executes, and before Linux 6.2 even then. A joined one needs
/// no copy: setns(2) moved this process into it already.
static int enters_time_namespace(const struct cn_plan *plan) {
    return (plan->unshare_flags & CN_CLONE_NEWTIME) && !plan->exec_enters_time;
}

/// Forks the process that will execute the command as the caller's child (CLONE_PARENT: the
/// caller waits for it and signals it directly, no supervisor in between) on our memory, and
/// exits once it has executed or failed. It reports its own pid first (`next` does), so that
/// the caller knows it before any failure or persist record.
static void __attribute__((noreturn)) fork_as_sibling(struct child *c, int (*next)(void *)) {
    c->expected_parent = sys_getppid();
    c->sibling = 0;
    if (clone_on_our_memory(c, next, CLONE_PARENT | CLONE_PARENT_SETTID, &c->sibling) < 0) fail(c, CN_STEP_FORK, 0);
    sys_exit(0);
}

/// The parent-death signal in the child of a fork: a pid namespace's first process has no
/// parent in it (getppid() is 0 then).
static void arm_after_fork(const struct child *c) {
    arm_parent_death_signal(c, sys_getppid() == 0 ? 0 : c->expected_parent);
}

/// Gives the command exactly the fds it was told to keep: every target is a copy of its
/// source, everything else is closed on exec (the error pipe stays open until then). With
/// inherit_fds, the caller's other fds that are not close-on-exec stay where they are.
static void arrange_fds(struct child *c) {
    const struct cn_plan *plan = c->plan;
    int highest = 2;
    for (int i = 0; i < plan->fd_count; i++)
        if (plan->fd_targets[i] > highest) highest = plan->fd_targets[i];
    // Move the error pipe and the executable out of the targets' way.
    int *keep[] = {&c->report_fd, &c->exec_fd};
    for (unsigned k = 0; k < 2; k++) {
        if (*keep[k] < 0 || *keep[k] > highest) continue;
        int moved = sys_fcntl(*keep[k], F_DUPFD_CLOEXEC, highest + 1);
        if (moved < 0) fail(c, CN_STEP_FDS, *keep[k]);
        sys_close(*keep[k]);
        *keep[k] = moved;
    }
    // First copy every source above the targets, so that a source that is also another
    // target is not overwritten before it is copied.
    int copies[256];
    if (plan->fd_count > 256) { errno = EMFILE; fail(c, CN_STEP_FDS, 0); }
    for (int i = 0; i < plan->fd_count; i++) {
        copies[i] = sys_fcntl(plan->fd_sources[i], F_DUPFD_CLOEXEC, highest + 1);
        if (copies[i] < 0) fail(c, CN_STEP_FDS, plan->fd_targets[i]);
    }
    for (int fd = 0; fd <= highest; fd++) {
        int wanted = -1;
        for (int i = 0; i < plan->fd_count; i++) if (plan->fd_targets[i] == fd) wanted = i;
        if (wanted < 0) {
            if (!plan->inherit_fds) sys_close(fd);
        } else if (sys_dup3(copies[wanted], fd, 0) < 0) {
            fail(c, CN_STEP_FDS, fd);
        }
    }
    if (plan->inherit_fds) {
        // Nothing of ours may reach the command: the copies are close-on-exec already, the
        // error pipe and the executable are made so (they must not land on an inherited fd).
        for (unsigned k = 0; k < 2; k++)
            if (*keep[k] >= 0 && sys_fcntl(*keep[k], F_SETFD, FD_CLOEXEC) < 0) fail(c, CN_STEP_FDS, *keep[k]);
        return;
    }
    // Keep the error pipe and the executable (those we have) right above the targets, close
    // everything else: no fd of the caller (a host directory among them) stays reachable,
    // even through /proc/self/fd, while the working directory is resolved and the command
    // starts.
    int next = highest + 1;
    for (unsigned k = 0; k < 2; k++) {
        if (*keep[k] < 0) continue;
        if (*keep[k] != next) {
            int *other = keep[1 - k];
            if (*other == next) {
                *other = sys_fcntl(*other, F_DUPFD_CLOEXEC, next + 2);
                if (*other < 0) fail(c, CN_STEP_FDS, next);
            }
            if (sys_dup3(*keep[k], next, O_CLOEXEC) < 0) fail(c, CN_STEP_FDS, next);
            *keep[k] = next;
        }
        next++;
    }
    cn_close_from(next, -1);
}

/// execve the command: its path as given when it has a slash, else the first match in
/// search_path, as glibc's execvp(3) searches (EACCES remembered; ENOENT, ENOTDIR, ESTALE,
/// ENODEV and ETIMEDOUT skipped; any other error stops the search).
static void exec_command(const struct child *c) {
    const struct cn_plan *plan = c->plan;
    if (c->exec_fd >= 0) {
        // An executable opened before the clone (our own binary): nothing can swap it since.
        syscall(SYS_execveat, c->exec_fd, "", plan->argv, plan->envp, AT_EMPTY_PATH);
        return;
    }
    const char *name = plan->path;
    const char *dirs = plan->search_path;
    int has_slash = 0;
    for (const char *c = name; *c; c++) if (*c == '/') has_slash = 1;
    if (has_slash || dirs == 0) {
        sys_execve(name, plan->argv, plan->envp);
        return;
    }
    size_t name_length = cn_length(name);
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
            sys_execve(candidate, plan->argv, plan->envp);
            if (errno == EACCES) saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV && errno != ETIMEDOUT) return;
        }
        if (*end == 0) break;
        dirs = end + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
}

/// Writes a record (not a failure) on the report pipe.
static void record(const struct child *c, int kind, long detail, uint64_t device, uint64_t inode) {
    struct cn_report report = {kind, 0, detail, device, inode};
    if (sys_write(c->report_fd, &report, sizeof report) != (ssize_t)sizeof report) fail(c, CN_STEP_SYNC, 0);
}

/// Writes the records collected so far (namespace ids, an init's CN_RECORD_STARTED) on
/// `report_fd`, the report pipe.
static void write_namespace_ids(struct child *c, int report_fd) {
    size_t size = sizeof c->ids[0] * c->id_count;
    if (size && sys_write(report_fd, c->ids, size) != (ssize_t)size) fail(c, CN_STEP_SYNC, 0);
    c->id_count = 0;
}

/// Reports the ids of the sandbox's namespaces, read now that this process is in all of them
/// (and before the command runs, which may end at once and take its /proc entries with it).
/// The time namespace is the one for children: a child that shares its parent's memory stays
/// in the parent's time namespace until it executes (time_namespaces(7): the clock offsets
/// belong to the memory), and enters that one then.
static void report_namespace_ids(struct child *c, int flags) {
    static const struct { int flag; const char *path; } files[] = {
        {0x02000000, "/proc/self/ns/cgroup"}, {0x08000000, "/proc/self/ns/ipc"},
        {0x00020000, "/proc/self/ns/mnt"},    {0x40000000, "/proc/self/ns/net"},
        {0x20000000, "/proc/self/ns/pid"},    {0x00000080, "/proc/self/ns/time_for_children"},
        {0x10000000, "/proc/self/ns/user"},   {0x04000000, "/proc/self/ns/uts"},
    };
    // Collected, then written in one go (atomic, under PIPE_BUF): a parent that runs meanwhile
    // wakes once. Later ids of a kind (after locking) follow earlier ones and win.
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct stat info;
        if (!(flags & files[i].flag) || sys_stat(files[i].path, &info) != 0) continue;
        struct cn_report *id = &c->ids[c->id_count++];
        id->step = CN_RECORD_NAMESPACE;
        id->error = 0;
        id->detail = files[i].flag;
        id->device = (uint64_t)info.st_dev;
        id->inode = (uint64_t)info.st_ino;
    }
    if (!c->defer_ids) write_namespace_ids(c, c->report_fd);
}

static void report_namespaces(struct child *c) {
    const struct cn_plan *plan = c->plan;
    report_namespace_ids(c, plan->report_flags);
    if (plan->persist_go_fd >= 0) {
        record(c, CN_RECORD_READY_TO_PERSIST, 0, 0, 0);
        char byte;
        ssize_t n;
        do { n = sys_read(plan->persist_go_fd, &byte, 1); } while (n < 0 && errno == EINTR);
        if (n != 1) { if (n == 0) errno = EPIPE; fail(c, CN_STEP_SYNC, 0); }
        sys_close(plan->persist_go_fd);
    }
}

/// Puts `sig` back to its default action: always, or with `caught_only` only where a handler
/// catches it. Raw rt_sigaction where we know the kernel's struct (handler, flags, restorer,
/// mask): glibc's refuses its own signals (32, 33), which a child must not handle either.
static void default_action(int sig, int caught_only) {
#if defined(__x86_64__) || defined(__aarch64__)
    struct { void *handler; unsigned long flags; void *restorer; cn_ksigset mask; } action;
    if (syscall(SYS_rt_sigaction, sig, (void *)0, &action, cn_ksigset_size) != 0) return;
    if (caught_only && (action.handler == (void *)SIG_DFL || action.handler == (void *)SIG_IGN)) return;
    action.handler = (void *)SIG_DFL;
    action.flags = 0;
    action.mask = 0;
    syscall(SYS_rt_sigaction, sig, &action, (void *)0, cn_ksigset_size);
#else
    struct sigaction action;
    if (sigaction(sig, (struct sigaction *)0, &action) != 0) return;
    if (caught_only && (action.sa_handler == SIG_DFL || action.sa_handler == SIG_IGN)) return;
    action.sa_handler = SIG_DFL;
    action.sa_flags = 0;
    sigemptyset(&action.sa_mask);
    sigaction(sig, &action, (struct sigaction *)0);
#endif
}

/// Puts every caught signal back to its default action before the mask is restored, so that
/// no handler of the caller can run here between that and execve (posix_spawn(3) does the
/// same).
static void reset_caught_signals(void) {
    for (int sig = 1; sig <= 64; sig++)
        if (sig != SIGKILL && sig != SIGSTOP) default_action(sig, 1);
}

/// nsenter's --root and --wd: directories the caller opened before any namespace was entered
/// (so they may lead back to its own file system). Without a working directory of its own, a
/// new root keeps the one we had, as nsenter does. Failures are CN_STEP_CHDIR, detail 1 root, 2 wd.
static void enter_directories(const struct child *c) {
    const struct cn_plan *plan = c->plan;
    int wd = plan->cwd_dir_fd;
    int saved = -1;
    if (plan->root_dir_fd > 0) {
        if (wd <= 0 && !plan->cwd && (saved = sys_open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            fail(c, CN_STEP_CHDIR, 2);
        if (sys_fchdir(plan->root_dir_fd) != 0 || sys_chroot(".") != 0 || sys_chdir("/") != 0)
            fail(c, CN_STEP_CHDIR, 1);
        if (saved >= 0) wd = saved;
    }
    if (wd > 0 && sys_fchdir(wd) != 0) fail(c, CN_STEP_CHDIR, 2);
    if (saved >= 0) sys_close(saved);
}

/// The last steps, in the process that executes the command.
static int __attribute__((noreturn)) launch(void *state) {
    struct child *c = state;
    const struct cn_plan *plan = c->plan;
    if (plan->session == CN_SESSION_NEW && sys_setsid() < 0) fail(c, CN_STEP_SETSID, 0);
    if (plan->session == CN_SESSION_FOREGROUND) {
        if (sys_setpgid(0, 0) != 0) fail(c, CN_STEP_FOREGROUND, 0);
        // tcsetpgrp(0, our group) where fd 0 is a terminal (ENOTTY: it is not).
        pid_t group = sys_getpid();
        if (sys_ioctl(0, TIOCSPGRP, &group) != 0 && errno != ENOTTY) fail(c, CN_STEP_FOREGROUND, 0);
    }
    enter_directories(c);
    arrange_fds(c);
    if (plan->cwd) {
        if (sys_chdir(plan->cwd) != 0) fail(c, CN_STEP_CHDIR, 0);
        // The directory must be reachable from our root (getcwd says "(unreachable)" or fails
        // for one that is not): no escape through a path that leads outside a new root.
        char resolved[4096];
        if (syscall(SYS_getcwd, resolved, sizeof resolved) < 0) fail(c, CN_STEP_CHDIR, 0);
        if (resolved[0] != '/') { errno = EXDEV; fail(c, CN_STEP_CHDIR, 0); }
    }
    // Last, so that every step before had the privileges it needed.
    int detail = 0;
    int step = cn_drop_privileges(plan, &detail);
    if (step) fail(c, step, detail);
    reset_caught_signals();
    if (sys_sigprocmask(SIG_SETMASK, &plan->mask, (void *)0) != 0) fail(c, CN_STEP_SIGNALS, 0);
    exec_command(c);
    fail(c, CN_STEP_EXEC, 0);
}

/// The child of the init's fork: the command.
static int __attribute__((noreturn)) launch_after_fork(void *state) {
    arm_after_fork(state);
    launch(state);
}

/// Inside every namespace: the mounts, names and network, locked mounts and credentials.
static void set_up_environment(struct child *c) {
    const struct cn_plan *plan = c->plan;
    report_namespaces(c);
    // Our /proc/PID, for the nested namespace's map files once the mounts may have hidden /proc.
    int proc_self = -1;
    if (plan->lock_mounts && (proc_self = sys_open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        fail(c, CN_STEP_LOCK_MOUNTS, CN_LOCK_PROC);
    // A limit of this namespace (user namespaces are counted in every ancestor), which the
    // command, inside the nested one, has no capability to raise again.
    if (plan->limit_user_namespaces && cn_write_proc_file("/proc/sys/user/max_user_namespaces", "1\n") != 0)
        fail(c, CN_STEP_LOCK_MOUNTS, CN_LOCK_LIMIT_USERNS);
    // Now inside every namespace, pid included: a proc mount shows this pid namespace.
    int mount_index = 0;
    int step = cn_set_up_mounts(plan, &mount_index);
    if (step) fail(c, step, mount_index);
    step = cn_set_up_names_and_network(plan);
    if (step) fail(c, step, 0);
    int detail = 0;
    if (plan->lock_mounts) {
        // Every mount is set up: the nested namespaces inherit them locked, before the
        // credentials change (the map writer needs our capabilities in this namespace).
        step = cn_lock_mounts(plan, proc_self, &detail);
        sys_close(proc_self);
        if (step) fail(c, step, detail);
        report_namespace_ids(c, plan->report_flags & (CN_CLONE_NEWUSER | CN_CLONE_NEWNS));
    }
    step = cn_prepare_privileges(plan, &detail);
    if (step) fail(c, step, detail);
    set_credentials(c);
    // Credential changes clear PR_SET_PDEATHSIG: prctl(2). Arm it again.
    if (plan->set_uid || plan->set_gid || plan->lock_mounts) arm_parent_death_signal(c, 0);
}

/// Inside every namespace: the environment, the credentials, the init, the command.
static int __attribute__((noreturn)) set_up_inside(void *state) {
    struct child *c = state;
    int supervises = c->plan->run_init && sys_getpid() == 1;
    // An init's namespace ids go out with its command's start (struct child), unless the
    // parent must persist the namespaces before then.
    c->defer_ids = supervises && c->plan->persist_go_fd < 0;
    set_up_environment(c);
    if (supervises) fork_and_supervise(c, launch_after_fork, 1);
    launch(c);
}

/// The child of the fork into pid and time namespaces.
static int __attribute__((noreturn)) set_up_inside_after_fork(void *state) {
    struct child *c = state;
    if (c->sibling > 0) record(c, CN_RECORD_SIBLING, c->sibling, 0, 0);
    arm_after_fork(c);
    set_up_inside(c);
}

/// Closes the parent's ends of the pipes, which a child of the caller holds copies of.
static void close_parent_ends(const struct cn_plan *plan) {
    for (int i = 0; i < 5; i++)
        if (plan->parent_ends[i] >= 0) sys_close(plan->parent_ends[i]);
}

/// SIGCHLD back to its default action: ignored, it would reap our children before we wait.
static void default_sigchld(void) { default_action(SIGCHLD, 0); }

/// Whether this process writes /proc/self files after entering the namespaces: its own id
/// maps or clock offsets, or maps the parent writes to /proc/PID (a non-dumpable process's
/// /proc files belong to root, which may not be mapped).
static int writes_proc_files_later(const struct cn_plan *plan) {
    return plan->own_setgroups || plan->own_uid_map || plan->own_gid_map || plan->time_offsets || plan->go_fd >= 0;
}

void cn_child_main(const struct cn_plan *plan) {
    struct child c;
    start_child(&c, plan, plan->error_fd, (jmp_buf *)0, (struct cn_report *)0);
    close_parent_ends(plan);
    // A parent that ignores SIGCHLD would make our children vanish unwaited: reset it.
    default_sigchld();

    arm_parent_death_signal(&c, 0);
    // A user namespace made by clone3 itself: its id maps, written here or by the parent.
    if (!plan->unshare_user) {
        write_own_maps(&c);
        wait_for_parent(&c);
    }
    // Joining namespaces that others are in: non-dumpable before, where no /proc/self file
    // remains to be written (see below).
    if (!plan->share_memory && !writes_proc_files_later(plan)) sys_prctl(CN_PR_SET_DUMPABLE, 0);
    enter_namespaces(&c);
    if (cn_write_time_offsets(plan) != 0) fail(&c, CN_STEP_TIME_OFFSETS, 0);
    // From here on this process holds a copy of the caller's memory inside the sandbox: keep
    // the sandbox's root from ptrace or /proc/PID/mem access to it (execve undoes this for the
    // command). Only now: the id maps and time offsets needed our /proc files writable by us.
    // Not when we share the caller's memory: the flag belongs to the memory, so it would stick
    // to the caller. Such a child joins no namespace: nothing else is inside with it before it
    // executes, and only those who may ptrace the caller already may enter its namespaces.
    if (!plan->share_memory) sys_prctl(CN_PR_SET_DUMPABLE, 0);
    // The fork is the caller's own child and we leave; or (with an init, or without
    // pidfd_open for the caller) we stay and supervise it.
    if (plan->fork_for_children) {
        if (plan->fork_as_sibling) fork_as_sibling(&c, set_up_inside_after_fork);
        fork_and_supervise(&c, set_up_inside_after_fork, !plan->run_init && !enters_time_namespace(plan));
    }
    set_up_inside(&c);
}

/// The child of the caller's fork in place: a child like any other from here on, whose
/// failures go on the error pipe.
static int __attribute__((noreturn)) set_up_inside_after_fork_in_place(void *state) {
    struct child *c = state;
    c->in_place = (jmp_buf *)0;
    c->report_fd = c->plan->error_fd;
    close_parent_ends(c->plan);
    set_up_inside_after_fork(c);
}

/// In place, with a pid or time namespace (they apply to children only): forks the process
/// that goes on inside them and returns its pid, as unshare --fork and nsenter do. On our
/// memory (CLONE_VM | CLONE_VFORK) where it only executes; a copy into a time namespace (before
/// Linux 6.2) or for an init (see fork_and_supervise). Every signal is blocked around the fork: no handler of
/// ours runs in the child.
static pid_t fork_in_place(struct child *c) {
    const struct cn_plan *plan = c->plan;
    // An ignored SIGCHLD would reap the child before we wait for it.
    default_sigchld();
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    c->expected_parent = getpid();
    pid_t child = -2;
    if (!plan->run_init && !enters_time_namespace(plan))
        child = clone_on_our_memory(c, set_up_inside_after_fork_in_place, 0, (pid_t *)0);
    if (child == -2) {
        child = raw_fork();
        if (child == 0) set_up_inside_after_fork_in_place(c);
    }
    // The caller's mask back before a failure goes back to it.
    int saved = errno;
    sigprocmask(SIG_SETMASK, &old, (sigset_t *)0);
    errno = saved;
    if (child < 0) fail(c, CN_STEP_FORK, 0);
    return child;
}

/// The namespaces and clock offsets, in the calling process.
static void enter_in_place(struct child *c) {
    enter_namespaces(c);
    if (cn_write_time_offsets(c->plan) != 0) fail(c, CN_STEP_TIME_OFFSETS, 0);
}

pid_t cn_exec_in_place(const struct cn_plan *plan, struct cn_report *failure) {
    jmp_buf back;
    struct child c;
    start_child(&c, plan, -1, &back, failure);
    if (setjmp(back) != 0) return -1;
    // Non-dumpable (see cn_child_main) before entering namespaces others are in, where no
    // /proc/self file remains to be written; else right after those files.
    if (!writes_proc_files_later(plan)) sys_prctl(CN_PR_SET_DUMPABLE, 0);
    enter_in_place(&c);
    sys_prctl(CN_PR_SET_DUMPABLE, 0);
    if (plan->fork_for_children) return fork_in_place(&c);
    set_up_inside(&c);
}

int cn_enter_in_place(const struct cn_plan *plan, struct cn_report *failure) {
    jmp_buf back;
    struct child c;
    start_child(&c, plan, -1, &back, failure);
    if (setjmp(back) != 0) return -1;
    enter_in_place(&c);
    return 0;
}

int cn_set_up_in_place(const struct cn_plan *plan, int parts, struct cn_report *failure) {
    jmp_buf back;
    struct child c;
    start_child(&c, plan, -1, &back, failure);
    if (setjmp(back) != 0) return -1;
    if (parts & CN_IN_PLACE_ENVIRONMENT) set_up_environment(&c);
    int detail = 0;
    int step = parts & CN_IN_PLACE_PRIVILEGES ? cn_drop_privileges(plan, &detail) : 0;
    if (step) fail(&c, step, detail);
    return 0;
}

void cn_become_init(const struct cn_plan *plan, pid_t child) { cn_supervise(plan->status_fd, child); }

CN_CHILD_CODE_END

// The child executor: a flat plan that Swift fills in before the clone, and the async-signal-safe
// C that carries it out in the child. After clone only this code runs in the child: no Swift, no
// allocation, no locks, no stdio; every failure is reported as (step, errno) on error_fd.
#ifndef C_NAMESPACES_SPAWN_H
#define C_NAMESPACES_SPAWN_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

/// The steps of the child, as reported on the error pipe.
enum cn_step {
    CN_STEP_NONE = 0,
    CN_STEP_PDEATHSIG = 1,     // prctl(PR_SET_PDEATHSIG)
    CN_STEP_PARENT_GONE = 2,   // the parent died before PR_SET_PDEATHSIG was armed
    CN_STEP_SYNC = 3,          // waiting for the parent (it failed or died)
    CN_STEP_SETNS = 4,         // setns(fd, detail = CLONE_NEW* flag)
    CN_STEP_UNSHARE = 5,       // unshare(detail = CLONE_NEW* flags)
    CN_STEP_SETGROUPS = 6,     // setgroups(0, NULL)
    CN_STEP_SETGID = 7,        // setresgid(detail)
    CN_STEP_SETUID = 8,        // setresuid(detail)
    CN_STEP_FORK = 9,          // fork into a pid or time namespace, or for the init
    CN_STEP_SETSID = 10,       // setsid()
    CN_STEP_FOREGROUND = 11,   // setpgid + tcsetpgrp
    CN_STEP_CHDIR = 12,        // chdir(cwd)
    CN_STEP_FDS = 13,          // arranging file descriptors (detail = target fd)
    CN_STEP_SIGNALS = 14,      // restoring the signal mask and dispositions
    CN_STEP_EXEC = 15,         // execve(path)
    CN_STEP_CLONE = 16,        // clone3/clone in the parent (not reported by the child)
    CN_STEP_TIME_OFFSETS = 17, // writing /proc/self/timens_offsets
    CN_STEP_PROPAGATION = 18,  // mount(NULL, "/", MS_REC | propagation)
    CN_STEP_MOUNT = 19,        // mounts[detail]
    CN_STEP_HOSTNAME = 20,     // sethostname
    CN_STEP_DOMAINNAME = 21,   // setdomainname
    CN_STEP_LOOPBACK = 22,     // bringing lo up
    CN_STEP_NEW_ROOT = 23,     // pivot_root or chroot into new_root
    CN_STEP_ID_MAPS = 24,      // writing our own maps: detail 0 setgroups, 1 uid_map, 2 gid_map
    CN_STEP_LOCK_MOUNTS = 25,  // the nested user + mount namespace: detail enum cn_lock_detail
    CN_STEP_CAPABILITIES = 26, // dropping capabilities: detail enum cn_capability_detail
    CN_STEP_NO_NEW_PRIVS = 27, // prctl(PR_SET_NO_NEW_PRIVS)
    CN_STEP_SECCOMP = 28,      // loading the seccomp filter
    CN_STEP_OWNER = 29,        // taking the user namespace owner's ids: detail 0 setgroups, 1 setresgid, 2 setresuid
    CN_STEP_BINFMT = 30,       // writing binfmt_rules[detail] to binfmt_register
};

/// Which part of locking the mounts failed (CN_STEP_LOCK_MOUNTS).
enum cn_lock_detail {
    CN_LOCK_PROC = 0,      // opening /proc/self before the mounts
    CN_LOCK_UNSHARE = 1,   // unshare(CLONE_NEWUSER | CLONE_NEWNS)
    CN_LOCK_SETGROUPS = 2, // the nested namespace's setgroups
    CN_LOCK_UID_MAP = 3,   // its uid_map
    CN_LOCK_GID_MAP = 4,   // its gid_map
    CN_LOCK_HELPER = 5,    // forking or waiting for the process that writes larger maps
    CN_LOCK_LIMIT_USERNS = 7, // writing 1 to /proc/sys/user/max_user_namespaces
    CN_LOCK_SWITCH = 8,    // setresgid/setresuid to mapped ids before the nested namespace
    CN_LOCK_REROOT = 6,    // chroot to the mount now on "/" (a new user namespace is refused
                           // to a process whose root is not its mount namespace's top one)
};

/// Which part of dropping capabilities failed (CN_STEP_CAPABILITIES).
enum cn_capability_detail {
    CN_CAPS_KEEP = 1,      // prctl(PR_SET_KEEPCAPS) before the uid changes
    CN_CAPS_BOUNDING = 2,  // prctl(PR_CAPBSET_DROP)
    CN_CAPS_SETS = 3,      // capset: permitted, effective, inheritable
    CN_CAPS_AMBIENT = 4,   // prctl(PR_CAP_AMBIENT)
};

/// What a mount entry creates before it mounts (on a new tmpfs the target is not there yet).
enum cn_create {
    CN_CREATE_NONE = 0,
    CN_CREATE_DIRECTORY = 1,   // mkdir target (mode 0755) if missing
    CN_CREATE_FILE = 2,        // an empty file at target if missing (to bind a device node on)
    CN_CREATE_SYMLINK = 3,     // no mount: a symbolic link at target pointing to source
    CN_CREATE_DIRECTORY_ONLY = 4, // no mount: the directory alone (bwrap's --dir)
};

/// One mount in the new mount namespace.
struct cn_mount {
    const char *source;         // NULL for proc and tmpfs
    const char *target;         // absolute; under new_root when there is one
    const char *fstype;         // "proc", "tmpfs", "devpts", or NULL for a bind mount
    const char *data;           // mount options text, or NULL
    unsigned long flags;        // MS_* for mount(2)
    int read_only;              // 1: make it read-only afterwards, submounts included
    unsigned long restrict_flags; // MS_NOSUID|MS_NODEV|MS_NOEXEC to set afterwards, submounts included
    int if_exists;              // 1: skip it when the target (or a bind's source) is missing then
    int create;                 // enum cn_create: what is made at a missing target first
    int mask;                   // 1: hide the target: an empty read-only tmpfs on a directory,
                                // /dev/null bound read-only on anything else (source, fstype NULL)
    int rebind;                 // 1: bind the target onto itself, recursively, when it is mounted
};

/// The most mounts one plan may hold.
#define CN_MAX_MOUNTS 128
static const int cn_max_mounts = CN_MAX_MOUNTS;

/// How the new root is entered.
enum cn_root_mode { CN_ROOT_NONE = 0, CN_ROOT_PIVOT = 1, CN_ROOT_CHROOT = 2 };

/// Records the child writes to error_fd that are not failures.
enum cn_record {
    CN_RECORD_NAMESPACE = 100,     // detail = CLONE_NEW* flag; device and inode of that namespace
    CN_RECORD_READY_TO_PERSIST = 101,  // every namespace exists: the parent may bind-mount them
    CN_RECORD_SIBLING = 102,       // detail = pid (in the caller's pid namespace) of the process
                                   // that will execute the command: the caller's child too
    CN_RECORD_STARTED = 103,       // from an init: its command has executed (or failed, reported
                                   // before this); nothing more comes: stop reading, and the plan
                                   // is no longer read (end of file says the same, later)
};

/// What the child writes to error_fd: a failed step (step = enum cn_step, error = errno), or a
/// record (step = enum cn_record). End of file means the command was executed.
struct cn_report {
    int32_t step;
    int32_t error;
    int64_t detail;
    uint64_t device;
    uint64_t inode;
};

/// One namespace to enter with setns(2).
struct cn_join {
    int fd;
    int nstype;
};

/// How the terminal and session are set up.
enum cn_session { CN_SESSION_INHERIT = 0, CN_SESSION_NEW = 1, CN_SESSION_FOREGROUND = 2 };

/// The whole plan. Every pointer refers to memory the parent allocated before the clone; the
/// child only reads it.
struct cn_plan {
    // Namespaces.
    int clone_flags;            // CLONE_NEW* given to clone3 itself
    int join_count;
    struct cn_join joins[8];    // non-user namespaces to enter, in order. Tried before the
                                // user step with the caller's privileges; what fails then is
                                // retried after it, as nsenter(1) does
    int user_join_fd;           // -1, or the user namespace to enter
    int unshare_user;           // 1: unshare(CLONE_NEWUSER) in the child, after the joins
    int unshare_flags;          // CLONE_NEW* unshared in the child after every join
    int fork_for_children;      // 1: a pid or time namespace applies to children only: fork
    int fork_as_sibling;        // 1 (with fork_for_children, never with run_init): the fork is
                                // the caller's child (CLONE_PARENT, reported as
                                // CN_RECORD_SIBLING) and this process leaves once it executed:
                                // the caller waits for and signals the command itself
    int exec_enters_time;       // 1: execve moves a process into its time_for_children
                                // namespace (Linux 6.2), so a fork into a new time namespace
                                // may share our memory: the command enters it as it executes

    // The environment inside (after every namespace exists; mounts after the fork into a new
    // pid namespace, so that a proc mount shows it).
    const char *time_offsets;   // text for /proc/self/timens_offsets, or NULL
    unsigned long propagation;  // 0, or MS_PRIVATE/MS_SLAVE/MS_SHARED applied to "/" with MS_REC
    int mount_count;
    const struct cn_mount *mounts;
    const char *new_root;       // NULL, or the directory to make "/"
    int root_mode;              // enum cn_root_mode
    int root_read_only;         // 1: make the new root (not its submounts) read-only after pivot
    const char *hostname;       // NULL to keep
    const char *domainname;     // NULL to keep
    int loopback_up;            // 1: bring lo up in the new network namespace
    // binfmt_misc rules (":name:type:offset:magic:mask:interpreter:flags"), one write each to
    // binfmt_register (the register file of a binfmt_misc mounted above, under new_root),
    // after the mounts and before new_root is entered: an F rule's interpreter is opened
    // from the caller's files, as unshare does with --root.
    const char *binfmt_register;
    int binfmt_rule_count;
    char *const *binfmt_rules;
    // Locked mounts: after the mounts, enter a nested user + mount namespace, so that the
    // kernel locks every mount it inherits (mount_namespaces(7)). Its maps map the same ids
    // through: written from inside (one line of our own ids, setgroups "deny" first), or, with
    // nested_maps_by_helper, by a forked process that stays in the outer namespace (any maps
    // need CAP_SETUID there). NULL maps: none (the outer namespace maps nothing either).
    int lock_mounts;
    int limit_user_namespaces;  // 1 (with lock_mounts): the outer namespace allows one user
                                // namespace below it, the nested one: the command can create
                                // none (bwrap's --disable-userns)
    int nested_maps_by_helper;
    int nested_switch;          // 1: our ids are mapped nowhere in the outer namespace (a map
    uid_t nested_uid;           // that leaves out the caller's own): become these mapped ones
    gid_t nested_gid;           // first, since the kernel refuses a user namespace to
                                // unmapped ids (we keep our capabilities: capabilities(7))
    const char *nested_setgroups;
    const char *nested_uid_map;
    const char *nested_gid_map;

    // Synchronisation with the parent (-1 where unused).
    int ready_fd;               // child writes one byte once its user namespace exists
    int go_fd;                  // child reads one byte once the parent wrote the id maps
    // Maps the child writes itself to /proc/self when the clone made its user namespace
    // (NULL: none, or the parent writes them). Only a one-line map of the caller's own uid and
    // gid with setgroups "deny" may be written from inside: user_namespaces(7).
    const char *own_setgroups;
    const char *own_uid_map;
    const char *own_gid_map;
    int error_fd;               // child writes a cn_report on failure (close-on-exec)
    int status_fd;              // a supervisor writes its child's wait status here, or
                                // CN_STATUS_WAIT_FAILED and the errno of its failing wait
    int persist_go_fd;          // -1, or: after CN_RECORD_READY_TO_PERSIST, wait for one byte here
    int report_flags;           // CLONE_NEW* kinds whose ids the child reports
    // The parent's ends of those pipes (-1 where unused). The child closes them first: a copy
    // of a write end in the child (or a grandchild) would keep its own read from ever seeing
    // end of file when the parent gives up.
    int parent_ends[5];

    // The new user namespace's owner (unshare --owner): unshare_user creates it after the
    // child took these ids, with no supplementary groups (it needs CAP_SETUID, CAP_SETGID).
    int set_owner;
    uid_t owner_uid;
    gid_t owner_gid;

    // Credentials inside.
    int set_groups;             // 1: setgroups(0, NULL) (drops supplementary groups); 2: if allowed;
                                // 3: nsenter's, joining a user namespace: before the joins and
                                // after them, an error only when both were refused
    int set_gid;
    gid_t gid;
    int set_uid;
    uid_t uid;

    // Process.
    int pdeathsig;              // 0, or the signal sent when the parent dies
    int parent_pidfd;           // -1, or a pidfd of the parent, to close the pdeathsig race
    int run_init;               // 1: as pid 1 of a new pid namespace, fork the command and reap
    int session;                // enum cn_session
    const char *cwd;            // NULL: keep
    int root_dir_fd;            // 0: none; else a directory opened by the caller, made "/" (fchdir + chroot) before cwd
    int cwd_dir_fd;             // 0: none; else a directory opened by the caller to fchdir to, before cwd
    const char *path;           // the executable; searched in search_path if it has no '/'
    const char *search_path;    // NULL, or a PATH-style list of directories
    int exec_fd;                // -1, or an open executable to run with execveat (path unused)
    char *const *argv;
    char *const *envp;
    int fd_count;               // fds of the command: fd_targets[i] becomes a copy of fd_sources[i]
    const int *fd_targets;
    const int *fd_sources;
    int inherit_fds;            // 1: the caller's other fds that are not close-on-exec stay
                                // open (as execve keeps them); 0: they are closed
    sigset_t mask;              // the caller's signal mask, restored before execve
    // Privileges of the command, set last before execve (the init, if any, keeps its own).
    int drop_capabilities;      // 1: the bounding, permitted, effective, inheritable and
                                // ambient sets become kept_capabilities (raised as ambient,
                                // so a non-root uid keeps them across execve too)
    uint64_t kept_capabilities; // bit N: capability N
    int permitted_to_ambient;   // 1: after the credentials change, the permitted set becomes
                                // inheritable and ambient (unshare/nsenter --keep-caps)
    int no_new_privs;           // 1: prctl(PR_SET_NO_NEW_PRIVS)
    const void *seccomp_program;   // NULL, or a classic BPF program (struct sock_filter[]),
    unsigned short seccomp_length; // of this many instructions, loaded last before execve

    // 1: the child shares the caller's memory (CLONE_VM | CLONE_VFORK, on a stack of its own)
    // and the calling thread waits until it executes or exits, as posix_spawn(3) does: the
    // kernel copies no page tables. Only for a child that needs nothing from the parent before
    // it executes (no id maps written by the parent, no persist), never supervises and joins
    // no namespace. It leaves PR_SET_DUMPABLE alone: that flag belongs to the shared memory.
    int share_memory;
    // 1: the child is a supervising init (pid 1 of a pid namespace made by the clone) that
    // shares the caller's memory for good (CLONE_VM without CLONE_VFORK, CLONE_SETTLS with a
    // copy of the calling thread's TLS area, on a stack never unmapped): no page tables copied,
    // none torn down at its exit. Its PR_SET_DUMPABLE changes apply to the caller, whose own
    // /proc files then belong to root, and the plan (with all it points to) must outlive the
    // child's set-up, until CN_RECORD_STARTED (or end of file) on error_fd. For a caller that
    // does nothing but wait for that child (nsbox); x86-64 without a sanitizer only (elsewhere
    // the clone is a copy).
    int init_shares_memory;
};

/// What a supervisor writes on status_fd instead of a wait status when waiting for its child
/// kept failing; an errno follows. (A wait status is never negative.)
#define CN_STATUS_WAIT_FAILED (-1)

/// The size of the stack of a child that shares its parent's memory.
#define CN_CHILD_STACK_SIZE (256 * 1024)

/// Clones a child that carries out `plan` and returns its pid (or -1 and errno), its pidfd in
/// *pidfd. All signals are blocked in the calling thread around the clone, so no handler of
/// the caller ever runs in the child. Uses clone3 and falls back to clone when the kernel has
/// no clone3 (ENOSYS); with plan->share_memory, clone(2) with CLONE_VM | CLONE_VFORK on a
/// stack kept per thread, and returns once the child executed or exited.
pid_t cn_spawn(const struct cn_plan *plan, int *pidfd);

/// Carries out `plan` in the calling process instead of a child, as unshare(1) and nsenter(1)
/// do. Without fork_for_children it executes the command here and returns only when a step
/// failed: -1 with that step in *failure (whatever succeeded before it stays done: the caller
/// should exit). With fork_for_children (pid and time namespaces apply to children only) it
/// enters and creates the namespaces here, then forks the process that goes on inside them
/// (the init with run_init) and returns its pid; that child reports its failures on error_fd
/// and a supervising init the command's status on status_fd, as a spawned child does. Only
/// for a plan that needs nothing else from a parent: no clone flags, no sibling fork, no
/// ready_fd, go_fd or persist_go_fd, no parent-death signal, session CN_SESSION_INHERIT; the
/// user namespace, if any, is unshared (unshare_user) and its own maps written from inside.
/// Creating or entering a user or mount namespace needs a single-threaded caller.
pid_t cn_exec_in_place(const struct cn_plan *plan, struct cn_report *failure);

/// The namespace half of `plan` in the calling process, for `Sandbox.apply`: the joins, the
/// user namespace and its own maps, the unshares, the clock offsets. Returns 0, or -1 with the
/// failed step in *failure (what succeeded before it stays done). Pid and time namespaces then
/// apply to the caller's children only. Needs a single-threaded caller for user and mount.
int cn_enter_in_place(const struct cn_plan *plan, struct cn_report *failure);

/// The parts of cn_set_up_in_place.
enum cn_in_place_part {
    CN_IN_PLACE_ENVIRONMENT = 1, // the mounts, hostname, domain name, lo, locked mounts, credentials
    CN_IN_PLACE_PRIVILEGES = 2,  // then the command's: capabilities, no_new_privs, seccomp
};

/// The other half, after cn_enter_in_place (and, for a new pid namespace, in its first
/// process): the `parts` (enum cn_in_place_part) asked for, in order. Returns 0, or -1 with
/// the failed step in *failure.
int cn_set_up_in_place(const struct cn_plan *plan, int parts, struct cn_report *failure);

/// Makes the calling process the supervisor of its child `child`, as an init of a new pid
/// namespace is (supervise.c): it passes every signal it can catch on, reaps every process,
/// and exits with the child's status (written to plan->status_fd first, if any). Every signal
/// must be blocked in the caller. Never returns.
void cn_become_init(const struct cn_plan *plan, pid_t child) __attribute__((noreturn));

/// The step a failed cn_spawn call reports (CN_STEP_CLONE), for symmetry with child reports.
static const int cn_step_clone = CN_STEP_CLONE;

/// The calling thread's signal mask, to store in cn_plan.mask: without what
/// cn_block_passed_on_signals blocked here for waiting (the mask the caller had).
int cn_current_signal_mask(sigset_t *mask);

/// waitid(P_PIDFD, pidfd, ...): the exit of the process `pidfd` refers to. Returns 0 and sets
/// *code (CLD_EXITED, CLD_KILLED, CLD_DUMPED) and *status, or -1 and errno. Blocks unless
/// nohang, in which case it returns 1 while the process is still running.
int cn_wait_pidfd(int pidfd, int nohang, int *code, int *status);

/// The signals passed on to a child while we wait for it: every one that can be caught, but
/// SIGCHLD (ours). Async-signal-safe.
void cn_passed_on_signals(sigset_t *set);

/// Sets SIGCHLD back to its default action where it is ignored (SIG_IGN or SA_NOCLDWAIT): the
/// kernel would reap our children itself, and their status would be lost to us. A handler
/// stays. Async-signal-safe.
void cn_take_back_child_signal(void);

/// Sends `sig` to our unreaped child `pid`: through `pidfd` where it is >= 0, with kill(2)
/// where it is not or pidfd_send_signal is refused with ENOSYS. Returns 0, or -1 and errno.
/// Async-signal-safe.
int cn_signal_child(int pidfd, pid_t pid, int sig);

/// Passes `sig`, received with si_code `code`, on to our child `pid` (cn_signal_child), unless
/// a terminal sent it (SI_KERNEL) to our process group and the child is in that group: it has
/// had it then. After SIGTSTP, SIGTTIN and SIGTTOU the calling thread stops as their default
/// action would (a shell's job control then sees us stopped); SIGCONT goes on like any other.
/// Returns 0, or -1 and errno. Async-signal-safe.
int cn_pass_on_signal(int pidfd, pid_t pid, int sig, int code);

/// Blocks every signal of cn_passed_on_signals in the calling thread, so that none ends us while
/// a child runs on (from before the spawn: cn_current_signal_mask leaves them out of the mask
/// the command gets). Returns 0, or -1 and errno.
int cn_block_passed_on_signals(void);

/// Blocks every signal of cn_passed_on_signals in the calling thread and waits until the
/// process `pidfd` (our child `pid`) has ended, without reaping it, passing each signal on as
/// cn_pass_on_signal does. Returns 0, or -1 and errno. The signals stay blocked: for a caller
/// that exits once the command has, as unshare --fork does.
int cn_wait_passing_on_signals(int pidfd, pid_t pid);

/// Waits until the process `pidfd` (our child) has ended, without reaping it, and ends it on
/// any signal we get meanwhile (every one of cn_passed_on_signals): SIGTERM at the first, then
/// SIGKILL `grace_ms` milliseconds later if it still runs (Perl's term_child). The signals
/// are blocked while we wait and consumed; the mask is restored after. Returns 0, or -1 and
/// errno.
int cn_wait_terminating_on_signal(int pidfd, int grace_ms);

#endif

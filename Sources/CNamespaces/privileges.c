// What the command may do once it runs: the nested user + mount namespace that locks the
// mounts, and the capabilities and no_new_privs it keeps. Runs in the child after clone (or in
// place): raw system calls only (child_calls.h), failures returned as (step, detail) with
// errno set.
#define _GNU_SOURCE
#include "CNamespaces.h"
#include "CNamespacesSpawn.h"
#include "child_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

CN_CHILD_CODE_BEGIN

/// CAP_SETPCAP's number: linux/capability.h.
enum { CN_CAP_SETPCAP = 8 };

int cn_write_proc_file_at(int dirfd, const char *path, const char *text);
pid_t cn_raw_fork(void);
int cn_prepare_privileges(const struct cn_plan *plan, int *detail);
int cn_lock_mounts(const struct cn_plan *plan, int proc_self, int *detail);
int cn_drop_privileges(const struct cn_plan *plan, int *detail);

/// Writes the nested namespace's maps (those that are set) into the /proc/PID directory
/// `proc_self` refers to; 0, or the failing cn_lock_detail with errno set.
static int write_nested_maps(const struct cn_plan *plan, int proc_self) {
    const char *texts[] = {plan->nested_setgroups, plan->nested_uid_map, plan->nested_gid_map};
    static const char *const files[] = {"setgroups", "uid_map", "gid_map"};
    static const int details[] = {CN_LOCK_SETGROUPS, CN_LOCK_UID_MAP, CN_LOCK_GID_MAP};
    for (int i = 0; i < 3; i++)
        if (texts[i] && cn_write_proc_file_at(proc_self, files[i], texts[i]) != 0) return details[i];
    return 0;
}

/// Reads up to `size` bytes once, retrying after signals; the bytes read (0: end of file).
static ssize_t read_once(int fd, void *value, size_t size) {
    ssize_t n;
    do { n = sys_read(fd, value, size); } while (n < 0 && errno == EINTR);
    return n;
}

/// The process that stays in the outer user namespace and writes the maps of the nested one
/// its parent enters: any maps but one line of the writer's own ids need CAP_SETUID and
/// CAP_SETGID in the parent namespace (user_namespaces(7)), which the parent just left.
static void __attribute__((noreturn)) map_writer(const struct cn_plan *plan, int proc_self, int go, int result) {
    char byte;
    if (read_once(go, &byte, 1) != 1) sys_exit(1);
    // Element by element: an initializer may compile to memset, which the child must not call.
    int failed[2];
    failed[0] = write_nested_maps(plan, proc_self);
    failed[1] = errno;
    if (failed[0]) { ssize_t ignored = sys_write(result, failed, sizeof failed); (void)ignored; }
    sys_exit(failed[0] ? 1 : 0);
}

/// Enters the nested namespaces and has a forked writer write their maps.
static int lock_with_helper(const struct cn_plan *plan, int proc_self) {
    int go[2], result[2];
    if (syscall(SYS_pipe2, go, O_CLOEXEC) != 0) return CN_LOCK_HELPER;
    if (syscall(SYS_pipe2, result, O_CLOEXEC) != 0) { sys_close(go[0]); sys_close(go[1]); return CN_LOCK_HELPER; }
    pid_t writer = cn_raw_fork();
    if (writer == 0) {
        sys_close(go[1]);
        sys_close(result[0]);
        map_writer(plan, proc_self, go[0], result[1]);
    }
    sys_close(go[0]);
    sys_close(result[1]);
    int step = 0, error = 0, failed[2];
    failed[0] = 0;
    failed[1] = 0;
    if (writer < 0) {
        step = CN_LOCK_HELPER, error = errno;
    } else if (cn_unshare(CN_CLONE_NEWUSER | CN_CLONE_NEWNS) != 0) {
        step = CN_LOCK_UNSHARE, error = errno;
    } else {
        char byte = 1;
        if (sys_write(go[1], &byte, 1) != 1) step = CN_LOCK_HELPER, error = errno;
        else if (read_once(result[0], failed, sizeof failed) == (ssize_t)sizeof failed) step = failed[0], error = failed[1];
    }
    sys_close(go[1]);   // a writer still waiting (we failed) reads end of file and leaves
    if (writer > 0) {
        int status = 0;
        while (syscall(SYS_wait4, writer, &status, __WALL, (void *)0) < 0 && errno == EINTR) {}
        if (!step && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) step = CN_LOCK_HELPER, error = ECHILD;
    }
    sys_close(result[0]);
    errno = error;
    return step;
}

int cn_lock_mounts(const struct cn_plan *plan, int proc_self, int *detail) {
    // The map files of a non-dumpable process belong to root of the namespace our memory was
    // made in, which is mapped nowhere here: dumpable while they are written (the flag belongs
    // to the memory, so never touched when we share the caller's).
    if (plan->nested_switch && (syscall(SYS_setresgid, plan->nested_gid, plan->nested_gid, plan->nested_gid) != 0 ||
                                syscall(SYS_setresuid, plan->nested_uid, plan->nested_uid, plan->nested_uid) != 0)) {
        *detail = CN_LOCK_SWITCH;
        return CN_STEP_LOCK_MOUNTS;
    }
    if (!plan->share_memory) syscall(SYS_prctl, (unsigned long)(CN_PR_SET_DUMPABLE), (unsigned long)(1), (unsigned long)(0), (unsigned long)(0), (unsigned long)(0));
    int step;
    if (plan->nested_maps_by_helper) {
        step = lock_with_helper(plan, proc_self);
    } else {
        step = cn_unshare(CN_CLONE_NEWUSER | CN_CLONE_NEWNS) != 0 ? CN_LOCK_UNSHARE : write_nested_maps(plan, proc_self);
    }
    int saved = errno;
    if (!plan->share_memory) syscall(SYS_prctl, (unsigned long)(CN_PR_SET_DUMPABLE), (unsigned long)(0), (unsigned long)(0), (unsigned long)(0), (unsigned long)(0));
    errno = saved;
    *detail = step;
    return step ? CN_STEP_LOCK_MOUNTS : 0;
}

int cn_prepare_privileges(const struct cn_plan *plan, int *detail) {
    // A uid change inside clears the permitted set unless keep-caps is set (capabilities(7)),
    // and the bounding set can only be dropped from with CAP_SETPCAP still permitted.
    *detail = CN_CAPS_KEEP;
    if (plan->drop_capabilities && plan->set_uid &&
        syscall(SYS_prctl, (unsigned long)(PR_SET_KEEPCAPS), (unsigned long)(1), (unsigned long)(0), (unsigned long)(0), (unsigned long)(0)) != 0)
        return CN_STEP_CAPABILITIES;
    return 0;
}

/// Sets the permitted, effective and inheritable sets: raw capset(2), version 3 (64 bits).
static int set_capabilities(uint64_t permitted, uint64_t effective, uint64_t inheritable) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {
        {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
        {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)},
    };
    return (int)syscall(SYS_capset, &header, data);
}

/// Leaves only `kept` in every capability set; 0, or the failing cn_capability_detail.
static int drop_capabilities(const struct cn_plan *plan, uint64_t kept) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return CN_CAPS_SETS;
    uint64_t permitted = (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
    // Effective = permitted first: a uid change (with keep-caps) cleared the effective set,
    // and dropping from the bounding set needs CAP_SETPCAP.
    if (set_capabilities(permitted, permitted, 0) != 0) return CN_CAPS_SETS;
    // The bounding set limits what execve of any file (setuid root included) grants. Without
    // CAP_SETPCAP (no user namespace of our own, an ordinary user) it cannot shrink: then only
    // no_new_privs keeps execve from granting more.
    int may_drop = (permitted >> CN_CAP_SETPCAP) & 1;
    if (!may_drop && !plan->no_new_privs) { errno = EPERM; return CN_CAPS_BOUNDING; }
    for (int cap = 0; may_drop && cap < 64; cap++) {
        if (kept & (1ULL << cap)) continue;
        if (syscall(SYS_prctl, (unsigned long)(PR_CAPBSET_DROP), (unsigned long)(cap), (unsigned long)(0), (unsigned long)(0), (unsigned long)(0)) != 0) {
            if (errno == EINVAL) break;   // past the kernel's last capability
            return CN_CAPS_BOUNDING;
        }
    }
    // Inheritable too: a file's inheritable bits grant what is in ours, bounding set or not.
    uint64_t keep = kept & permitted;
    if (set_capabilities(keep, keep, keep) != 0) return CN_CAPS_SETS;
    // Ambient: what a non-root uid keeps across execve; exactly the kept set.
    if (syscall(SYS_prctl, (unsigned long)(PR_CAP_AMBIENT), (unsigned long)(PR_CAP_AMBIENT_CLEAR_ALL), (unsigned long)(0), (unsigned long)(0), (unsigned long)(0)) != 0 && errno != EINVAL) return CN_CAPS_AMBIENT;
    for (int cap = 0; cap < 64; cap++)
        if ((keep & (1ULL << cap)) && syscall(SYS_prctl, (unsigned long)(PR_CAP_AMBIENT), (unsigned long)(PR_CAP_AMBIENT_RAISE), (unsigned long)(cap), (unsigned long)(0), (unsigned long)(0)) != 0 && errno != EINVAL)
            return CN_CAPS_AMBIENT;
    syscall(SYS_prctl, (unsigned long)(PR_SET_KEEPCAPS), (unsigned long)(0), (unsigned long)(0), (unsigned long)(0), (unsigned long)(0));
    return 0;
}

/// The permitted set made inheritable, then the effective one raised as ambient, as
/// util-linux's cap_permitted_to_ambient: after a uid change from 0 both are empty already.
static int permitted_to_ambient(void) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return CN_CAPS_SETS;
    data[0].inheritable = data[0].permitted;
    data[1].inheritable = data[1].permitted;
    if (syscall(SYS_capset, &header, data) != 0) return CN_CAPS_SETS;
    uint64_t effective = (uint64_t)data[0].effective | ((uint64_t)data[1].effective << 32);
    for (int cap = 0; cap < 64; cap++)
        if ((effective & (1ULL << cap)) && syscall(SYS_prctl, (unsigned long)(PR_CAP_AMBIENT), (unsigned long)(PR_CAP_AMBIENT_RAISE), (unsigned long)(cap), (unsigned long)(0), (unsigned long)(0)) != 0 && errno != EINVAL)
            return CN_CAPS_AMBIENT;
    return 0;
}

int cn_drop_privileges(const struct cn_plan *plan, int *detail) {
    if (plan->permitted_to_ambient && (*detail = permitted_to_ambient()) != 0) return CN_STEP_CAPABILITIES;
    if (plan->drop_capabilities && (*detail = drop_capabilities(plan, plan->kept_capabilities)) != 0)
        return CN_STEP_CAPABILITIES;
    *detail = 0;
    if (plan->no_new_privs && syscall(SYS_prctl, (unsigned long)(PR_SET_NO_NEW_PRIVS), (unsigned long)(1), (unsigned long)(0), (unsigned long)(0), (unsigned long)(0)) != 0) return CN_STEP_NO_NEW_PRIVS;
    // Last: from here on the filter judges every call, the command's execve included.
    if (plan->seccomp_program) {
        struct sock_fprog program;
        program.len = plan->seccomp_length;
        program.filter = (struct sock_filter *)plan->seccomp_program;
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) return CN_STEP_SECCOMP;
    }
    return 0;
}

CN_CHILD_CODE_END

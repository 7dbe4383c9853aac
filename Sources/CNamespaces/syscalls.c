// Raw system call wrappers: no allocation, no locks, async-signal-safe. Those a child calls
// after the clone come first and use raw system calls only (child_calls.h says why).
#define _GNU_SOURCE
#include "CNamespaces.h"
#include "child_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

CN_CHILD_CODE_BEGIN

int cn_setns(int fd, int nstype) { return (int)syscall(SYS_setns, fd, nstype); }

int cn_unshare(int flags) { return (int)syscall(SYS_unshare, flags); }

pid_t cn_clone3(struct cn_clone_args *args, size_t size) {
    return (pid_t)syscall(SYS_clone3, args, size);
}

int cn_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

int cn_pidfd_getfd(int pidfd, int targetfd, unsigned int flags) {
    return (int)syscall(SYS_pidfd_getfd, pidfd, targetfd, flags);
}

int cn_set_parent_death_signal(int sig) {
    return (int)syscall(SYS_prctl, (unsigned long)CN_PR_SET_PDEATHSIG, (unsigned long)sig, 0UL, 0UL, 0UL);
}

int cn_pidfd_send_signal(int pidfd, int sig, unsigned int flags) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, (void *)0, flags);
}

int cn_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

int cn_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int cn_fd_is_procfs(int fd) {
    struct statfs fs;
    if (sys_fstatfs(fd, &fs) != 0) return -1;
    return fs.f_type == CN_PROC_SUPER_MAGIC ? 1 : 0;
}

/// The fds in /proc/self/fd, walked with getdents64 (no allocation); -1 if it cannot be read.
static int close_listed(int first, int except) {
    int dir = sys_open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    char buffer[4096];
    long n;
    while ((n = syscall(SYS_getdents64, dir, buffer, sizeof buffer)) > 0) {
        for (long offset = 0; offset < n;) {
            // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name.
            unsigned short length = *(unsigned short *)(buffer + offset + 16);
            const char *name = buffer + offset + 19;
            int fd = 0, digits = 0;
            for (; *name >= '0' && *name <= '9'; name++, digits++) fd = fd * 10 + (*name - '0');
            if (digits && *name == 0 && fd >= first && fd != except && fd != dir) sys_close(fd);
            offset += length;
        }
    }
    sys_close(dir);
    return n < 0 ? -1 : 0;
}

void cn_close_from(int first, int except) {
    if (except < first) except = -1;
    if (except < 0) {
        if (cn_close_range((unsigned)first, ~0U, 0) == 0) return;
    } else if ((except == first || cn_close_range((unsigned)first, (unsigned)except - 1, 0) == 0) &&
               cn_close_range((unsigned)except + 1, ~0U, 0) == 0) {
        return;
    }
    if (close_listed(first, except) == 0) return;
    struct rlimit limit;
    rlim_t top = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, (void *)0, &limit) == 0 ? limit.rlim_cur : 65536;
    if (top > 1048576) top = 1048576;
    for (rlim_t fd = (rlim_t)first; fd < top; fd++) if ((int)fd != except) sys_close((int)fd);
}

CN_CHILD_CODE_END

// Only ever called by the parent.

pid_t cn_gettid(void) { return (pid_t)syscall(SYS_gettid); }

int cn_ioctl_none(int fd, unsigned long request) { return ioctl(fd, request); }

long cn_getdents64(int fd, void *buffer, size_t size) {
    return syscall(SYS_getdents64, fd, buffer, size);
}

int cn_receive_datagrams(int fd, void *buffer, size_t each, unsigned int count, unsigned int *lengths) {
    struct iovec pieces[64];
    struct mmsghdr messages[64];
    if (count > 64) count = 64;
    memset(messages, 0, sizeof messages);
    for (unsigned int i = 0; i < count; i++) {
        pieces[i].iov_base = (char *)buffer + i * each;
        pieces[i].iov_len = each;
        messages[i].msg_hdr.msg_iov = &pieces[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int received = recvmmsg(fd, messages, count, MSG_DONTWAIT, NULL);
    for (int i = 0; i < received; i++) lengths[i] = messages[i].msg_len;
    return received;
}


int cn_ns_get_owner_uid(int fd, uid_t *uid) { return ioctl(fd, CN_NS_GET_OWNER_UID, uid); }

int cn_errno(void) { return errno; }

const char *cn_errno_name(int err) { return strerrorname_np(err); }

int cn_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

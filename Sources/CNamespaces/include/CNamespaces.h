// CNamespaces: the Linux constants and system calls that `import Glibc` hides from Swift
// (function-like macros such as _IO, and calls glibc 2.36 has no wrapper for).
// Every function here is a thin, async-signal-safe wrapper: it returns -1 and sets errno on
// failure, like the system call it wraps.
#ifndef C_NAMESPACES_H
#define C_NAMESPACES_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/epoll.h>  // for the library's epoll thread: Glibc does not export it

// Namespace clone flags: clone(2), unshare(2), setns(2).
static const int CN_CLONE_NEWCGROUP = 0x02000000;
static const int CN_CLONE_NEWIPC = 0x08000000;
static const int CN_CLONE_NEWNS = 0x00020000;
static const int CN_CLONE_NEWNET = 0x40000000;
static const int CN_CLONE_NEWPID = 0x20000000;
static const int CN_CLONE_NEWTIME = 0x00000080;
static const int CN_CLONE_NEWUSER = 0x10000000;
static const int CN_CLONE_NEWUTS = 0x04000000;
/// Not a namespace: unshare(2) gives the caller its own, empty System V semaphore undo list.
static const int CN_CLONE_SYSVSEM = 0x00040000;
static const int CN_CLONE_FS = 0x00000200;
static const uint64_t CN_CLONE_PIDFD = 0x00001000;
static const uint64_t CN_CLONE_INTO_CGROUP = 0x200000000ULL;
static const uint64_t CN_CLONE_CLEAR_SIGHAND = 0x100000000ULL;

// nsfs ioctls: ioctl_ns(2). _IO(0xb7, n).
static const unsigned long CN_NS_GET_USERNS = 0xb701;
static const unsigned long CN_NS_GET_PARENT = 0xb702;
static const unsigned long CN_NS_GET_NSTYPE = 0xb703;
static const unsigned long CN_NS_GET_OWNER_UID = 0xb704;

// The nsfs magic number, to check that an fd really is a namespace: statfs(2).
static const long CN_NSFS_MAGIC = 0x6e736673;
static const long CN_PROC_SUPER_MAGIC = 0x9fa0;

// mount(2) flags.
static const unsigned long CN_MS_RDONLY = 1;
static const unsigned long CN_MS_NOSUID = 2;
static const unsigned long CN_MS_NODEV = 4;
static const unsigned long CN_MS_NOEXEC = 8;
static const unsigned long CN_MS_REMOUNT = 32;
static const unsigned long CN_MS_BIND = 4096;
static const unsigned long CN_MS_REC = 16384;
static const unsigned long CN_MS_PRIVATE = 1 << 18;
static const unsigned long CN_MS_SLAVE = 1 << 19;
static const unsigned long CN_MS_SHARED = 1 << 20;
static const int CN_MNT_DETACH = 2;

// prctl(2).
static const int CN_PR_SET_PDEATHSIG = 1;
static const int CN_PR_SET_DUMPABLE = 4;

// close_range(2).
static const unsigned int CN_CLOSE_RANGE_CLOEXEC = 1U << 2;

/// The arguments of clone3(2), as the kernel's `struct clone_args` (version 2, 88 bytes).
struct cn_clone_args {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

int cn_setns(int fd, int nstype);
int cn_unshare(int flags);
pid_t cn_clone3(struct cn_clone_args *args, size_t size);
int cn_pidfd_open(pid_t pid, unsigned int flags);
/// pidfd_getfd(2): a copy of another process's fd (lsns reads a socket's netns through it).
int cn_pidfd_getfd(int pidfd, int targetfd, unsigned int flags);
int cn_pidfd_send_signal(int pidfd, int sig, unsigned int flags);
/// getdents64(2): directory entries of `fd` into `buffer` (struct linux_dirent64 records);
/// the byte count, 0 at the end, -1 with errno on failure.
long cn_getdents64(int fd, void *buffer, size_t size);
/// recvmmsg(2) with MSG_DONTWAIT into `count` (at most 64) consecutive buffers of `each` bytes:
/// the number of datagrams received (their sizes in `lengths`), or -1 with errno.
int cn_receive_datagrams(int fd, void *buffer, size_t each, unsigned int count, unsigned int *lengths);
int cn_close_range(unsigned int first, unsigned int last, unsigned int flags);
int cn_pivot_root(const char *new_root, const char *put_old);
pid_t cn_gettid(void);
/// prctl(PR_SET_PDEATHSIG, sig): the signal this process gets when its parent thread exits.
int cn_set_parent_death_signal(int sig);
/// ioctl(2) with no argument, as the NS_GET_* requests take.
int cn_ioctl_none(int fd, unsigned long request);
/// SIOCGSKNS: ioctl on a socket that opens its network namespace.
static const unsigned long CN_SIOCGSKNS = 0x894C;
/// NS_GET_OWNER_UID: the owner uid of a user namespace fd, into *uid.
int cn_ns_get_owner_uid(int fd, uid_t *uid);
/// The symbolic name of an errno value ("EPERM"), or NULL if unknown.
const char *cn_errno_name(int err);
/// 1 when fd is on a procfs file system, 0 when not, -1 when fstatfs fails.
int cn_fd_is_procfs(int fd);
/// pipe2(fds, O_CLOEXEC).
int cn_pipe_cloexec(int fds[2]);
/// Closes every fd >= first except `except` (-1 for none): close_range(2), or where the kernel
/// lacks it (before 5.9) the fds listed in /proc/self/fd, or failing that every number up to
/// the fd limit. Async-signal-safe.
void cn_close_from(int first, int except);
/// The errno of the calling thread (Swift reads it without racing other libc calls).
int cn_errno(void);

#include "CNamespacesSpawn.h"

#endif

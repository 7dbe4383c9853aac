// The system calls of the code that runs in a child after the clone (child.c, environment.c,
// supervise.c, and the child's side of spawn.c and syscalls.c).
//
// Why not libc's functions: that child shares the caller's memory (CLONE_VM | CLONE_VFORK) or
// is a copy of a multithreaded process. A sanitizer keeps its per-thread state and its locks in
// that memory, and runs in every libc call it intercepts (read, close, sigaction, _exit, memset,
// clone...) and, for ThreadSanitizer, in every instrumented function: in a shared child it
// rewrites the caller's thread state (a TSan CHECK failure once the caller resumes), in a copy it
// may wait for a lock held by a thread the copy does not have (a deadlock). So this code calls
// the kernel through syscall(2), which no sanitizer intercepts, measures and copies bytes with
// its own loops, and is built without sanitizer instrumentation (CN_CHILD_CODE_BEGIN ... END;
// AddressSanitizer's would print a warning about the child's stack into the command's stderr).
#ifndef C_NAMESPACES_CHILD_CALLS_H
#define C_NAMESPACES_CHILD_CALLS_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define CN_CHILD_CODE_BEGIN \
    _Pragma("clang attribute push (__attribute__((disable_sanitizer_instrumentation)), apply_to = function)")
#define CN_CHILD_CODE_END _Pragma("clang attribute pop")
#endif
#endif
#ifndef CN_CHILD_CODE_BEGIN
#define CN_CHILD_CODE_BEGIN
#define CN_CHILD_CODE_END
#endif

/// glibc's clone(3), not a sanitizer's interceptor of it: glibc exports it as __clone too.
#ifdef __GLIBC__
int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
#define cn_libc_clone __clone
#else
#define cn_libc_clone clone
#endif

CN_CHILD_CODE_BEGIN

/// The kernel's signal set (rt_sigprocmask(2) and friends take its size): the first word of a
/// glibc sigset_t.
typedef unsigned long cn_ksigset;
static const size_t cn_ksigset_size = sizeof(cn_ksigset);
static inline cn_ksigset cn_ksig_bit(int sig) { return 1UL << (sig - 1); }

static inline ssize_t sys_read(int fd, void *buffer, size_t count) { return syscall(SYS_read, fd, buffer, count); }
static inline ssize_t sys_write(int fd, const void *buffer, size_t count) { return syscall(SYS_write, fd, buffer, count); }
static inline int sys_close(int fd) { return (int)syscall(SYS_close, fd); }
static inline int sys_open(const char *path, int flags) { return (int)syscall(SYS_openat, AT_FDCWD, path, flags, 0); }
static inline int sys_fcntl(int fd, int command, long argument) { return (int)syscall(SYS_fcntl, fd, command, argument); }
static inline int sys_dup3(int from, int to, int flags) { return (int)syscall(SYS_dup3, from, to, flags); }
static inline int sys_prctl(int option, unsigned long argument) { return (int)syscall(SYS_prctl, option, argument, 0UL, 0UL, 0UL); }
static inline pid_t sys_getpid(void) { return (pid_t)syscall(SYS_getpid); }
static inline pid_t sys_getppid(void) { return (pid_t)syscall(SYS_getppid); }
static inline int sys_kill(pid_t pid, int sig) { return (int)syscall(SYS_kill, pid, sig); }
static inline pid_t sys_wait_any(int *status, int options) { return (pid_t)syscall(SYS_wait4, -1, status, options, (void *)0); }
static inline void __attribute__((noreturn)) sys_exit(int status) {
    for (;;) syscall(SYS_exit_group, status);
}
static inline int sys_ioctl(int fd, unsigned long request, void *argument) { return (int)syscall(SYS_ioctl, fd, request, argument); }
static inline int sys_fstatfs(int fd, struct statfs *info) { return (int)syscall(SYS_fstatfs, fd, info); }
static inline int sys_statfs(const char *path, struct statfs *info) { return (int)syscall(SYS_statfs, path, info); }
static inline int sys_stat(const char *path, struct stat *info) { return (int)syscall(SYS_newfstatat, AT_FDCWD, path, info, 0); }
/// poll(2) of one fd with a zero timeout: whether it is ready.
static inline int sys_poll_now(struct pollfd *fd) {
    struct timespec zero;
    zero.tv_sec = 0;
    zero.tv_nsec = 0;
    return (int)syscall(SYS_ppoll, fd, 1, &zero, (void *)0, cn_ksigset_size);
}
static inline int sys_sigprocmask(int how, const void *set, void *old) {
    return (int)syscall(SYS_rt_sigprocmask, how, set, old, cn_ksigset_size);
}
static inline int sys_sigwaitinfo(const cn_ksigset *set, siginfo_t *info) {
    return (int)syscall(SYS_rt_sigtimedwait, set, info, (void *)0, cn_ksigset_size);
}
static inline int sys_sigtimedwait(const cn_ksigset *set, siginfo_t *info, const struct timespec *timeout) {
    return (int)syscall(SYS_rt_sigtimedwait, set, info, timeout, cn_ksigset_size);
}
/// cn_passed_on_signals as the kernel's set: every signal but SIGKILL, SIGSTOP, SIGCHLD and
/// glibc's own two (32, 33).
static inline cn_ksigset cn_passed_on_ksigset(void) {
    return ~(cn_ksig_bit(SIGKILL) | cn_ksig_bit(SIGSTOP) | cn_ksig_bit(SIGCHLD) | cn_ksig_bit(32) | cn_ksig_bit(33));
}
static inline void *sys_mmap(size_t length, int protection, int flags) {
    return (void *)syscall(SYS_mmap, (void *)0, length, protection, flags, -1, 0L);
}
static inline int sys_munmap(void *address, size_t length) { return (int)syscall(SYS_munmap, address, length); }
static inline int sys_mprotect(void *address, size_t length, int protection) {
    return (int)syscall(SYS_mprotect, address, length, protection);
}
static inline int sys_execve(const char *path, char *const *argv, char *const *envp) {
    return (int)syscall(SYS_execve, path, argv, envp);
}
static inline int sys_chdir(const char *path) { return (int)syscall(SYS_chdir, path); }
static inline int sys_fchdir(int fd) { return (int)syscall(SYS_fchdir, fd); }
static inline int sys_exists(const char *path) { return syscall(SYS_faccessat, AT_FDCWD, path, F_OK) == 0; }
static inline int sys_mkdir(const char *path, mode_t mode) { return (int)syscall(SYS_mkdirat, AT_FDCWD, path, mode); }
static inline int sys_chroot(const char *path) { return (int)syscall(SYS_chroot, path); }
static inline pid_t sys_setsid(void) { return (pid_t)syscall(SYS_setsid); }
static inline int sys_setpgid(pid_t pid, pid_t group) { return (int)syscall(SYS_setpgid, pid, group); }
static inline int sys_mount(const char *source, const char *target, const char *type, unsigned long flags, const void *data) {
    return (int)syscall(SYS_mount, source, target, type, flags, data);
}
static inline int sys_umount2(const char *target, int flags) { return (int)syscall(SYS_umount2, target, flags); }
static inline int sys_sethostname(const char *name, size_t length) { return (int)syscall(SYS_sethostname, name, length); }
static inline int sys_setdomainname(const char *name, size_t length) { return (int)syscall(SYS_setdomainname, name, length); }
static inline int sys_socket(int domain, int type, int protocol) { return (int)syscall(SYS_socket, domain, type, protocol); }

/// strlen without libc: the volatile read keeps the optimizer from making this loop a call to it.
static inline size_t cn_length(const char *text) {
    size_t n = 0;
    while (((const volatile char *)text)[n]) n++;
    return n;
}

/// Whether two strings are equal, without libc's strcmp (read as cn_length reads).
static inline int cn_same(const char *a, const char *b) {
    size_t n = 0;
    while (((const volatile char *)a)[n] && a[n] == b[n]) n++;
    return a[n] == b[n];
}

CN_CHILD_CODE_END

#endif

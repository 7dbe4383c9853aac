// The parent side of the child executor: clone with every signal blocked.
#define _GNU_SOURCE
#include "CNamespaces.h"
#include "CNamespacesSpawn.h"
#include "child_calls.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __has_feature
#define __has_feature(x) 0
#endif

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

void cn_child_main(const struct cn_plan *plan) __attribute__((noreturn));
void *cn_map_child_stack(void);

// The child runs cn_map_child_stack, and the rest of cn_spawn once the clone returned in it.
CN_CHILD_CODE_BEGIN

/// A stack for a child that shares our memory: CN_CHILD_STACK_SIZE bytes whose lowest page is a
/// guard. Returns its lowest address, or NULL with errno. Async-signal-safe (mmap and mprotect).
void *cn_map_child_stack(void) {
    char *stack = sys_mmap(CN_CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE);
    if (stack == MAP_FAILED) return (void *)0;
    if (sys_mprotect(stack, 4096, PROT_NONE) != 0) {
        int saved = errno;
        sys_munmap(stack, CN_CHILD_STACK_SIZE);
        errno = saved;
        return (void *)0;
    }
    return stack;
}

/// Each thread keeps the stack of its last memory-sharing child for the next one (one spawn
/// at a time per thread: the thread waits while its child runs); it is unmapped when the
/// thread exits.
static pthread_key_t stack_key;
static int stack_key_made;
static pthread_once_t stack_key_once = PTHREAD_ONCE_INIT;

static void unmap_child_stack(void *stack) { munmap(stack, CN_CHILD_STACK_SIZE); }

static void make_stack_key(void) { stack_key_made = pthread_key_create(&stack_key, unmap_child_stack) == 0; }

static void *thread_child_stack(void) {
    pthread_once(&stack_key_once, make_stack_key);
    void *stack = stack_key_made ? pthread_getspecific(stack_key) : (void *)0;
    if (stack) return stack;
    stack = cn_map_child_stack();
    if (stack && stack_key_made && pthread_setspecific(stack_key, stack) != 0) {
        munmap(stack, CN_CHILD_STACK_SIZE);
        return (void *)0;
    }
    return stack;
}

static int child_entry(void *plan) { cn_child_main(plan); }

/// clone(2) with CLONE_VM | CLONE_VFORK: the child runs on our memory until it executes, so
/// the kernel copies no page tables (the cost of fork grows with the caller's mappings). This
/// thread sleeps meanwhile; the child's writes to errno are to ours, which nobody reads then.
/// Returns -2 when no stack could be had: the caller clones the usual way instead.
static pid_t clone_sharing_memory(const struct cn_plan *plan, int *pidfd) {
    char *stack = thread_child_stack();
    if (!stack) return -2;
    int flags = CLONE_VM | CLONE_VFORK | CN_CLONE_PIDFD | plan->clone_flags | SIGCHLD;
    pid_t pid = cn_libc_clone(child_entry, stack + CN_CHILD_STACK_SIZE, flags, (void *)plan, pidfd);
    if (!stack_key_made) unmap_child_stack(stack);
    return pid;
}

#if defined(__x86_64__) && defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer)
/// The part of the thread's TLS area a memory-sharing init may touch, relative to the thread
/// pointer (x86-64 keeps the TLS blocks below it, the thread control block above): errno's
/// block, and the control block's header (self pointers, stack and pointer guards).
enum { tls_above = 0x300 };

/// clone(2) for plan->init_shares_memory: CLONE_VM, no CLONE_VFORK, so the child lives on our
/// memory while we go on. Its own stack, never unmapped (the child may outlive this call by
/// as long as the caller lives), and its own copy of our TLS area (CLONE_SETTLS): a failed
/// system call in either process must not change the other's errno. Returns -2 where this
/// cannot be done (no memory, errno too far from the thread pointer).
static pid_t clone_init_sharing_memory(const struct cn_plan *plan, int *pidfd) {
    char *thread = __builtin_thread_pointer();
    long errno_at = (char *)&errno - thread;
    if (errno_at >= 0 || errno_at < -65536) return -2;
    long below = ((-errno_at) + 64 + 63) & ~63L;
    size_t tls_size = ((size_t)below + tls_above + 4095) & ~(size_t)4095;
    char *stack = sys_mmap(CN_CHILD_STACK_SIZE + tls_size, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE);
    if (stack == MAP_FAILED) return -2;
    if (sys_mprotect(stack, 4096, PROT_NONE) != 0) {
        sys_munmap(stack, CN_CHILD_STACK_SIZE + tls_size);
        return -2;
    }
    char *child_thread = stack + CN_CHILD_STACK_SIZE + below;
    memcpy(child_thread - below, thread - below, (size_t)below + tls_above);
    // tcbhead_t: the first and third words point at the control block itself.
    ((void **)child_thread)[0] = child_thread;
    ((void **)child_thread)[2] = child_thread;
    int flags = CLONE_VM | CLONE_SETTLS | CN_CLONE_PIDFD | plan->clone_flags | SIGCHLD;
    pid_t pid = cn_libc_clone(child_entry, stack + CN_CHILD_STACK_SIZE, flags, (void *)plan, pidfd, child_thread);
    if (pid < 0) {
        int saved = errno;
        sys_munmap(stack, CN_CHILD_STACK_SIZE + tls_size);
        errno = saved;
    }
    return pid;
}
#else
static pid_t clone_init_sharing_memory(const struct cn_plan *plan, int *pidfd) {
    (void)plan;
    (void)pidfd;
    return -2;
}
#endif

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
    pid_t pid = plan->share_memory ? clone_sharing_memory(plan, pidfd)
                : plan->init_shares_memory ? clone_init_sharing_memory(plan, pidfd) : -2;
    if (pid == -2) pid = clone_child(plan->clone_flags, pidfd);
    if (pid == 0) cn_child_main(plan);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, (sigset_t *)0);
    errno = saved;
    return pid;
}

CN_CHILD_CODE_END

int cn_wait_pidfd(int pidfd, int nohang, int *code, int *status) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int r;
    do {
        r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | (nohang ? WNOHANG : 0));
    } while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    if (info.si_pid == 0) return 1;  // WNOHANG, and it runs on
    *code = info.si_code;
    *status = info.si_status;
    return 0;
}

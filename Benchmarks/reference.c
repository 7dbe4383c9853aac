// reference: the work of each benchmark scenario done with raw system calls, as a lower bound
// for nsbox, unshare(1), nsenter(1) and bwrap(1). Built by Benchmarks/run.sh with `cc -O2`.
//
//   reference s1            clone(CLONE_NEWUSER); the parent writes setgroups=deny, uid_map,
//                           gid_map; the child execs true; the parent waits
//   reference s2            user+mount+pid: the child is pid 1, makes / private (MS_REC),
//                           mounts a fresh /proc and execs true (unshare -Urmpf --mount-proc)
//   reference s3            s2 plus net (lo brought up with SIOCSIFFLAGS), uts, ipc, cgroup
//   reference s4 PID [preserve]
//                           setns into every namespace of PID that differs from ours (user
//                           first), become root there unless `preserve` (as nsenter does
//                           without --preserve-credentials), fork (for the pid namespace),
//                           exec true, wait
//   reference loop N [KINDS] [THREADS] [BUSY]
//                           N spawn+wait of true in new namespaces (KINDS: letters of
//                           U m p n u i C, default Ump; with p and m /proc is mounted fresh),
//                           spread over THREADS spawning threads (default 1), with BUSY extra
//                           threads spinning on the CPU meanwhile (default 0); prints
//                           `spawns N seconds S spawns_per_s R p50_us P p99_us Q`
//
// Exit status: true's status (0), or 1 with a message on stderr when a step fails.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char *true_path = "/bin/true";
extern char **environ;

static void die(const char *what) {
    fprintf(stderr, "reference: %s: %s\n", what, strerror(errno));
    exit(1);
}

// In the child: report errno through the pipe and exit; only async-signal-safe calls.
static void child_fail(int fd, int step) {
    int report[2] = {step, errno};
    if (write(fd, report, sizeof report) < 0) {}
    _exit(127);
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

// setgroups deny, uid_map "0 UID 1", gid_map "0 GID 1" of `pid`, from the parent.
static int write_maps(pid_t pid, uid_t uid, gid_t gid) {
    char path[64], line[64];
    snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
    if (write_file(path, "deny") < 0) return -1;
    snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
    snprintf(line, sizeof line, "0 %u 1", uid);
    if (write_file(path, line) < 0) return -1;
    snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
    snprintf(line, sizeof line, "0 %u 1", gid);
    if (write_file(path, line) < 0) return -1;
    return 0;
}

// Brings lo up in the current network namespace.
static int loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    memcpy(request.ifr_name, "lo", 3);
    if (ioctl(fd, SIOCGIFFLAGS, &request) < 0) { close(fd); return -1; }
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    int result = ioctl(fd, SIOCSIFFLAGS, &request);
    close(fd);
    return result;
}

// One sandbox: clone with `flags`, the parent writes the maps, the child sets up mounts and
// lo and execs true; returns true's wait status. Safe from any thread: between clone and
// execve the child only makes system calls.
static int spawn_once(unsigned long flags) {
    int go[2], errors[2];
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(errors, O_CLOEXEC) < 0) die("pipe2");
    uid_t uid = geteuid();
    gid_t gid = getegid();
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) die("clone");
    if (pid == 0) {
        close(go[1]);
        close(errors[0]);
        char byte;
        if (flags & CLONE_NEWUSER) {
            // Wait for the maps.
            if (read(go[0], &byte, 1) != 1) child_fail(errors[1], 1);
        }
        if (flags & CLONE_NEWNS) {
            if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) child_fail(errors[1], 2);
            if ((flags & CLONE_NEWPID) &&
                mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                child_fail(errors[1], 3);
        }
        if ((flags & CLONE_NEWNET) && loopback_up() < 0) child_fail(errors[1], 4);
        char *argv[] = {"true", NULL};
        execve(true_path, argv, environ);
        child_fail(errors[1], 5);
    }
    close(go[0]);
    close(errors[1]);
    if (flags & CLONE_NEWUSER) {
        if (write_maps(pid, uid, gid) < 0) die("writing the id maps");
        if (write(go[1], "x", 1) != 1) die("write");
    }
    close(go[1]);
    int report[2];
    ssize_t n = read(errors[0], report, sizeof report);
    close(errors[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) die("waitpid");
    if (n == (ssize_t)sizeof report) {
        static const char *steps[] = {"", "read", "make / private", "mount /proc", "lo up", "execve"};
        errno = report[1];
        die(steps[report[0]]);
    }
    return status;
}

// setns into every namespace of `target` that differs from ours, user first; fork; exec true.
static int enter_all(pid_t target, int preserve_credentials) {
    static const struct { const char *name; int type; } kinds[] = {
        {"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
        {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID},
        {"mnt", CLONE_NEWNS}, {"time", CLONE_NEWTIME},
    };
    enum { count = sizeof kinds / sizeof kinds[0] };
    int fds[count];
    for (int i = 0; i < count; i++) {
        char theirs[64], ours[64];
        snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", target, kinds[i].name);
        snprintf(ours, sizeof ours, "/proc/self/ns/%s", kinds[i].name);
        struct stat a, b;
        fds[i] = -1;
        if (stat(theirs, &a) < 0 || stat(ours, &b) < 0) continue;
        if (a.st_ino == b.st_ino && a.st_dev == b.st_dev) continue;
        fds[i] = open(theirs, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) die(theirs);
    }
    for (int i = 0; i < count; i++) {
        if (fds[i] < 0) continue;
        if (setns(fds[i], kinds[i].type) < 0) die(kinds[i].name);
        close(fds[i]);
    }
    if (fds[0] >= 0 && !preserve_credentials) {
        // As nsenter does after entering a user namespace: become its root, drop groups.
        if (setgroups(0, NULL) < 0 && errno != EPERM) die("setgroups");
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) die("setresuid");
    }
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        char *argv[] = {"true", NULL};
        execve(true_path, argv, environ);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) die("waitpid");
    return status;
}

static int exit_status(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static unsigned long parse_kinds(const char *text) {
    unsigned long flags = 0;
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case 'U': flags |= CLONE_NEWUSER; break;
        case 'm': flags |= CLONE_NEWNS; break;
        case 'p': flags |= CLONE_NEWPID; break;
        case 'n': flags |= CLONE_NEWNET; break;
        case 'u': flags |= CLONE_NEWUTS; break;
        case 'i': flags |= CLONE_NEWIPC; break;
        case 'C': flags |= CLONE_NEWCGROUP; break;
        default: fprintf(stderr, "reference: unknown kind '%c'\n", *c); exit(2);
        }
    }
    return flags;
}

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

struct loop_job {
    unsigned long flags;
    int first, rounds, stride;
    double *latencies;
};

static void *loop_worker(void *argument) {
    struct loop_job *job = argument;
    for (int round = job->first; round < job->rounds; round += job->stride) {
        double start = now_us();
        int status = spawn_once(job->flags);
        job->latencies[round] = now_us() - start;
        if (exit_status(status) != 0) {
            fprintf(stderr, "reference: round %d: status %d\n", round, exit_status(status));
            exit(1);
        }
    }
    return NULL;
}

static atomic_int stop_busy;
static void *busy_worker(void *argument) {
    (void)argument;
    volatile unsigned long counter = 0;
    while (!atomic_load_explicit(&stop_busy, memory_order_relaxed)) counter++;
    return NULL;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int loop(int rounds, unsigned long flags, int threads, int busy) {
    double *latencies = calloc((size_t)rounds, sizeof *latencies);
    pthread_t busy_threads[64], workers[64];
    struct loop_job jobs[64];
    if (threads < 1 || threads > 64 || busy < 0 || busy > 64 || !latencies) {
        fprintf(stderr, "reference: loop: 1..64 threads, 0..64 busy\n");
        return 2;
    }
    for (int i = 0; i < busy; i++) pthread_create(&busy_threads[i], NULL, busy_worker, NULL);
    double start = now_us();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct loop_job){flags, i, rounds, threads, latencies};
        pthread_create(&workers[i], NULL, loop_worker, &jobs[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(workers[i], NULL);
    double seconds = (now_us() - start) / 1e6;
    atomic_store(&stop_busy, 1);
    for (int i = 0; i < busy; i++) pthread_join(busy_threads[i], NULL);
    qsort(latencies, (size_t)rounds, sizeof *latencies, compare_doubles);
    printf("spawns %d seconds %.3f spawns_per_s %.1f p50_us %.0f p99_us %.0f\n", rounds, seconds,
           rounds / seconds, latencies[rounds / 2], latencies[rounds * 99 / 100]);
    free(latencies);
    return 0;
}

int main(int argc, char **argv) {
    if (getenv("REFERENCE_TRUE")) true_path = getenv("REFERENCE_TRUE");
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "s1")) return exit_status(spawn_once(CLONE_NEWUSER));
    if (!strcmp(mode, "s2")) return exit_status(spawn_once(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID));
    if (!strcmp(mode, "s3"))
        return exit_status(spawn_once(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                                      CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP));
    if (!strcmp(mode, "s4") && argc > 2) return exit_status(enter_all((pid_t)atoi(argv[2]), argc > 3 && !strcmp(argv[3], "preserve")));
    if (!strcmp(mode, "loop") && argc > 2)
        return loop(atoi(argv[2]), parse_kinds(argc > 3 ? argv[3] : "Ump"), argc > 4 ? atoi(argv[4]) : 1,
                    argc > 5 ? atoi(argv[5]) : 0);
    fprintf(stderr, "usage: reference s1|s2|s3 | s4 PID [preserve] | loop N [KINDS] [THREADS] [BUSY]\n");
    return 2;
}

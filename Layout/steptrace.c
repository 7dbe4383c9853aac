// steptrace CMD [ARGS...]: runs CMD under ptrace, one instruction at a time, and prints each
// distinct instruction address it executes (CMD's own output goes to /dev/null) (hexadecimal, one per line, in the order first
// executed). Children it forks or clones are followed the same way until they execute another
// program; so is CMD itself until its own execve of another program. Used by make-order.sh to
// find the functions nsbox runs, in the order it runs them.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOTS (1u << 24) // a set of addresses: open addressing, far more slots than addresses

static uint64_t *seen;

// Prints `ip` the first time it is seen.
static void record(uint64_t ip) {
    for (uint64_t slot = (ip * 0x9E3779B97F4A7C15ull) >> 40;; slot++) {
        slot &= SLOTS - 1;
        if (seen[slot] == ip) return;
        if (seen[slot] == 0) {
            seen[slot] = ip;
            printf("%llx\n", (unsigned long long)ip);
            return;
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: steptrace CMD [ARGS...]\n");
        return 2;
    }
    seen = calloc(SLOTS, sizeof *seen);
    if (!seen) return perror("steptrace: calloc"), 1;
    pid_t child = fork();
    if (child < 0) return perror("steptrace: fork"), 1;
    if (child == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        execvp(argv[1], argv + 1);
        perror("steptrace: execvp");
        _exit(127);
    }
    int status;
    if (waitpid(child, &status, 0) < 0) return perror("steptrace: waitpid"), 1;
    long options = PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
                   PTRACE_O_TRACEVFORK | PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SETOPTIONS, child, 0, options) < 0) return perror("steptrace: PTRACE_SETOPTIONS"), 1;
    // Up to the execve of CMD; stepping starts in CMD's first instruction.
    ptrace(PTRACE_CONT, child, 0, 0);
    if (waitpid(child, &status, 0) < 0 || !WIFSTOPPED(status) || status >> 16 != PTRACE_EVENT_EXEC) {
        fprintf(stderr, "steptrace: %s did not start\n", argv[1]);
        return 1;
    }
    int traced = 1;
    ptrace(PTRACE_SINGLESTEP, child, 0, 0);
    while (traced > 0) {
        pid_t pid = waitpid(-1, &status, __WALL);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            traced--;
            continue;
        }
        if (!WIFSTOPPED(status)) continue;
        int signal = WSTOPSIG(status), event = status >> 16;
        if (event == PTRACE_EVENT_EXEC) { // another program now: not ours to trace
            ptrace(PTRACE_DETACH, pid, 0, 0);
            traced--;
            continue;
        }
        if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK)
            traced++; // the new one is traced too; it reports its own first stop
        struct user_regs_struct regs;
        if (event == 0 && ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0) record(regs.rip);
        int pass = (event != 0 || signal == SIGTRAP || signal == SIGSTOP) ? 0 : signal;
        ptrace(PTRACE_SINGLESTEP, pid, 0, pass);
    }
    return 0;
}

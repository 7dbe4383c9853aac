// sighelper: starts a command the way the signal tests need (the tests use it, it is not
// installed), with no optional tool such as python3.
//
//   sighelper ignore SIGNAL[,SIGNAL...] -- COMMAND [ARGS...]
//       runs COMMAND with those signals (numbers) ignored, as a supervisor may start it.
//   sighelper terminal BYTES -- COMMAND [ARGS...]
//       runs COMMAND as the session leader on a new pseudo-terminal, copies what it writes
//       there to stdout, types BYTES (e.g. "\003", Ctrl-C) once it has written "ready", and
//       prints "status N" with the status a shell would report when it has ended.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int ignore(char *list, char **command) {
    for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
        if (signal(atoi(name), SIG_IGN) == SIG_ERR) { perror("sighelper: signal"); return 125; }
    }
    execvp(command[0], command);
    perror("sighelper: execvp");
    return 127;
}

/// BYTES with \NNN octal escapes turned into bytes; returns the length.
static size_t unescape(const char *text, char *bytes) {
    size_t n = 0;
    while (*text) {
        if (text[0] == '\\' && text[1] >= '0' && text[1] <= '7') {
            bytes[n++] = (char)strtol(text + 1, (char **)&text, 8);
        } else {
            bytes[n++] = *text++;
        }
    }
    return n;
}

static int terminal(const char *keys, char **command) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) { perror("sighelper: pty"); return 125; }
    const char *name = ptsname(master);
    pid_t child = fork();
    if (child < 0) { perror("sighelper: fork"); return 125; }
    if (child == 0) {
        int slave;
        if (setsid() < 0 || (slave = open(name, O_RDWR)) < 0) _exit(125);
        // Opening it as a session leader without a terminal made it ours: TIOCSCTTY for sure.
        ioctl(slave, TIOCSCTTY, 0);
        dup2(slave, 0), dup2(slave, 1), dup2(slave, 2);
        if (slave > 2) close(slave);
        execvp(command[0], command);
        _exit(127);
    }
    char bytes[256];
    size_t length = unescape(keys, bytes);
    char seen[4096];
    size_t used = 0;
    int typed = 0;
    for (;;) {
        char buffer[1024];
        ssize_t n = read(master, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // EIO: every holder of the terminal has closed it
        fwrite(buffer, 1, (size_t)n, stdout);
        fflush(stdout);
        for (ssize_t i = 0; i < n && used < sizeof seen - 1; i++) seen[used++] = buffer[i];
        seen[used] = 0;
        if (!typed && strstr(seen, "ready")) {
            typed = write(master, bytes, length) == (ssize_t)length;
        }
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    printf("\nstatus %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: sighelper ignore|terminal ARG -- COMMAND [ARGS...]\n");
        return 125;
    }
    if (strcmp(argv[1], "ignore") == 0) return ignore(argv[2], argv + 4);
    if (strcmp(argv[1], "terminal") == 0) return terminal(argv[2], argv + 4);
    fprintf(stderr, "sighelper: unknown mode %s\n", argv[1]);
    return 125;
}

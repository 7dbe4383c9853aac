// enosys: runs a command with some system calls failing with ENOSYS, as on an older kernel, to
// test the fallbacks (seccomp filter; the tests use it, it is not installed).
//
//   enosys clone3,close_range,pidfd_open,open_tree,move_mount,mount_setattr -- COMMAND [ARGS...]
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct { const char *name; int number; } known[] = {
    {"clone3", 435}, {"close_range", 436}, {"pidfd_open", 434}, {"open_tree", 428},
    {"move_mount", 429}, {"mount_setattr", 442}, {"pidfd_send_signal", 424},
};

int main(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: enosys SYSCALL[,SYSCALL...] -- COMMAND [ARGS...]\n");
        return 125;
    }
    struct sock_filter filter[64];
    unsigned n = 0;
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    char list[1024];
    snprintf(list, sizeof list, "%s", argv[1]);
    for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
        int number = -1;
        for (unsigned i = 0; i < sizeof known / sizeof known[0]; i++)
            if (strcmp(known[i].name, name) == 0) number = known[i].number;
        if (number < 0) { fprintf(stderr, "enosys: unknown system call %s\n", name); return 125; }
        filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)number, 0, 1);
        filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
    }
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog program = {(unsigned short)n, filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        perror("enosys: seccomp");
        return 125;
    }
    execvp(argv[3], argv + 3);
    perror("enosys: execvp");
    return 127;
}

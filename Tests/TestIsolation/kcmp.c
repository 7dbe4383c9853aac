// Who shares an address space (kcmp(2)) and whether ours is dumpable, for the tests.
#define _GNU_SOURCE
#include "TestIsolation.h"

#include <linux/kcmp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int test_share_memory(pid_t first, pid_t second) {
    long result = syscall(SYS_kcmp, first, second, KCMP_VM, 0UL, 0UL);
    return result < 0 ? -1 : result == 0;
}

int test_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }

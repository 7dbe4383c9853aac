#pragma once

/// Whether the test runner moved itself into a private mount namespace (with its own /run) before
/// main: 1 when it did (root), 0 when it was refused.
int test_run_has_private_mounts(void);

#include <sys/types.h>

/// Whether processes `first` and `second` share one address space (kcmp(2), KCMP_VM): 1 when
/// they do, 0 when not, -1 with errno when the kernel cannot say (no ptrace access to one).
int test_share_memory(pid_t first, pid_t second);

/// prctl(PR_GET_DUMPABLE) of the calling process: 1 when dumpable.
int test_dumpable(void);

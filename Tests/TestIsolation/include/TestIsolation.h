#pragma once

/// Whether the test runner moved itself into a private mount namespace (with its own /run) before
/// main: 1 when it did (root), 0 when it was refused.
int test_run_has_private_mounts(void);

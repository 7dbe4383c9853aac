// Before the test runner's main (and so before it has a second thread), move the whole run into a
// mount namespace of its own, so that the mounts, propagation changes and /run entries the tests
// make never reach the host, and two suites at once do not see each other's. unshare(CLONE_NEWNS)
// would move only the calling thread once others exist: unshare(2). Where it is refused (not root),
// the tests that mount cannot run anyway.
#define _GNU_SOURCE
#include "TestIsolation.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>

static int isolated;

__attribute__((constructor)) static void isolate_mounts(void) {
    if (unshare(CLONE_NEWNS) != 0) return;
    // Slave, not private: the host's later mounts still show up here; ours never go back.
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) return;
    // /run/netns and /run/nsbox entries (named namespaces) live and die with the run.
    if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) return;
    isolated = 1;
}

int test_run_has_private_mounts(void) { return isolated; }

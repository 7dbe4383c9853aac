// The environment inside the namespaces: time offsets, mounts, a new root, hostname, loopback.
// Runs in the child after clone: raw system calls only.
#define _GNU_SOURCE
#include "CNamespaces.h"
#include "CNamespacesSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif

static const unsigned int cn_open_tree_clone = 1;
static const unsigned int cn_move_mount_f_empty_path = 0x4;

/// mount_setattr(2)'s argument (Linux 5.12).
struct cn_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};

static const unsigned int cn_at_recursive = 0x8000;
static const uint64_t cn_mount_attr_rdonly = 0x1;

int cn_write_proc_file(const char *path, const char *text);
int cn_write_proc_file_at(int dirfd, const char *path, const char *text);

/// Writes the whole of `text` to `path` in one write, or returns -1 with errno (EXDEV: the
/// file is not on procfs).
int cn_write_proc_file(const char *path, const char *text) { return cn_write_proc_file_at(AT_FDCWD, path, text); }

/// cn_write_proc_file with `path` relative to the directory `dirfd` (a /proc/PID opened earlier).
int cn_write_proc_file_at(int dirfd, const char *path, const char *text) {
    int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    // Only ever write to procfs: something mounted over /proc must not catch the write.
    if (cn_fd_is_procfs(fd) != 1) {
        close(fd);
        errno = EXDEV;
        return -1;
    }
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int saved = errno;
    close(fd);
    if (written == (ssize_t)length) return 0;
    errno = written < 0 ? saved : EIO;
    return -1;
}

int cn_write_time_offsets(const struct cn_plan *plan) {
    if (!plan->time_offsets) return 0;
    // Must happen before any process is in the new time namespace: time_namespaces(7).
    return cn_write_proc_file("/proc/self/timens_offsets", plan->time_offsets);
}

/// Makes a mount read-only with its submounts; before Linux 5.12, only the mount itself,
/// keeping the flags a user namespace may not clear (nosuid, nodev, noexec).
static int make_read_only(const char *target) {
    struct cn_mount_attr attr = {cn_mount_attr_rdonly, 0, 0, 0};
    if (syscall(SYS_mount_setattr, AT_FDCWD, target, cn_at_recursive, &attr, sizeof attr) == 0) return 0;
    if (errno != ENOSYS) return -1;
    struct statvfs info;
    if (statvfs(target, &info) != 0) return -1;
    unsigned long keep = info.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
    return mount((const char *)0, target, (const char *)0, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, (const void *)0);
}

/// Makes the detached tree `tree` (from open_tree) read-only with its submounts, before it
/// is attached: then it is the new mount that is read-only even on "/", where a path would
/// name the mount underneath.
static int make_tree_read_only(int tree) {
    struct cn_mount_attr attr = {cn_mount_attr_rdonly, 0, 0, 0};
    return (int)syscall(SYS_mount_setattr, tree, "", cn_at_recursive | AT_EMPTY_PATH, &attr, sizeof attr);
}

/// Creates the missing directories above `path` (mode 0755), as mkdir -p; 0, or -1 with errno.
static int make_parents(const char *path) {
    char buffer[4096];
    size_t length = strlen(path);
    if (length >= sizeof buffer) { errno = ENAMETOOLONG; return -1; }
    memcpy(buffer, path, length + 1);
    for (size_t i = 1; i < length; i++) {
        if (buffer[i] != '/') continue;
        buffer[i] = 0;
        int made = mkdir(buffer, 0755) == 0 || errno == EEXIST;
        buffer[i] = '/';
        if (!made) return -1;
    }
    return 0;
}

/// Creates what `m` asks for at its target (a directory, an empty file, a symbolic link);
/// one that is there already is kept. 0, or -1 with errno.
static int create_target(const struct cn_mount *m) {
    if (m->create != CN_CREATE_NONE && make_parents(m->target) != 0) return -1;
    switch (m->create) {
    case CN_CREATE_DIRECTORY:
    case CN_CREATE_DIRECTORY_ONLY:
        return mkdir(m->target, 0755) == 0 || errno == EEXIST ? 0 : -1;
    case CN_CREATE_FILE: {
        int fd = open(m->target, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) close(fd);
        return fd >= 0 || errno == EEXIST || errno == EISDIR ? 0 : -1;
    }
    case CN_CREATE_SYMLINK:
        return symlink(m->source, m->target) == 0 ? 0 : -1;
    default:
        return 0;
    }
}

/// Closes the fds of `fds` that are open, keeping errno.
static void close_all(const int *fds, int count) {
    int saved = errno;
    for (int i = 0; i < count; i++)
        if (fds[i] >= 0) close(fds[i]);
    errno = saved;
}

/// Writes "/proc/self/fd/N" into `out` (32 bytes), without stdio.
static void fd_path(char *out, int fd) {
    static const char prefix[] = "/proc/self/fd/";
    char digits[12];
    int count = 0;
    do { digits[count++] = (char)('0' + fd % 10); fd /= 10; } while (fd > 0);
    memcpy(out, prefix, sizeof prefix - 1);
    for (int i = 0; i < count; i++) out[sizeof prefix - 1 + i] = digits[count - 1 - i];
    out[sizeof prefix - 1 + count] = 0;
}

/// Returns 0, or the failing step with errno set; *index names the failing mount.
int cn_set_up_mounts(const struct cn_plan *plan, int *index) {
    if (plan->propagation &&
        mount((const char *)0, "/", (const char *)0, MS_REC | plan->propagation, (const void *)0) != 0)
        return CN_STEP_PROPAGATION;
    if (plan->new_root && plan->root_mode == CN_ROOT_PIVOT &&
        mount(plan->new_root, plan->new_root, (const char *)0, MS_BIND | MS_REC, (const void *)0) != 0) {
        // pivot_root needs the new root to be a mount point: bind it onto itself.
        *index = -1;
        return CN_STEP_NEW_ROOT;
    }
    // With locked mounts and no new root, the root moves onto a mount on "/" (a new user
    // namespace is refused to a process whose root is covered: it counts as chrooted), and
    // the working directory onto what is mounted on its path at the end.
    char cwd[4096];
    int reroot = plan->lock_mounts && !plan->new_root;
    if (reroot && (syscall(SYS_getcwd, cwd, sizeof cwd) <= 0 || cwd[0] != '/')) cwd[0] = 0;
    // Take every bind source first, as detached copies (open_tree, Linux 5.2): a source means
    // what it meant when the sandbox started, even if an earlier mount (a private /tmp) covers it.
    int trees[CN_MAX_MOUNTS];
    int detached[CN_MAX_MOUNTS];
    if (plan->mount_count > CN_MAX_MOUNTS) { errno = E2BIG; *index = 0; return CN_STEP_MOUNT; }
    for (int i = 0; i < plan->mount_count; i++) {
        const struct cn_mount *m = &plan->mounts[i];
        trees[i] = -1;
        detached[i] = 0;
        if (m->fstype || m->create >= CN_CREATE_SYMLINK) continue;
        unsigned int flags = cn_open_tree_clone | O_CLOEXEC | ((m->flags & MS_REC) ? cn_at_recursive : 0);
        trees[i] = (int)syscall(SYS_open_tree, AT_FDCWD, m->source, flags);
        detached[i] = trees[i] >= 0;
        // Before Linux 5.2: pin the source with an O_PATH fd, bound later through /proc/self/fd.
        if (trees[i] < 0 && errno == ENOSYS) trees[i] = open(m->source, O_PATH | O_CLOEXEC);
        if (trees[i] < 0) { *index = i; close_all(trees, i); return CN_STEP_MOUNT; }
    }
    for (int i = 0; i < plan->mount_count; i++) {
        const struct cn_mount *m = &plan->mounts[i];
        *index = i;
        if (create_target(m) != 0) { close_all(trees + i, plan->mount_count - i); return CN_STEP_MOUNT; }
        if (m->create >= CN_CREATE_SYMLINK) continue;   // a link or a directory, no mount
        int failed;
        if (m->fstype) {
            failed = mount(m->source, m->target, m->fstype, m->flags, m->data) != 0;
        } else if (detached[i]) {
            failed = (m->read_only && make_tree_read_only(trees[i]) != 0) ||
                syscall(SYS_move_mount, trees[i], "", AT_FDCWD, m->target, cn_move_mount_f_empty_path) != 0;
        } else {
            char source[32];
            fd_path(source, trees[i]);
            failed = mount(source, m->target, (const char *)0, m->flags, m->data) != 0;
        }
        if (failed) { close_all(trees + i, plan->mount_count - i); return CN_STEP_MOUNT; }
        if (trees[i] >= 0) close(trees[i]);
        // By path too where the tree was not detached, and on "/" unless the root moves onto the
        // new mount (reroot): a process whose root stays underneath sees that one.
        int on_root = m->target[0] == '/' && m->target[1] == 0;
        if (m->read_only && (!detached[i] || (on_root && !reroot)) && make_read_only(m->target) != 0) return CN_STEP_MOUNT;
        // The later targets are then resolved in the new "/", as the command will see them.
        if (on_root && reroot) {
            *index = CN_LOCK_REROOT;
            // "/.." steps onto the topmost mount on "/"; "/" itself would stay on the one underneath.
            if (chdir("/..") != 0 || chroot(".") != 0) return CN_STEP_LOCK_MOUNTS;
        }
    }
    // The working directory too: a covered one would still reach the writable mount under a
    // read-only one.
    if (reroot && (!cwd[0] || chdir(cwd) != 0)) chdir("/");
    if (plan->new_root) {
        *index = -1;
        if (chdir(plan->new_root) != 0) return CN_STEP_NEW_ROOT;
        if (plan->root_mode == CN_ROOT_PIVOT) {
            // pivot_root(".", "."), then detach the old root stacked under the new one.
            if (cn_pivot_root(".", ".") != 0) return CN_STEP_NEW_ROOT;
            if (umount2(".", MNT_DETACH) != 0) return CN_STEP_NEW_ROOT;
        } else if (chroot(".") != 0) {
            return CN_STEP_NEW_ROOT;
        }
        if (chdir("/") != 0) return CN_STEP_NEW_ROOT;
    }
    return 0;
}

int cn_set_up_names_and_network(const struct cn_plan *plan) {
    if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) != 0) return CN_STEP_HOSTNAME;
    if (plan->domainname && setdomainname(plan->domainname, strlen(plan->domainname)) != 0)
        return CN_STEP_DOMAINNAME;
    if (plan->loopback_up) {
        int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0) return CN_STEP_LOOPBACK;
        struct ifreq request;
        memset(&request, 0, sizeof request);
        memcpy(request.ifr_name, "lo", 3);
        int failed = ioctl(sock, SIOCGIFFLAGS, &request) != 0;
        if (!failed) {
            request.ifr_flags |= IFF_UP | IFF_RUNNING;
            failed = ioctl(sock, SIOCSIFFLAGS, &request) != 0;
        }
        int saved = errno;
        close(sock);
        errno = saved;
        if (failed) return CN_STEP_LOOPBACK;
    }
    return 0;
}

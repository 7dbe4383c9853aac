// The environment inside the namespaces: time offsets, mounts, a new root, hostname, loopback.
// Runs in the child after clone: raw system calls only (child_calls.h says why).
#define _GNU_SOURCE
#include "CNamespaces.h"
#include "CNamespacesSpawn.h"
#include "child_calls.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

CN_CHILD_CODE_BEGIN

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

/// Writes the whole of `text` in one write to `path` (relative to `dirfd`), which must be on
/// a file system whose statfs(2) type is `magic`: something mounted over it must not catch the
/// write. Returns 0, or -1 with errno (EXDEV: the file is on another file system).
static int write_whole_file_on(int dirfd, const char *path, const char *text, long magic) {
    int fd = (int)syscall(SYS_openat, dirfd, path, O_WRONLY | O_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct statfs info;
    int failed = sys_fstatfs(fd, &info) != 0;
    if (!failed && (long)info.f_type != magic) {
        failed = 1;
        errno = EXDEV;
    }
    if (failed) {
        int saved = errno;
        sys_close(fd);
        errno = saved;
        return -1;
    }
    size_t length = cn_length(text);
    ssize_t written = sys_write(fd, text, length);
    int saved = errno;
    sys_close(fd);
    if (written == (ssize_t)length) return 0;
    errno = written < 0 ? saved : EIO;
    return -1;
}

/// Writes the whole of `text` to `path` in one write, or returns -1 with errno (EXDEV: the
/// file is not on procfs).
int cn_write_proc_file(const char *path, const char *text) { return cn_write_proc_file_at(AT_FDCWD, path, text); }

/// cn_write_proc_file with `path` relative to the directory `dirfd` (a /proc/PID opened earlier).
int cn_write_proc_file_at(int dirfd, const char *path, const char *text) {
    return write_whole_file_on(dirfd, path, text, CN_PROC_SUPER_MAGIC);
}

int cn_write_time_offsets(const struct cn_plan *plan) {
    if (!plan->time_offsets) return 0;
    // Must happen before any process is in the new time namespace: time_namespaces(7).
    return cn_write_proc_file("/proc/self/timens_offsets", plan->time_offsets);
}

/// Remounts the mount at `target` alone with `flags` (MS_RDONLY, MS_NOSUID, ...) added, keeping
/// the flags it has: a user namespace may not clear the locked ones (nosuid, nodev, noexec).
static int remount_adding(const char *target, unsigned long flags) {
    struct statfs info;
    if (sys_statfs(target, &info) != 0) return -1;
    // statfs(2)'s f_flags are statvfs(3)'s ST_* flags.
    unsigned long keep = (unsigned long)info.f_flags &
                         (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
    return sys_mount((const char *)0, target, (const char *)0, MS_REMOUNT | MS_BIND | flags | keep, (const void *)0);
}

/// One line of /proc/self/mountinfo: the mount's id, its parent's, and its mount point.
typedef int (*mount_visitor)(void *context, long id, long parent, const char *point);

/// Calls `visit` for each line of /proc/self/mountinfo (read in pieces, the mount point
/// unescaped: no allocation here) until it returns non-zero; returns that, or -1 with errno.
static int each_mount(mount_visitor visit, void *context) {
    int fd = sys_open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char chunk[4096], point[4096];
    size_t length = 0;
    int field = 0, escaped = 0, overflow = 0, result = 0;
    long numbers[2];
    numbers[0] = numbers[1] = 0;  // not "= {0, 0}": that is a call to memset at -O0
    unsigned code = 0;
    while (result == 0) {
        ssize_t n = sys_read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { result = n < 0 ? -1 : 0; break; }
        for (ssize_t i = 0; i < n && result == 0; i++) {
            char ch = chunk[i];
            if (ch == '\n' || ch == ' ') {
                // Fields: id, parent id, major:minor, root, mount point, ...
                if (ch == ' ' && field == 4) {
                    point[length] = 0;
                    if (!overflow) result = visit(context, numbers[0], numbers[1], point);
                }
                field = ch == '\n' ? 0 : field + 1;
                if (field == 0) numbers[0] = numbers[1] = 0;
                length = 0;
                escaped = overflow = 0;
                continue;
            }
            if (field < 2) numbers[field] = numbers[field] * 10 + (ch - '0');
            if (field != 4) continue;
            // Space, tab, newline and backslash are written as \NNN (octal).
            if (escaped > 0) {
                code = code * 8 + (unsigned)(ch - '0');
                if (++escaped < 4) continue;
                ch = (char)code;
                escaped = 0;
            } else if (ch == '\\') {
                escaped = 1;
                code = 0;
                continue;
            }
            if (length + 1 < sizeof point) point[length++] = ch; else overflow = 1;
        }
    }
    int saved = errno;
    sys_close(fd);
    errno = saved;
    return result;
}

/// The submounts of one mount: its id first, then every mount whose parent is in the list
/// (32 KiB of the child's 256 KiB stack; more submounts fail the step with E2BIG), and the
/// flags each gets.
struct submounts {
    const char *target;
    unsigned long flags;
    long ids[4096];
    int count;
};

/// Remembers the id of the last (topmost) mount on the target.
static int find_target(void *context, long id, long parent, const char *point) {
    (void)parent;
    struct submounts *tree = context;
    if (cn_same(point, tree->target)) { tree->ids[0] = id; tree->count = 1; }
    return 0;
}

/// Remounts a mount whose parent is in the tree with the tree's flags, and adds it to the
/// tree. (A child comes after its parent in mountinfo: a bind's copies are appended in tree
/// order.)
static int remount_child(void *context, long id, long parent, const char *point) {
    struct submounts *tree = context;
    for (int i = 0; i < tree->count; i++) {
        if (tree->ids[i] != parent) continue;
        if (tree->count == (int)(sizeof tree->ids / sizeof tree->ids[0])) { errno = E2BIG; return -1; }
        tree->ids[tree->count++] = id;
        return remount_adding(point, tree->flags) != 0 ? -1 : 0;
    }
    return 0;
}

/// Remounts every mount below the one on `target` with `flags` added, one by one: those hidden
/// under it (mounted on the same paths before it) are not its children and stay as they are.
static int remount_submounts_adding(const char *target, unsigned long flags) {
    struct submounts tree;
    tree.target = target;
    tree.flags = flags;
    tree.count = 0;
    if (each_mount(find_target, &tree) != 0) return -1;
    if (tree.count == 0) { errno = ENOENT; return -1; }
    return each_mount(remount_child, &tree);
}

/// Makes a mount read-only (with `read_only`) and adds MS_NOSUID/MS_NODEV/MS_NOEXEC of
/// `restrict_flags`, submounts included: with mount_setattr (Linux 5.12) in one call, before it
/// each mount by itself.
static int restrict_mount(const char *target, int read_only, unsigned long restrict_flags) {
    // MOUNT_ATTR_RDONLY 0x1, _NOSUID 0x2, _NODEV 0x4, _NOEXEC 0x8: mount_setattr(2).
    uint64_t set = (read_only ? cn_mount_attr_rdonly : 0) | ((restrict_flags & MS_NOSUID) ? 0x2 : 0) |
                   ((restrict_flags & MS_NODEV) ? 0x4 : 0) | ((restrict_flags & MS_NOEXEC) ? 0x8 : 0);
    // Field by field: this initializer with a variable compiles to a call to memset at -O0.
    struct cn_mount_attr attr;
    attr.attr_set = set;
    attr.attr_clr = 0;
    attr.propagation = 0;
    attr.userns_fd = 0;
    if (syscall(SYS_mount_setattr, AT_FDCWD, target, cn_at_recursive, &attr, sizeof attr) == 0) return 0;
    if (errno != ENOSYS) return -1;
    unsigned long flags = (read_only ? MS_RDONLY : 0) | (restrict_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC));
    if (remount_adding(target, flags) != 0) return -1;
    return remount_submounts_adding(target, flags);
}

/// Hides what is at `target` (OCI's maskedPaths): an empty read-only tmpfs over a directory,
/// /dev/null bound read-only over anything else. Returns 1 when `if_exists` and it is missing.
static int mask(const char *target, int if_exists) {
    struct stat info;
    if (sys_stat(target, &info) != 0) return if_exists && errno == ENOENT ? 1 : -1;
    if (S_ISDIR(info.st_mode))
        return sys_mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555");
    if (sys_mount("/dev/null", target, (const char *)0, MS_BIND, (const void *)0) != 0) return -1;
    return restrict_mount(target, 1, 0);
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
    size_t length = cn_length(path);
    if (length >= sizeof buffer) { errno = ENAMETOOLONG; return -1; }
    // Read as cn_length reads: a plain copy loop compiles to memcpy, which the child must not call.
    for (size_t i = 0; i <= length; i++) buffer[i] = ((const volatile char *)path)[i];
    for (size_t i = 1; i < length; i++) {
        if (buffer[i] != '/') continue;
        buffer[i] = 0;
        int made = sys_mkdir(buffer, 0755) == 0 || errno == EEXIST;
        buffer[i] = '/';
        if (!made) return -1;
    }
    return 0;
}

/// Creates what `m` asks for at its target (a directory, an empty file, a symbolic link) with
/// the directories above it; one that is there already is kept. 0, or -1 with errno.
static int create_target(const struct cn_mount *m) {
    if (m->create != CN_CREATE_NONE && make_parents(m->target) != 0) return -1;
    switch (m->create) {
    case CN_CREATE_DIRECTORY:
    case CN_CREATE_DIRECTORY_ONLY:
        return sys_mkdir(m->target, 0755) == 0 || errno == EEXIST ? 0 : -1;
    case CN_CREATE_FILE: {
        int fd = (int)syscall(SYS_openat, AT_FDCWD, m->target, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) sys_close(fd);
        return fd >= 0 || errno == EEXIST || errno == EISDIR ? 0 : -1;
    }
    case CN_CREATE_SYMLINK:
        return syscall(SYS_symlinkat, m->source, AT_FDCWD, m->target) == 0 ? 0 : -1;
    default:
        return 0;
    }
}

/// Closes the fds of `fds` that are open, keeping errno.
static void close_all(const int *fds, int count) {
    int saved = errno;
    for (int i = 0; i < count; i++)
        if (fds[i] >= 0) sys_close(fds[i]);
    errno = saved;
}

/// Writes "/proc/self/fd/N" into `out` (32 bytes), without stdio.
static void fd_path(char *out, int fd) {
    static const char prefix[] = "/proc/self/fd/";
    char digits[12];
    int count = 0;
    do { digits[count++] = (char)('0' + fd % 10); fd /= 10; } while (fd > 0);
    for (unsigned i = 0; i < sizeof prefix - 1; i++) out[i] = prefix[i];
    for (int i = 0; i < count; i++) out[sizeof prefix - 1 + i] = digits[count - 1 - i];
    out[sizeof prefix - 1 + count] = 0;
}

/// binfmt_misc's magic number (statfs(2)): rules are written only to a binfmt_misc.
static const long cn_binfmtfs_magic = 0x42494e4d;

/// Returns 0, or the failing step with errno set; *index names the failing mount (the
/// failing binfmt rule for CN_STEP_BINFMT).
int cn_set_up_mounts(const struct cn_plan *plan, int *index) {
    if (plan->propagation &&
        sys_mount((const char *)0, "/", (const char *)0, MS_REC | plan->propagation, (const void *)0) != 0)
        return CN_STEP_PROPAGATION;
    if (plan->new_root && plan->root_mode == CN_ROOT_PIVOT &&
        sys_mount(plan->new_root, plan->new_root, (const char *)0, MS_BIND | MS_REC, (const void *)0) != 0) {
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
        if (m->fstype || m->mask || m->rebind || m->create >= CN_CREATE_SYMLINK) continue;
        unsigned int flags = cn_open_tree_clone | O_CLOEXEC | ((m->flags & MS_REC) ? cn_at_recursive : 0);
        trees[i] = (int)syscall(SYS_open_tree, AT_FDCWD, m->source, flags);
        detached[i] = trees[i] >= 0;
        // Before Linux 5.2: pin the source with an O_PATH fd, bound later through /proc/self/fd.
        if (trees[i] < 0 && errno == ENOSYS) trees[i] = sys_open(m->source, O_PATH | O_CLOEXEC);
        // A missing source of an if-exists bind: the mount is skipped (detached -1).
        if (trees[i] < 0 && m->if_exists && errno == ENOENT) { detached[i] = -1; continue; }
        if (trees[i] < 0) { *index = i; close_all(trees, i); return CN_STEP_MOUNT; }
    }
    for (int i = 0; i < plan->mount_count; i++) {
        const struct cn_mount *m = &plan->mounts[i];
        *index = i;
        if (m->if_exists && (detached[i] < 0 || (!m->mask && !sys_exists(m->target) && errno == ENOENT))) {
            if (trees[i] >= 0) sys_close(trees[i]);
            continue;
        }
        if (create_target(m) != 0) { close_all(trees + i, plan->mount_count - i); return CN_STEP_MOUNT; }
        if (m->create >= CN_CREATE_SYMLINK) continue;   // a link or a directory, no mount
        int failed;
        if (m->mask) {
            if (mask(m->target, m->if_exists) < 0) { close_all(trees + i, plan->mount_count - i); return CN_STEP_MOUNT; }
            continue;
        } else if (m->rebind) {
            failed = sys_mount(m->target, m->target, (const char *)0, MS_BIND | MS_REC, (const void *)0) != 0;
        } else if (m->fstype) {
            failed = sys_mount(m->source, m->target, m->fstype, m->flags, m->data) != 0;
        } else if (detached[i]) {
            // Read-only before it is attached; without mount_setattr (ENOSYS), by path below.
            if (m->read_only && make_tree_read_only(trees[i]) != 0) {
                if (errno != ENOSYS) { close_all(trees + i, plan->mount_count - i); return CN_STEP_MOUNT; }
                detached[i] = 2;
            }
            failed = syscall(SYS_move_mount, trees[i], "", AT_FDCWD, m->target, cn_move_mount_f_empty_path) != 0;
        } else {
            char source[32];
            fd_path(source, trees[i]);
            failed = sys_mount(source, m->target, (const char *)0, m->flags, m->data) != 0;
        }
        if (failed) { close_all(trees + i, plan->mount_count - i); return CN_STEP_MOUNT; }
        if (trees[i] >= 0) sys_close(trees[i]);
        // Read-only by path too where the tree was not detached or could not be made read-only
        // detached (2), and on "/" unless the root moves onto the new mount (reroot): a process
        // whose root stays underneath sees that one.
        int on_root = m->target[0] == '/' && m->target[1] == 0;
        int read_only_by_path = m->read_only && (detached[i] != 1 || (on_root && !reroot));
        if ((read_only_by_path || m->restrict_flags) && restrict_mount(m->target, read_only_by_path, m->restrict_flags) != 0) {
            close_all(trees + i + 1, plan->mount_count - i - 1);
            return CN_STEP_MOUNT;
        }
        // The later targets are then resolved in the new "/", as the command will see them.
        if (on_root && reroot) {
            *index = CN_LOCK_REROOT;
            // "/.." steps onto the topmost mount on "/"; "/" itself would stay on the one underneath.
            if (sys_chdir("/..") != 0 || sys_chroot(".") != 0) {
                close_all(trees + i + 1, plan->mount_count - i - 1);
                return CN_STEP_LOCK_MOUNTS;
            }
        }
    }
    // The working directory too: a covered one would still reach the writable mount under a
    // read-only one.
    if (reroot && (!cwd[0] || sys_chdir(cwd) != 0)) sys_chdir("/");
    for (int i = 0; i < plan->binfmt_rule_count; i++) {
        *index = i;
        if (write_whole_file_on(AT_FDCWD, plan->binfmt_register, plan->binfmt_rules[i], cn_binfmtfs_magic) != 0) return CN_STEP_BINFMT;
    }
    if (plan->new_root) {
        *index = -1;
        if (sys_chdir(plan->new_root) != 0) return CN_STEP_NEW_ROOT;
        if (plan->root_mode == CN_ROOT_PIVOT) {
            // pivot_root(".", "."), then detach the old root stacked under the new one.
            if (cn_pivot_root(".", ".") != 0) return CN_STEP_NEW_ROOT;
            if (sys_umount2(".", MNT_DETACH) != 0) return CN_STEP_NEW_ROOT;
        } else if (sys_chroot(".") != 0) {
            return CN_STEP_NEW_ROOT;
        }
        if (sys_chdir("/") != 0) return CN_STEP_NEW_ROOT;
        // The root itself, not what is mounted on it (/proc, a tmpfs), as runc's readonly root.
        if (plan->root_read_only && remount_adding("/", MS_RDONLY) != 0) return CN_STEP_NEW_ROOT;
    }
    return 0;
}

int cn_set_up_names_and_network(const struct cn_plan *plan) {
    if (plan->hostname && sys_sethostname(plan->hostname, cn_length(plan->hostname)) != 0) return CN_STEP_HOSTNAME;
    if (plan->domainname && sys_setdomainname(plan->domainname, cn_length(plan->domainname)) != 0)
        return CN_STEP_DOMAINNAME;
    if (plan->loopback_up) {
        int sock = sys_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0) return CN_STEP_LOOPBACK;
        // SIOCGIFFLAGS reads the name and writes the flags: nothing else needs clearing.
        struct ifreq request;
        request.ifr_name[0] = 'l';
        request.ifr_name[1] = 'o';
        request.ifr_name[2] = 0;
        int failed = sys_ioctl(sock, SIOCGIFFLAGS, &request) != 0;
        if (!failed) {
            request.ifr_flags |= IFF_UP | IFF_RUNNING;
            failed = sys_ioctl(sock, SIOCSIFFLAGS, &request) != 0;
        }
        int saved = errno;
        sys_close(sock);
        errno = saved;
        if (failed) return CN_STEP_LOOPBACK;
    }
    return 0;
}

CN_CHILD_CODE_END

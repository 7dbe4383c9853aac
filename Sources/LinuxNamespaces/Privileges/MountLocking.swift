/// When a sandbox locks its mounts: after the mounts (and the new root) are set up, the
/// command's process enters a nested user and mount namespace, mapping the same ids through.
/// The kernel then locks every mount the nested mount namespace inherits (mount_namespaces(7),
/// "restrictions on mount namespaces"): a read-only flag cannot be cleared, a mount cannot be
/// unmounted to reveal what is under it, proc cannot be mounted again (the pid namespace
/// belongs to the outer user namespace), nor the hostname changed. A command that keeps
/// `CAP_SYS_ADMIN` may still mount over a locked mount (which leaves it as it is underneath);
/// one without it may not mount at all.
///
/// Where the maps leave out the caller's own ids (root mapping `0:100000:1000`), the child
/// first becomes `uid` and `gid`, or the first mapped ids: the kernel gives a nested user
/// namespace only to mapped ids (unlocked, the command would run as the overflow id 65534).
///
/// Needs a new user namespace with id maps (`Sandbox/userMapping`), a new mount namespace,
/// and no `chroot` root mode (the kernel refuses a new user namespace to a chrooted process or
/// to unmapped ids).
public enum MountLocking: Sendable, Hashable {
    /// Locked when there is a read-only mount (a read-only bind or tmpfs, or `/` bound
    /// read-only) in a new user and mount namespace with id maps, without a chroot. The default: a sandbox
    /// with no read-only mount (`unshare -r`) is set up exactly as before.
    case whenReadOnly
    /// Locked whenever there is a new user and mount namespace (refused with `RootMode.chroot`).
    case always
    /// Never locked: a command with `CAP_SYS_ADMIN` can remount a read-only mount writable.
    case never
}

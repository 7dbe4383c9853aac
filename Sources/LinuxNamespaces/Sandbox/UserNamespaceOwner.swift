import Glibc

/// The user that owns a new user namespace: the one with every capability in it, who may
/// enter it with setns(2) (user_namespaces(7)). The kernel makes the creator's effective ids
/// the owner, so the child takes these ids, without supplementary groups, just before it
/// creates the namespace, as `unshare --owner UID:GID` does; that needs root (`CAP_SETUID`,
/// `CAP_SETGID`), and the id maps are then written by the caller.
public struct UserNamespaceOwner: Sendable, Hashable {
    /// The owner's uid.
    public var uid: uid_t
    /// The gid the creator has, which the namespace records as its group.
    public var gid: gid_t

    /// The owner `uid`, with group `gid`.
    public init(uid: uid_t, gid: gid_t) {
        self.uid = uid
        self.gid = gid
    }
}

import Glibc
import LinuxNamespaces

extension RunOptions {
    /// -r, -c or --map-group alone on the gid side: a one-gid map written with setgroups denied,
    /// as unshare does (with gid blocks or another owner it is written from outside instead).
    var writesOneGIDWithSetgroupsDenied: Bool {
        mapGroups.isEmpty && !mapAuto && !mapSubids && owner == nil && (mapRootUser || mapCurrentUser || mapGroup != nil)
    }

    /// Why -G's setgroups(0, NULL) was refused (EPERM) in `box`, in these options' terms, and
    /// what works instead; nil where nsbox cannot tell (the library's line stands). unshare
    /// master fails the same way: it drops the groups before setgid.
    /// `uid`, `gid`: the caller's effective ids, taken before any namespace was entered.
    func setgroupsRefusal(in box: Sandbox, uid: uid_t, gid: gid_t) -> Failure? {
        guard let target = setGID else { return nil }
        let drops = "--setgid: -G drops the supplementary groups with setgroups(2) as unshare does"
        // What maps the gids with setgroups allowed: root writes the map itself; anyone else
        // needs newgidmap and a range of /etc/subgid.
        let mapGIDs = uid == 0 ? "--map-groups=\(target):\(gid):1" : "--map-groups=auto (your /etc/subgid range, through newgidmap)"
        guard box.create.contains(.user) else {
            guard uid != 0 && !box.joins.contains(where: { $0.kind == .user }) else { return nil }
            return Failure(message: "\(drops), which needs CAP_SETGID; run as root, or in a new user namespace with \(mapGIDs)")
        }
        // An OCI config's maps are its own: nothing to say in these options' terms.
        guard config == nil else { return nil }
        let cause: String
        var fix = mapGIDs
        if setgroups == .deny {
            return Failure(message: "\(drops), which --setgroups deny forbids; leave out one of the two")
        } else if writesOneGIDWithSetgroupsDenied {
            let option = mapGroup != nil ? "--map-group" : mapCurrentUser ? "-c/--map-current-user" : "-r/--map-root-user"
            cause = "setgroups is denied in this user namespace (\(option) writes its one-gid map after setgroups deny)"
        } else if sandbox && box.userMapping == .root && !mapRootUser {
            cause = "setgroups is denied in this user namespace (--sandbox maps you to root with a one-gid map after setgroups deny)"
            fix = "-r " + mapGIDs
        } else if uid != 0 && !mapGroups.isEmpty && !mapAuto && !mapSubids
            && mapGroups.allSatisfy({ (try? mapBlock($0, option: ""))?.outside == gid }) {
            cause = "setgroups is denied in this user namespace (a gid map of your own gid alone is written after setgroups deny, as newgidmap does)"
        } else if mapGroups.isEmpty && !mapAuto && !mapSubids && mapGroup == nil && !mapRootUser && !mapCurrentUser
            && box.userMapping != .root {
            cause = "this user namespace has no gid map, without which setgroups(2) is refused"
        } else {
            return nil
        }
        return Failure(message: "\(drops), but \(cause); map the gids with \(fix) instead, or leave out -G")
    }
}

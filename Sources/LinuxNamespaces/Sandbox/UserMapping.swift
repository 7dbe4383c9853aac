import Glibc

/// How the ids of a new user namespace map to the caller's.
public enum UserMapping: Sendable, Hashable {
    /// The caller's uid and gid become 0 inside; setgroups is denied (`unshare -r`).
    case root
    /// The caller's uid and gid map to themselves (`unshare -c`); setgroups is denied.
    case currentUser
    /// The caller's uid and gid become `uid` and `gid` inside (`unshare --map-user --map-group`);
    /// setgroups is denied.
    case user(uid: uid_t, gid: gid_t)
    /// Explicit maps. Maps beyond the caller's own ids need root, or newuidmap(1) and
    /// newgidmap(1) with entries in `/etc/subuid` and `/etc/subgid`, which are used when the
    /// caller is not root. `setgroups` nil means deny for a one-line map of the caller's own
    /// gid written by an ordinary user, and leave the kernel's default otherwise.
    case maps(uid: IDMap, gid: IDMap, setgroups: SetgroupsPolicy? = nil)
    /// The caller's first subordinate id ranges from `/etc/subuid` and `/etc/subgid`, mapped
    /// from 0 inside (`unshare --map-auto`), written with newuidmap(1) and newgidmap(1).
    case subordinateIDs
    /// The caller's uid at `uid` and gid at `gid` inside, and its first subordinate ranges on
    /// the other ids from 0 (`unshare --map-auto` with `-r`, `-c`, `--map-user` or
    /// `--map-group`); nil leaves that map to the range alone, as `subordinateIDs`. The same as
    /// `.ranges(uid: [.subordinateIDs], gid: [.subordinateIDs], callerUID: uid, callerGID: gid)`.
    case subordinateIDsAndCaller(uid: uid_t?, gid: gid_t?)
    /// Blocks of ids as util-linux master's unshare takes them from `--map-users` and
    /// `--map-groups` (each `IDRange`, in order), with the caller's own uid at `callerUID` and
    /// gid at `callerGID` inside when given (its `-r`, `-c`, `--map-user`, `--map-group`), laid
    /// out as unshare does: the caller's id first, each block split around it. A side with
    /// neither blocks nor a caller id is left unwritten. Root writes the maps itself, anyone
    /// else through newuidmap(1) and newgidmap(1).
    case ranges(uid: [IDRange], gid: [IDRange], callerUID: uid_t? = nil, callerGID: gid_t? = nil, setgroups: SetgroupsPolicy? = nil)
    /// No id maps (every id is the overflow id inside, as `unshare -U`), only setgroups(2)
    /// allowed or denied (`unshare -U --setgroups deny`).
    case unmapped(setgroups: SetgroupsPolicy)
}

/// A mapping made concrete for the caller: the maps (nil for none), the setgroups policy, and
/// whether the setuid helpers must write them.
struct ResolvedMapping: Sendable {
    var uidMap: IDMap?
    var gidMap: IDMap?
    var setgroups: SetgroupsPolicy?
    var useHelpers: Bool
}

extension ResolvedMapping {
    /// Whether the new user namespace's first process may write these maps itself: one line of
    /// count 1 mapping the caller's own euid, the same for its egid with setgroups "deny" before
    /// it (user_namespaces(7)), or no map on a side. The `root`, `currentUser` and `user`
    /// mappings are such maps, and `ranges` of the caller's ids alone.
    func writableFromInside(uid: uid_t, gid: gid_t) -> Bool {
        if uidMap == nil && gidMap == nil { return !useHelpers }
        func own(_ map: IDMap?, _ id: UInt32) -> Bool {
            guard let map else { return true }
            return map.mappings.count == 1 && map.mappings[0].outside == id && map.mappings[0].count == 1
        }
        return !useHelpers && (gidMap == nil || setgroups == .deny) && own(uidMap, uid) && own(gidMap, gid)
    }
}

extension UserMapping {
    /// The maps for a caller with effective ids `uid`/`gid`.
    func resolve(uid: uid_t, gid: gid_t) throws(SandboxError) -> ResolvedMapping {
        func own(_ inside: uid_t, _ insideGID: gid_t) throws(SandboxError) -> ResolvedMapping {
            do {
                return ResolvedMapping(
                    uidMap: try IDMap(inside: inside, outside: uid),
                    gidMap: try IDMap(inside: insideGID, outside: gid), setgroups: .deny, useHelpers: false)
            } catch {
                throw SandboxError(invalid: "userMapping", error.description)
            }
        }
        switch self {
        case .root: return try own(0, 0)
        case .currentUser: return try own(uid, gid)
        case .user(let inside, let insideGID): return try own(inside, insideGID)
        case .maps(let uidMap, let gidMap, let setgroups):
            let onlySelf = uidMap.mappings == [IDMapping(inside: uidMap.mappings[0].inside, outside: uid)]
                && gidMap.mappings == [IDMapping(inside: gidMap.mappings[0].inside, outside: gid)]
            if uid != 0, setgroups == .allow, onlySelf {
                throw SandboxError(
                    invalid: "userMapping",
                    "setgroups 'allow' with a gid map an ordinary user writes itself: the kernel refuses it",
                    hint: "use setgroups deny, or run as root")
            }
            return ResolvedMapping(
                uidMap: uidMap, gidMap: gidMap,
                setgroups: setgroups ?? (uid != 0 && onlySelf ? .deny : nil),
                useHelpers: uid != 0 && !onlySelf)
        case .unmapped(let setgroups):
            return ResolvedMapping(uidMap: nil, gidMap: nil, setgroups: setgroups, useHelpers: false)
        case .subordinateIDs:
            return try UserMapping.ranges(uid: [.subordinateIDs], gid: [.subordinateIDs]).resolve(uid: uid, gid: gid)
        case .subordinateIDsAndCaller(let insideUID, let insideGID):
            return try UserMapping.ranges(uid: [.subordinateIDs], gid: [.subordinateIDs], callerUID: insideUID, callerGID: insideGID)
                .resolve(uid: uid, gid: gid)
        case .ranges(let uidRanges, let gidRanges, let callerUID, let callerGID, let setgroups):
            let name = userName(uid) ?? String(uid)
            let uidBlocks = try IDLayout.blocks(uidRanges, user: name, id: uid, subordinateFile: "/etc/subuid", ownMapFile: "/proc/self/uid_map")
            let gidBlocks = try IDLayout.blocks(gidRanges, user: name, id: uid, subordinateFile: "/etc/subgid", ownMapFile: "/proc/self/gid_map")
            // A side without blocks is the caller's one id alone (written with setgroups
            // denied, as unshare writes its --map-group), or no map at all.
            func map(_ blocks: [IDBlock], _ inside: UInt32?, _ outside: UInt32) throws(SandboxError) -> IDMap? {
                guard !blocks.isEmpty || inside != nil else { return nil }
                do { return try IDMap(IDLayout.lines(blocks, caller: inside.map { ($0, outside) })) } catch {
                    throw SandboxError(invalid: "userMapping", error.description)
                }
            }
            let (uidMap, gidMap) = (try map(uidBlocks, callerUID, uid), try map(gidBlocks, callerGID, gid))
            func ownOnly(_ map: IDMap?, _ id: UInt32) -> Bool {
                map.map { $0.mappings == [IDMapping(inside: $0.mappings[0].inside, outside: id)] } ?? true
            }
            // Maps of the caller's own ids alone need no helper (an ordinary user writes them
            // itself, with setgroups denied first, which is what newgidmap leaves too).
            let onlyOwn = ownOnly(uidMap, uid) && ownOnly(gidMap, gid)
            let gidAlone = gidBlocks.isEmpty && callerGID != nil
            if uid != 0, onlyOwn, gidMap != nil, setgroups == .allow {
                throw SandboxError(
                    invalid: "userMapping", "setgroups 'allow' with a gid map an ordinary user writes itself: the kernel refuses it",
                    hint: "use setgroups deny, or run as root")
            }
            return ResolvedMapping(
                uidMap: uidMap, gidMap: gidMap, setgroups: setgroups ?? (gidAlone || (uid != 0 && onlyOwn && gidMap != nil) ? .deny : nil),
                useHelpers: uid != 0 && !onlyOwn)
        }
    }
}

/// The name of user `uid` from the password database, or nil.
func userName(_ uid: uid_t) -> String? {
    var entry = passwd()
    var result: UnsafeMutablePointer<passwd>?
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil,
        let name = entry.pw_name
    else { return nil }
    return String(cString: name)
}

/// Subordinate id ranges: subuid(5), subgid(5).
enum SubordinateIDs {
    /// The first `start:count` range of `user` (by name or uid) in `path`.
    static func firstRange(in path: String, user: String, id: uid_t) -> (start: UInt32, count: UInt32)? {
        guard let text = try? readSmallFile(path) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":")
            guard fields.count == 3, fields[0] == user || fields[0] == String(id),
                let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0
            else { continue }
            return (start, count)
        }
        return nil
    }
}

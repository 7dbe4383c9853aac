import Glibc

/// Where a block of ids in a user namespace's map comes from, as util-linux unshare's
/// `--map-users`/`--map-groups` values name them.
public enum IDRange: Sendable, Hashable {
    /// One explicit line (`INSIDE:OUTSIDE:COUNT`).
    case mapping(IDMapping)
    /// The caller's first range in `/etc/subuid` (`/etc/subgid` for gids), from 0 inside (`auto`).
    case subordinateIDs
    /// The same range mapped to itself (`subids`).
    case identitySubordinateIDs
    /// Every id of the caller's own user namespace, mapped to itself, as its `/proc/self/uid_map`
    /// (`gid_map`) lists them (`all`).
    case parentNamespace
}

/// One block while a map is laid out: `inside` nil starts at 0 and keeps its size when the
/// caller's own id is placed (unshare's `auto`).
struct IDBlock: Equatable {
    var inside: UInt32?
    var outside: UInt32
    var count: UInt32
}

enum IDLayout {
    /// The blocks `ranges` stand for, for the user `name` (`id`), from `subordinateFile`
    /// (`/etc/subuid` or `/etc/subgid`) or `ownMapFile` (`/proc/self/uid_map` or `gid_map`).
    static func blocks(_ ranges: [IDRange], user name: String, id: uid_t, subordinateFile: String, ownMapFile: String) throws(SandboxError)
        -> [IDBlock]
    {
        var result: [IDBlock] = []
        for range in ranges {
            switch range {
            case .mapping(let line): result.append(IDBlock(inside: line.inside, outside: line.outside, count: line.count))
            case .subordinateIDs, .identitySubordinateIDs:
                guard let (start, count) = SubordinateIDs.firstRange(in: subordinateFile, user: name, id: id) else {
                    let option = subordinateFile.hasSuffix("gid") ? "--add-subgids" : "--add-subuids"
                    throw SandboxError(
                        invalid: "userMapping", "no range for \(name) in \(subordinateFile)",
                        hint: "add a line '\(name):100000:65536' to \(subordinateFile), e.g. with usermod \(option)")
                }
                result.append(IDBlock(inside: range == .subordinateIDs ? nil : start, outside: start, count: count))
            case .parentNamespace:
                let own: IDMap
                do { own = try IDMap(parsing: try readSmallFile(ownMapFile)) } catch {
                    throw SandboxError(invalid: "userMapping", "cannot read \(ownMapFile): \(error)")
                }
                for line in own.mappings { result.append(IDBlock(inside: line.inside, outside: line.inside, count: line.count)) }
            }
        }
        return result
    }

    /// The map lines of `blocks` with the caller's own id at `caller.inside` (outside
    /// `caller.outside`) first, as util-linux master's unshare lays them out: a block that
    /// `caller` overlaps on either side (its end included) gives up its topmost id, except a
    /// block from 0 (`auto`), and each block is split around the caller's id on both sides.
    static func lines(_ blocks: [IDBlock], caller: (inside: UInt32, outside: UInt32)?) -> [IDMapping] {
        guard let (inner, outer) = caller else {
            return blocks.map { IDMapping(inside: $0.inside ?? 0, outside: $0.outside, count: $0.count) }
        }
        var result = [IDMapping(inside: inner, outside: outer)]
        for block in blocks {
            let start = block.inside ?? 0
            var count = block.count
            // (unshare compares with the end included, in unsigned arithmetic: kept as it is.)
            if block.inside != nil
                && ((outer >= block.outside && outer <= block.outside &+ block.count) || (inner >= start && inner <= start &+ block.count))
            {
                count &-= 1
            }
            let outerOffset = min(outer > block.outside ? outer - block.outside : 0, count)
            let innerOffset = min(inner > start ? inner - start : 0, count)
            // Below the lower of the two offsets, between them, and above the higher one, each
            // side stepping over the caller's id where it lands on it.
            let low = IDMapping(inside: start, outside: block.outside, count: min(innerOffset, outerOffset))
            func step(_ id: UInt32, _ taken: UInt32) -> UInt32 { id == taken ? id &+ 1 : id }
            let middle = IDMapping(
                inside: step(low.inside &+ low.count, inner), outside: step(low.outside &+ low.count, outer),
                count: outerOffset > innerOffset ? outerOffset - innerOffset : innerOffset - outerOffset)
            let high = IDMapping(
                inside: step(middle.inside &+ middle.count, inner), outside: step(middle.outside &+ middle.count, outer),
                count: count &- low.count &- middle.count)
            for part in [low, middle, high] where part.count > 0 { result.append(part) }
        }
        return result
    }
}

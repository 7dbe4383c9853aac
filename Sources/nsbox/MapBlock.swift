import LinuxNamespaces

/// One `--map-users`/`--map-groups` block as unshare master reads it (get_map_range):
/// `INSIDE:OUTSIDE:COUNT`, or util-linux 2.38's deprecated `OUTSIDE,INSIDE,COUNT`, outside first.
func mapBlock(_ value: String, option: String) throws -> IDMapping {
    guard value.contains(",") else {
        do { return try IDMapping(parsing: value) } catch { throw Failure(message: "\(option): \(error)") }
    }
    let fields = value.split(separator: ",", omittingEmptySubsequences: false).map { UInt32($0) }
    guard fields.count == 3, let outside = fields[0], let inside = fields[1], let count = fields[2] else {
        throw Failure(message: "\(option) '\(oneLine(value))': write INSIDE:OUTSIDE:COUNT (or the deprecated OUTSIDE,INSIDE,COUNT), "
            + "each an id from 0 to 4294967295, e.g. 0:100000:65536")
    }
    return IDMapping(inside: inside, outside: outside, count: count)
}

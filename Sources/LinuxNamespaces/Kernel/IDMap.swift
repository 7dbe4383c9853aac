import Glibc

/// The whole contents of a `uid_map` or `gid_map`: ordered mapping lines that the kernel
/// will accept.
///
/// Creating one checks the kernel's rules of user_namespaces(7), so a bad map is refused
/// before anything is written: every count at least 1; no range running past id 4294967294;
/// no two lines overlapping inside, nor outside; at most 340 lines; the text shorter than a
/// page.
public struct IDMap: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The most lines a map may have (Linux 4.15 and later).
    public static let maximumLines = 340

    /// The mapping lines, in the order they are written.
    public let mappings: [IDMapping]

    /// A map of the given lines.
    /// - Throws: `NamespaceError` (`.validate`) naming the first line that breaks a rule.
    public init(_ mappings: [IDMapping]) throws(NamespaceError) {
        try IDMap.validate(mappings)
        self.mappings = mappings
    }

    /// A map of one line: `count` ids from `inside` to `outside`.
    public init(inside: UInt32, outside: UInt32, count: UInt32 = 1) throws(NamespaceError) {
        try self.init([IDMapping(inside: inside, outside: outside, count: count)])
    }

    /// Parses the kernel's text form: one `INSIDE OUTSIDE COUNT` line each, blank lines ignored.
    /// - Throws: `NamespaceError` (`.parse`) for a malformed line, (`.validate`) for a map the
    ///   kernel would refuse.
    public init(parsing text: String) throws(NamespaceError) {
        var mappings: [IDMapping] = []
        for line in text.split(separator: "\n") where !line.allSatisfy({ $0 == " " || $0 == "\t" }) {
            mappings.append(try IDMapping(parsing: line))
        }
        try self.init(mappings)
    }

    /// The text written to the kernel: `INSIDE OUTSIDE COUNT\n` per line.
    public var text: String {
        // Plain appends: this runs on every spawn, and joined() costs a generic instantiation.
        var text = ""
        for mapping in mappings {
            text += String(mapping.inside)
            text += " "
            text += String(mapping.outside)
            text += " "
            text += String(mapping.count)
            text += "\n"
        }
        return text
    }

    /// The text form.
    public var description: String { text }

    /// Whether `id` (inside the namespace) is mapped, and to what outside id.
    public func outsideID(for id: UInt32) -> UInt32? {
        for mapping in mappings where mapping.insideRange.contains(UInt64(id)) {
            return mapping.outside + (id - mapping.inside)
        }
        return nil
    }

    private static func validate(_ mappings: [IDMapping]) throws(NamespaceError) {
        func fail(_ detail: String, _ hint: String? = nil) -> NamespaceError {
            NamespaceError(.validate, detail: detail, hint: hint)
        }
        guard !mappings.isEmpty else { throw fail("an id map needs at least one line") }
        guard mappings.count <= maximumLines else {
            throw fail(
                "an id map has \(mappings.count) lines; the kernel takes at most \(maximumLines)",
                "merge adjacent ranges into one line")
        }
        // The kernel treats 4294967295 as "no id": a range must end below it.
        let limit = UInt64(UInt32.max)
        for (index, mapping) in mappings.enumerated() {
            let line = "id map line \(index + 1) '\(mapping)'"
            guard mapping.count > 0 else { throw fail("\(line) has a count of 0", "count must be at least 1") }
            guard mapping.insideRange.upperBound <= limit, mapping.outsideRange.upperBound <= limit else {
                throw fail("\(line) runs past id 4294967294", "lower the count")
            }
            for (otherIndex, other) in mappings[..<index].enumerated() {
                if mapping.insideRange.overlaps(other.insideRange) {
                    throw fail("\(line) overlaps line \(otherIndex + 1) '\(other)' inside the namespace")
                }
                if mapping.outsideRange.overlaps(other.outsideRange) {
                    throw fail("\(line) overlaps line \(otherIndex + 1) '\(other)' outside the namespace")
                }
            }
        }
        let size = mappings.reduce(0) { $0 + "\($1)\n".utf8.count }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard size < page else {
            throw fail("an id map's text is \(size) bytes; the kernel takes less than a page (\(page))")
        }
    }
}

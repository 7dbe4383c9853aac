/// One line of a `uid_map` or `gid_map`: `count` consecutive ids starting at `inside` in the
/// user namespace are ids starting at `outside` in its parent. See user_namespaces(7).
public struct IDMapping: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The first id inside the user namespace.
    public var inside: UInt32
    /// The first id in the parent user namespace (of the process that reads or writes the map).
    public var outside: UInt32
    /// How many consecutive ids; at least 1.
    public var count: UInt32

    /// A mapping of `count` ids from `inside` to `outside`.
    public init(inside: UInt32, outside: UInt32, count: UInt32 = 1) {
        self.inside = inside
        self.outside = outside
        self.count = count
    }

    /// Parses one line of the kernel's form, `INSIDE OUTSIDE COUNT` separated by blanks, as
    /// `/proc/PID/uid_map` shows it and as `unshare --map-users=INSIDE:OUTSIDE:COUNT` takes it
    /// with colons.
    /// - Throws: `NamespaceError` (`.parse`) naming the text and what is wrong with it.
    public init(parsing text: some StringProtocol) throws(NamespaceError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" })
        guard fields.count == 3 else {
            throw NamespaceError(
                .parse, detail: "id mapping '\(text)' has \(fields.count) fields, not 3",
                hint: "write INSIDE OUTSIDE COUNT, e.g. '0 1000 1' or '0:100000:65536'")
        }
        var numbers: [UInt32] = []
        for field in fields {
            guard let number = UInt32(field) else {
                throw NamespaceError(
                    .parse, detail: "id mapping '\(text)': '\(field)' is not an id from 0 to 4294967295")
            }
            numbers.append(number)
        }
        self.init(inside: numbers[0], outside: numbers[1], count: numbers[2])
    }

    /// The ids inside, as a half-open range (64-bit, so the top id does not overflow).
    public var insideRange: Range<UInt64> { UInt64(inside)..<UInt64(inside) + UInt64(count) }
    /// The ids outside, as a half-open range.
    public var outsideRange: Range<UInt64> { UInt64(outside)..<UInt64(outside) + UInt64(count) }

    /// The kernel's form, `INSIDE OUTSIDE COUNT`.
    public var description: String { "\(inside) \(outside) \(count)" }
}

/// A namespace bind-mounted on a path: one `nsfs` line of `/proc/self/mountinfo`.
struct NamespaceMount: Equatable {
    var kind: NamespaceKind
    var id: NamespaceID
    var mountPoint: String
}

/// The namespaces of `kinds` bind-mounted in the caller's mount namespace, in mount order,
/// read from `/proc/self/mountinfo` (proc(5)) without touching the mount points: the id comes
/// from the mount's device (`0:4`, the nsfs device) and root (`net:[4026532290]`). An
/// unreadable mountinfo gives none.
func namespaceMounts(of kinds: NamespaceSet) -> [NamespaceMount] {
    guard let text = try? readSmallFile("/proc/self/mountinfo") else { return [] }
    return parseNamespaceMounts(text, kinds: kinds)
}

/// The `nsfs` mounts among mountinfo lines:
/// `ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS`.
func parseNamespaceMounts(_ text: String, kinds: NamespaceSet) -> [NamespaceMount] {
    var mounts: [NamespaceMount] = []
    for line in Array(text.utf8).split(separator: UInt8(ascii: "\n")) {
        let fields = line.split(separator: UInt8(ascii: " "))
        guard fields.count >= 8,
            let separator = fields[6...].firstIndex(where: { $0.elementsEqual("-".utf8) }),
            separator + 1 < fields.count, fields[separator + 1].elementsEqual("nsfs".utf8),
            let device = parseDevice(fields[2]),
            let (kind, inode) = parseNamespaceLink(fields[3]), kinds.contains(kind)
        else { continue }
        mounts.append(NamespaceMount(
            kind: kind, id: NamespaceID(device: device, inode: inode),
            mountPoint: unescapeMountField(fields[4])))
    }
    return mounts
}

/// The kind and inode in a namespace link's text, `net:[4026532290]`, as readlink(2) of
/// `/proc/PID/ns/KIND` and the root of an nsfs mount show it; nil for other text.
func parseNamespaceLink(_ text: ArraySlice<UInt8>) -> (NamespaceKind, UInt64)? {
    guard let colon = text.firstIndex(of: UInt8(ascii: ":")),
        let kind = NamespaceKind.allCases.first(where: { $0.procName.utf8.elementsEqual(text[..<colon]) }),
        let inode = namespaceLinkInode(text, kindLength: colon - text.startIndex)
    else { return nil }
    return (kind, inode)
}

/// The inode in a namespace link's text `KIND:[INODE]` whose kind name is `kindLength` bytes
/// long; nil unless the rest is `:[DIGITS]`.
func namespaceLinkInode(_ text: ArraySlice<UInt8>, kindLength: Int) -> UInt64? {
    let open = text.startIndex + kindLength
    guard text.count > kindLength + 3, text[open] == UInt8(ascii: ":"),
        text[open + 1] == UInt8(ascii: "["), text.last == UInt8(ascii: "]")
    else { return nil }
    var inode: UInt64 = 0
    for digit in text[(open + 2)..<(text.endIndex - 1)] {
        guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
        let (times10, overflow1) = inode.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
        guard !overflow1, !overflow2 else { return nil }
        inode = sum
    }
    return inode
}

/// `MAJOR:MINOR` as the `dev_t` stat(2) reports, glibc's `makedev` encoding.
private func parseDevice(_ text: ArraySlice<UInt8>) -> UInt64? {
    let parts = text.split(separator: UInt8(ascii: ":"))
    guard parts.count == 2, let major = UInt64(String(decoding: parts[0], as: UTF8.self)),
        let minor = UInt64(String(decoding: parts[1], as: UTF8.self))
    else { return nil }
    return (major & 0xfffff000) << 32 | (major & 0xfff) << 8
        | (minor & 0xffffff00) << 12 | (minor & 0xff)
}

/// A mountinfo path with its `\ooo` escapes (space, tab, newline, backslash) decoded.
private func unescapeMountField(_ field: ArraySlice<UInt8>) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(field.count)
    var index = field.startIndex
    while index < field.endIndex {
        let byte = field[index]
        if byte == UInt8(ascii: "\\"), index + 3 < field.endIndex,
            let value = octal(field[(index + 1)...(index + 3)])
        {
            bytes.append(value)
            index += 4
        } else {
            bytes.append(byte)
            index += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Three octal digits as one byte, or nil.
private func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
    var value: UInt16 = 0
    for digit in digits {
        guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
        value = value * 8 + UInt16(digit - UInt8(ascii: "0"))
    }
    return value <= 0xff ? UInt8(value) : nil
}

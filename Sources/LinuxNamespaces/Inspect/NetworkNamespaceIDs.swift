import Glibc

/// Fills in `networkID` of every network namespace in `table`: one `RTM_GETNSID` request per
/// namespace with its fd (`NETNSA_FD`) over one netlink route socket, as `lsns` and
/// `ip netns list-id` ask (rtnetlink(7)). A namespace that cannot be opened or asked keeps nil.
func resolveNetworkIDs(in table: inout NamespaceTable, descriptors: [NamespaceID: Int32]) {
    guard table.entries.contains(where: { $0.kind == .network }) else { return }
    let netlink = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
    guard netlink >= 0 else { return }
    defer { close(netlink) }
    for position in table.entries.indices where table.entries[position].kind == .network {
        let entry = table.entries[position]
        var fd = descriptors[entry.id] ?? -1
        var opened = false
        if fd < 0, let path = entry.pathText {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            opened = fd >= 0
        }
        guard fd >= 0 else { continue }
        let id = networkNamespaceID(of: fd, netlink: netlink)
        if opened { close(fd) }
        table.update(position) { $0.networkID = id }
    }
}

/// The nsid the caller's network namespace gives the namespace open as `fd`; -1 when none is
/// assigned (NETNSA_NSID_NOT_ASSIGNED), nil when the kernel does not answer.
private func networkNamespaceID(of fd: Int32, netlink: Int32) -> Int32? {
    // nlmsghdr (16) + rtgenmsg (1, padded to 4) + rtattr NETNSA_FD (4 + a 32-bit fd).
    let rtmGetNSID: UInt16 = 90, rtmNewNSID: UInt16 = 88, requestFlag: UInt16 = 1
    let attributeFD: UInt16 = 3, attributeNSID: UInt16 = 1
    var request = [UInt8](repeating: 0, count: 28)
    func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value) { bytes in  // netlink is in host byte order
            for (index, byte) in bytes.enumerated() { request[offset + index] = byte }
        }
    }
    put(UInt32(28), at: 0)
    put(rtmGetNSID, at: 4)
    put(requestFlag, at: 6)
    request[16] = UInt8(AF_UNSPEC)
    put(UInt16(8), at: 20)
    put(attributeFD, at: 22)
    put(fd, at: 24)
    let sent = request.withUnsafeBytes { send(netlink, $0.baseAddress, $0.count, 0) }
    guard sent == request.count else { return nil }
    var response = [UInt8](repeating: 0, count: 256)
    let received = response.withUnsafeMutableBytes { recv(netlink, $0.baseAddress, $0.count, 0) }
    guard received >= 28 else { return nil }
    func read<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        response.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }
    // The answer: RTM_NEWNSID with NETNSA_NSID first; an error (NLMSG_ERROR) has neither.
    guard read(UInt16.self, at: 4) == rtmNewNSID, read(UInt16.self, at: 22) == attributeNSID else { return nil }
    return read(Int32.self, at: 24)
}

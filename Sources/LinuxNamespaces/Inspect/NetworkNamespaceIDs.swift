import CNamespaces
import Glibc

/// Fills in `networkID` of every network namespace in `table`: an `RTM_GETNSID` request per
/// namespace with its fd (`NETNSA_FD`) over one netlink route socket, as `lsns` and
/// `ip netns list-id` ask (rtnetlink(7)). A namespace that cannot be opened or asked keeps nil.
///
/// The requests go in batches: one send(2) carries up to 64 of them, and the kernel answers
/// each before send returns, so one recvmmsg(2) without waiting takes the answers, matched
/// to the requests by sequence number.
func resolveNetworkIDs(in table: inout NamespaceTable, descriptors: [NamespaceID: Int32]) {
    guard table.entries.contains(where: { $0.kind == .network }) else { return }
    let netlink = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
    guard netlink >= 0 else { return }
    defer { close(netlink) }
    var batch: [(position: Int, fd: Int32, opened: Bool)] = []
    for position in table.entries.indices where table.entries[position].kind == .network {
        let entry = table.entries[position]
        var fd = descriptors[entry.id] ?? -1
        var opened = false
        if fd < 0, let path = entry.pathText {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            opened = fd >= 0
        }
        guard fd >= 0 else { continue }
        batch.append((position, fd, opened))
        if batch.count == networkIDBatch {
            askNetworkIDs(batch, netlink: netlink, table: &table)
            batch.removeAll(keepingCapacity: true)
        }
    }
    askNetworkIDs(batch, netlink: netlink, table: &table)
}

/// Requests per batch: the answers (about 1 KiB of receive buffer each) fit a socket's default
/// receive buffer, and cn_receive_datagrams takes at most 64.
private let networkIDBatch = 64

/// Asks the nsid of each namespace of `batch` in one send, sets what the answers give, and
/// closes the fds it opened. The nsid is -1 when none is assigned (NETNSA_NSID_NOT_ASSIGNED).
private func askNetworkIDs(_ batch: [(position: Int, fd: Int32, opened: Bool)], netlink: Int32, table: inout NamespaceTable) {
    guard !batch.isEmpty else { return }
    defer { for item in batch where item.opened { close(item.fd) } }
    // Each request: nlmsghdr (16) + rtgenmsg (1, padded to 4) + rtattr NETNSA_FD (4 + a 32-bit fd).
    let rtmGetNSID: UInt16 = 90, rtmNewNSID: UInt16 = 88, requestFlag: UInt16 = 1
    let attributeFD: UInt16 = 3, attributeNSID: UInt16 = 1, size = 28
    var requests = [UInt8](repeating: 0, count: size * batch.count)
    requests.withUnsafeMutableBytes { bytes in  // netlink is in host byte order
        for (sequence, item) in batch.enumerated() {
            let base = sequence * size
            bytes.storeBytes(of: UInt32(size), toByteOffset: base, as: UInt32.self)
            bytes.storeBytes(of: rtmGetNSID, toByteOffset: base + 4, as: UInt16.self)
            bytes.storeBytes(of: requestFlag, toByteOffset: base + 6, as: UInt16.self)
            bytes.storeBytes(of: UInt32(sequence), toByteOffset: base + 8, as: UInt32.self)
            bytes[base + 16] = UInt8(AF_UNSPEC)
            bytes.storeBytes(of: UInt16(8), toByteOffset: base + 20, as: UInt16.self)
            bytes.storeBytes(of: attributeFD, toByteOffset: base + 22, as: UInt16.self)
            bytes.storeBytes(of: item.fd, toByteOffset: base + 24, as: Int32.self)
        }
    }
    let sent = requests.withUnsafeBytes { send(netlink, $0.baseAddress, $0.count, 0) }
    guard sent == requests.count else { return }
    let each = 256
    var answers = [UInt8](repeating: 0, count: each * batch.count)
    var lengths = [UInt32](repeating: 0, count: batch.count)
    let received = answers.withUnsafeMutableBytes { bytes in
        lengths.withUnsafeMutableBufferPointer {
            cn_receive_datagrams(netlink, bytes.baseAddress, each, UInt32(batch.count), $0.baseAddress)
        }
    }
    guard received > 0 else { return }
    answers.withUnsafeBytes { bytes in
        for index in 0..<Int(received) where lengths[index] >= 28 {
            let base = index * each
            func read<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
                bytes.loadUnaligned(fromByteOffset: base + offset, as: T.self)
            }
            // The answer: RTM_NEWNSID with NETNSA_NSID first; an error (NLMSG_ERROR) has neither.
            let sequence = Int(read(UInt32.self, at: 8))
            guard sequence < batch.count, read(UInt16.self, at: 4) == rtmNewNSID,
                read(UInt16.self, at: 22) == attributeNSID
            else { continue }
            let id = read(Int32.self, at: 24)
            table.update(batch[sequence].position) { $0.networkID = id }
        }
    }
}

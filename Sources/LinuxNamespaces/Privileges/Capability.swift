/// One Linux capability (capabilities(7)), by its number; spelled as capsh and bwrap spell it,
/// `CAP_SYS_ADMIN`.
public struct Capability: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The capability's number (`CAP_SYS_ADMIN` is 21).
    public let rawValue: Int32

    /// The capability numbered `rawValue`, 0 to 63.
    public init?(rawValue: Int32) {
        guard (0..<64).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// The capability named `name`, `CAP_` prefix and case optional (`CAP_NET_ADMIN`,
    /// `net_admin`); nil for a name capabilities(7) does not list.
    public init?(name: String) {
        var upper = name.uppercased()
        if upper.hasPrefix("CAP_") { upper.removeFirst(4) }
        guard let index = Self.names.firstIndex(of: upper) else { return nil }
        rawValue = Int32(index)
    }

    /// `CAP_NAME`, or `CAP_N` for a number newer than this list.
    public var description: String {
        Self.names.indices.contains(Int(rawValue)) ? "CAP_" + Self.names[Int(rawValue)] : "CAP_\(rawValue)"
    }

    /// Every capability this list names, in number order.
    public static var known: [Capability] { Self.names.indices.map { Capability(rawValue: Int32($0))! } }

    /// The names of capabilities 0 to 40 (Linux 5.9), without `CAP_`: linux/capability.h.
    static let names = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ]

    /// `CAP_SYS_ADMIN`: mount, unshare and much else.
    public static let sysAdmin = Capability(rawValue: 21)!
    /// `CAP_NET_ADMIN`: configure interfaces, routes, firewalls.
    public static let netAdmin = Capability(rawValue: 12)!
    /// `CAP_NET_BIND_SERVICE`: bind ports below 1024.
    public static let netBindService = Capability(rawValue: 10)!
    /// `CAP_NET_RAW`: raw and packet sockets (ping).
    public static let netRaw = Capability(rawValue: 13)!
    /// `CAP_SETUID`: change uids.
    public static let setUID = Capability(rawValue: 7)!
    /// `CAP_SETGID`: change gids and supplementary groups.
    public static let setGID = Capability(rawValue: 6)!
    /// `CAP_CHOWN`: change a file's owner.
    public static let chown = Capability(rawValue: 0)!
    /// `CAP_DAC_OVERRIDE`: ignore file permissions.
    public static let dacOverride = Capability(rawValue: 1)!
    /// `CAP_SYS_CHROOT`: chroot(2).
    public static let sysChroot = Capability(rawValue: 18)!
    /// `CAP_SYS_PTRACE`: trace any process of the namespace.
    public static let sysPtrace = Capability(rawValue: 19)!
    /// `CAP_MKNOD`: create device files.
    public static let mknod = Capability(rawValue: 27)!
    /// `CAP_KILL`: signal any process of the namespace.
    public static let kill = Capability(rawValue: 5)!
}

/// A set of capabilities: what a sandboxed command keeps (`Sandbox/capabilities`).
public struct CapabilitySet: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// Bit N: capability N.
    public let rawValue: UInt64

    /// The set whose bits are `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The set of `capabilities`.
    public init(_ capabilities: [Capability]) {
        rawValue = capabilities.reduce(0) { $0 | (1 << UInt64($1.rawValue)) }
    }

    /// Every capability, those newer kernels add included: nothing is dropped.
    public static let all = CapabilitySet(rawValue: .max)

    /// Whether `capability` is in the set.
    public func contains(_ capability: Capability) -> Bool { rawValue & (1 << UInt64(capability.rawValue)) != 0 }

    /// Adds `capability`.
    public mutating func insert(_ capability: Capability) { self = CapabilitySet(rawValue: rawValue | 1 << UInt64(capability.rawValue)) }

    /// Removes `capability`.
    public mutating func remove(_ capability: Capability) { self = CapabilitySet(rawValue: rawValue & ~(1 << UInt64(capability.rawValue))) }

    /// `all`, `none`, or the names: `CAP_NET_ADMIN,CAP_SYS_ADMIN`.
    public var description: String {
        if self == .all { return "all" }
        if isEmpty { return "none" }
        return (0..<64).compactMap { Capability(rawValue: $0) }.filter(contains).map(\.description).joined(separator: ",")
    }
}

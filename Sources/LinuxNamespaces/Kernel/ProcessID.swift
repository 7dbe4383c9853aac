import Glibc

/// A process id as the kernel sees it in the caller's PID namespace.
public struct ProcessID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The raw `pid_t`.
    public let rawValue: pid_t

    /// A process id from a raw `pid_t`.
    public init(rawValue: pid_t) { self.rawValue = rawValue }

    /// The calling process. The corresponding C function is `getpid`.
    public static var current: ProcessID { ProcessID(rawValue: getpid()) }

    /// The process's `/proc` directory: `/proc/PID`, or `/proc/self` for the calling process,
    /// which stays right when `/proc` belongs to another PID namespace than the caller's (after
    /// unsharing one, the caller may be pid 1 while `/proc` shows the parent namespace's pids).
    public var procDirectory: String { rawValue == getpid() ? "/proc/self" : "/proc/\(rawValue)" }

    /// The decimal pid.
    public var description: String { String(rawValue) }
}

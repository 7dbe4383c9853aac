import Glibc

/// A signal number, as signal(7) lists them: `Signal.terminate` is SIGTERM. swift-system has no
/// signal type, so this one follows its style (`Errno`, `FileDescriptor`): a raw value with
/// named constants.
///
/// ```swift
/// try process.signal(.terminate)
/// sandbox.parentDeathSignal = .kill
/// let signal = Signal(name: "usr1")   // SIGUSR1; also "SIGUSR1" and "10"
/// ```
public struct Signal: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The signal's number.
    public let rawValue: Int32

    /// The signal numbered `rawValue`.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// SIGHUP: the terminal hung up.
    public static let hangup = Signal(rawValue: SIGHUP)
    /// SIGINT: interrupt from the keyboard.
    public static let interrupt = Signal(rawValue: SIGINT)
    /// SIGQUIT: quit from the keyboard.
    public static let quit = Signal(rawValue: SIGQUIT)
    /// SIGKILL: cannot be caught or ignored.
    public static let kill = Signal(rawValue: SIGKILL)
    /// SIGUSR1.
    public static let user1 = Signal(rawValue: SIGUSR1)
    /// SIGUSR2.
    public static let user2 = Signal(rawValue: SIGUSR2)
    /// SIGPIPE: a write to a pipe without readers.
    public static let pipe = Signal(rawValue: SIGPIPE)
    /// SIGALRM: a timer expired.
    public static let alarm = Signal(rawValue: SIGALRM)
    /// SIGTERM: the polite request to end.
    public static let terminate = Signal(rawValue: SIGTERM)
    /// SIGCHLD: a child stopped or ended.
    public static let child = Signal(rawValue: SIGCHLD)
    /// SIGCONT: continue if stopped.
    public static let `continue` = Signal(rawValue: SIGCONT)
    /// SIGSTOP: stop; cannot be caught or ignored.
    public static let stop = Signal(rawValue: SIGSTOP)
    /// SIGTSTP: stop from the keyboard.
    public static let terminalStop = Signal(rawValue: SIGTSTP)

    /// The standard signals by name, without `SIG`, in number order.
    private static let names: [(String, Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ILL", SIGILL), ("TRAP", SIGTRAP),
        ("ABRT", SIGABRT), ("BUS", SIGBUS), ("FPE", SIGFPE), ("KILL", SIGKILL), ("USR1", SIGUSR1),
        ("SEGV", SIGSEGV), ("USR2", SIGUSR2), ("PIPE", SIGPIPE), ("ALRM", SIGALRM), ("TERM", SIGTERM),
        ("STKFLT", SIGSTKFLT), ("CHLD", SIGCHLD), ("CONT", SIGCONT), ("STOP", SIGSTOP), ("TSTP", SIGTSTP),
        ("TTIN", SIGTTIN), ("TTOU", SIGTTOU), ("URG", SIGURG), ("XCPU", SIGXCPU), ("XFSZ", SIGXFSZ),
        ("VTALRM", SIGVTALRM), ("PROF", SIGPROF), ("WINCH", SIGWINCH), ("IO", SIGIO), ("PWR", SIGPWR),
        ("SYS", SIGSYS),
    ]

    /// The signal named `name` as kill(1) takes it: `TERM`, `SIGTERM`, `term`, or a number from
    /// 1 to 64; nil for anything else.
    public init?(name: String) {
        if let number = Int32(name) {
            guard (1...64).contains(number) else { return nil }
            self.init(rawValue: number)
            return
        }
        var bare = name.uppercased()
        if bare.hasPrefix("SIG") { bare.removeFirst(3) }
        guard let number = Self.names.first(where: { $0.0 == bare })?.1 else { return nil }
        self.init(rawValue: number)
    }

    /// `SIGTERM`; a real-time or unknown signal by its number.
    public var description: String {
        Self.names.first { $0.1 == rawValue }.map { "SIG" + $0.0 } ?? "signal \(rawValue)"
    }
}

extension SandboxProcess {
    /// Sends `signal` to the process, as `signal(_:)` with its number does.
    /// - Throws: `SandboxError` (`.wait`), e.g. ESRCH once it has been waited for.
    /// The corresponding system call is pidfd_send_signal(2).
    public func signal(_ signal: Signal) throws(SandboxError) {
        try self.signal(signal.rawValue)
    }
}

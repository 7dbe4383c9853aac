/// How a sandboxed command ended.
public enum Termination: Sendable, Hashable, CustomStringConvertible {
    /// It exited with this status (0 to 255).
    case exited(Int32)
    /// A signal ended it.
    case signaled(Signal)

    /// A signal numbered `number` ended it.
    @available(*, deprecated, message: "pass a Signal: .signaled(.terminate) or .signaled(Signal(rawValue: number))")
    public static func signaled(_ number: Int32) -> Termination { .signaled(Signal(rawValue: number)) }

    /// The status a shell reports: the exit status, or 128 + the signal number.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal.rawValue
        }
    }

    /// `exited 3` or `signaled 15`.
    public var description: String {
        switch self {
        case .exited(let code): "exited \(code)"
        case .signaled(let signal): "signaled \(signal.rawValue)"
        }
    }

    /// Decodes a wait(2) status word.
    init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(Signal(rawValue: status & 0x7f))
        }
    }
}

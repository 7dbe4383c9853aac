import SystemPackage

/// The command's three standard streams, as errors and results name them.
public enum StandardStream: Int32, Sendable, Hashable, CustomStringConvertible {
    /// fd 0.
    case input = 0
    /// fd 1.
    case output = 1
    /// fd 2.
    case error = 2

    /// `standard input`, `standard output`, `standard error`.
    public var description: String {
        switch self {
        case .input: "standard input"
        case .output: "standard output"
        case .error: "standard error"
        }
    }
}

// The errors of `Sandbox.run` and of awaiting a process, in one place.
extension SandboxError {
    /// The process ran out of something the I/O machinery needs (an fd, a thread).
    init(ioResources call: String, errno: Errno) {
        self.init(.io, .ioSetup(call), errno: errno, detail: "cannot set up the standard I/O of the command",
            hint: "the process may be out of file descriptors (ulimit -n) or threads")
    }

    /// Reading or writing one of the command's streams failed.
    init(_ stream: StandardStream, errno: Errno) {
        self.init(.io, .stream(stream), errno: errno,
            detail: stream == .input ? "cannot write to the command" : "cannot read from the command")
    }

    /// More output than the `limit` of `.string(limit:)` or `.bytes(limit:)`.
    static func outputLimitExceeded(_ stream: StandardStream, limit: Int) -> SandboxError {
        SandboxError(.io, .stream(stream), detail: "the command wrote more than the limit of \(limit) bytes",
            hint: "raise the limit, or read it as it comes with .sequence and the closure form of run")
    }

    /// A write through a `StandardInputWriter` that is finished, or was never connected.
    static func inputClosed(_ reason: String) -> SandboxError {
        SandboxError(.io, .stream(.input), errno: .badFileDescriptor, detail: reason,
            hint: "pass input: .inputWriter to run, and write before finish()")
    }

    /// `process.wait()` given up because the awaiting task was cancelled: the process runs on.
    static func waitCancelled(_ pid: ProcessID) -> SandboxError {
        SandboxError(.wait, .wait, errno: .canceled, detail: "the task awaiting process \(pid) was cancelled; the process runs on",
            hint: "await wait() again to reap it, or signal(SIGKILL) it")
    }
}

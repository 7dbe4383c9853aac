import CNamespaces
import SystemPackage

/// Why a sandbox could not be spawned: a field of the configuration that is wrong, or the
/// step of the set-up that the kernel refused, with its errno and a hint.
///
/// Its `description` is one line for people, and `exitStatus` follows the conventions of
/// env(1) and the shells: 127 when the command is not found, 126 when it cannot be executed,
/// 125 for everything else.
public struct SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the set-up failed.
    public enum Stage: String, Sendable, Equatable {
        /// The configuration is wrong; nothing was started.
        case configuration
        /// The command does not exist.
        case commandNotFound = "command not found"
        /// The command exists but cannot be executed.
        case commandNotExecutable = "command not executable"
        /// clone3(2) in the caller.
        case clone
        /// Writing the user namespace's id maps (from the caller).
        case idMaps = "id maps"
        /// A step in the child, named in `step`.
        case child
        /// Waiting for the process or signalling it.
        case wait
        /// Bind-mounting a namespace on a file to keep it (from the caller).
        case persist
        /// Feeding the command's standard input or collecting its output (`Sandbox.run`).
        case io = "standard I/O"
    }

    /// Where it failed.
    public var stage: Stage
    /// The configuration field, or the child step (`setns(net)`, `execve`, ...).
    public var step: String
    /// The kernel's error, if it refused.
    public var errno: Errno?
    /// What failed, in words.
    public var detail: String
    /// How to fix it, where known.
    public var hint: String?

    /// An error at `stage`.
    public init(_ stage: Stage, step: String, errno: Errno? = nil, detail: String, hint: String? = nil) {
        self.stage = stage
        self.step = step
        self.errno = errno
        self.detail = detail
        self.hint = hint
    }

    /// A configuration error naming `field`.
    init(invalid field: String, _ detail: String, hint: String? = nil) {
        self.init(.configuration, step: field, detail: detail, hint: hint)
    }

    /// 127 command not found, 126 not executable, 125 anything else.
    public var exitStatus: Int32 {
        switch stage {
        case .commandNotFound: 127
        case .commandNotExecutable: 126
        default: 125
        }
    }

    /// One line: `stage: step: ERRNO (text): detail; hint`.
    public var description: String {
        var parts = [stage == .child ? step : "\(stage.rawValue): \(step)"]
        if let errno { parts.append(errno.symbolicDescription) }
        if !detail.isEmpty { parts.append(detail) }
        var line = parts.joined(separator: ": ")
        if let hint { line += "; " + hint }
        return line
    }
}

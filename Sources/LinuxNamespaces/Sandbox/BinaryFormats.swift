import Glibc
import SystemPackage

/// A binfmt_misc of the sandbox's own user namespace (Linux 6.7 and later), mounted in its
/// mount namespace, with interpreters registered in it: `unshare --mount-binfmt` and
/// `--load-interp`. The machine's binfmt_misc is left alone.
public struct BinaryFormats: Sendable, Hashable {
    /// Where binfmt_misc is mounted (inside the new root when there is one).
    public var mountPoint: FilePath
    /// Rules written to its `register` file, in order, each in binfmt_misc's format
    /// `:name:type:offset:magic:mask:interpreter:flags` (the kernel's binfmt-misc.rst). They
    /// are registered before the new root is entered, so that the interpreter of a rule with
    /// the `F` flag, which the kernel opens at once, is found among the caller's files, as
    /// unshare does with `--root`.
    public var rules: [String]

    /// The default mount point, `/proc/sys/fs/binfmt_misc`.
    public static let defaultMountPoint: FilePath = "/proc/sys/fs/binfmt_misc"

    /// A binfmt_misc on `mountPoint` with `rules` registered.
    public init(mountPoint: FilePath = BinaryFormats.defaultMountPoint, rules: [String] = []) {
        self.mountPoint = mountPoint
        self.rules = rules
    }

    /// Whether `rule` has the `F` flag (its last field): its interpreter is opened when it is
    /// registered.
    static func opensInterpreterAtOnce(_ rule: String) -> Bool {
        rule.split(separator: ":", omittingEmptySubsequences: false).last?.contains("F") ?? false
    }
}

extension BinaryFormats {
    /// Why mounting binfmt_misc failed with `errno`, where the kernel says.
    static func mountHint(_ errno: Errno) -> String? {
        switch errno {
        case .notPermitted:
            let release = KernelRelease.running.text
            let recent = KernelRelease.running.isAtLeast(6, 7)
            return "a binfmt_misc of a user namespace's own needs Linux 6.7 or later"
                + (recent ? " (this is \(release): something else refused it, a seccomp filter or a security module)" : " (this is \(release))")
        case .operationNotSupportedByDevice:
            return "this kernel has no binfmt_misc: it needs CONFIG_BINFMT_MISC (modprobe binfmt_misc where it is a module)"
        default: return nil
        }
    }

    /// Why registering `rule` failed with `errno`.
    static func registerHint(_ rule: String, _ errno: Errno) -> String? {
        switch errno {
        case .invalidArgument: return "write the rule as :name:type:offset:magic:mask:interpreter:flags (type M or E), as binfmt-misc.rst describes"
        case .fileExists: return "a rule of that name is registered already"
        case .noSuchFileOrDirectory where opensInterpreterAtOnce(rule): return "with the F flag the interpreter is opened now: it must exist among the caller's files"
        case .improperLink: return "what is mounted at the mount point is not binfmt_misc"
        default: return nil
        }
    }
}

import SystemPackage

/// How mount events propagate between the new mount namespace and the one it was copied from:
/// mount_namespaces(7). Applied to every mount, recursively, right after the namespace is
/// created and before anything is mounted in it.
public enum MountPropagation: String, Sendable, Hashable, CaseIterable {
    /// Nothing propagates either way: mounts made inside never reach the host, and host mounts
    /// made later are not seen inside. The default, as util-linux unshare.
    case `private`
    /// Host mounts made later appear inside; nothing propagates back out.
    case slave
    /// Both ways, where the original mounts were shared. Mounts made inside reach the host.
    case shared
    /// Keep whatever the copied mounts had.
    case unchanged
}

/// Whether and where a fresh proc file system is mounted.
public enum ProcMount: Sendable, Hashable {
    /// On `/proc` when the sandbox creates both a pid and a mount namespace (`--mount-proc`).
    case automatic
    /// Never.
    case none
    /// On this directory (a new mount namespace is required).
    case at(FilePath)
}

/// A mount made inside the sandbox's new mount namespace.
public struct Mount: Sendable, Hashable, CustomStringConvertible {
    /// What is mounted.
    public enum Source: Sendable, Hashable {
        /// A bind mount of a host path (recursive: with the mounts below it).
        case bind(FilePath, recursive: Bool)
        /// A new tmpfs, with mount options such as `size=64m,mode=1777`.
        case tmpfs(options: String?)
        /// A new proc file system for the sandbox's pid namespace.
        case proc
        /// A new file system of `type` (`devpts`, `mqueue`, `sysfs`, `cgroup2`, ...) with mount
        /// options such as `newinstance,ptmxmode=0666`, as `mount -t TYPE -o OPTIONS`; always
        /// nosuid and nodev.
        case fileSystem(type: String, options: String?)
        /// Hides what is at the target (OCI's `maskedPaths`): an empty read-only tmpfs over a
        /// directory, `/dev/null` bound read-only over anything else.
        case mask
        /// What is at the target when the mount is made, bound onto itself with its submounts,
        /// so that it can be made read-only or restricted in place (OCI's `readonlyPaths`,
        /// which name files of a proc mounted just before).
        case rebind
        /// Not a mount: a symbolic link at the target that points to this path (`bwrap --symlink`).
        case symlink(FilePath)
        /// Not a mount: a directory made at the target, with its parents (`bwrap --dir`).
        case directory
    }

    /// What is mounted.
    public var source: Source
    /// Where: an absolute path, inside the new root when there is one.
    public var target: FilePath
    /// Whether it is read-only, submounts included.
    public var readOnly: Bool
    /// Setuid bits, device files or execution it refuses, submounts included (`nosuid`,
    /// `nodev`, `noexec`).
    public var restrictions: MountRestrictions
    /// Whether the mount is skipped when its target, or a bind's source, does not exist when it
    /// is made (bwrap's `--bind-try`; OCI's `maskedPaths` and `readonlyPaths`, which name files
    /// of a proc or sysfs mounted just before).
    public var ifExists: Bool
    /// Whether a missing target is made when the mount is (a directory; an empty file for a
    /// file's bind), with the directories above it, as runc and bwrap do.
    public var createsTarget: Bool

    /// A mount of `source` on `target`.
    public init(
        _ source: Source, on target: FilePath, readOnly: Bool = false, restrictions: MountRestrictions = [], ifExists: Bool = false,
        createsTarget: Bool = false
    ) {
        self.source = source
        self.target = target
        self.readOnly = readOnly
        self.restrictions = restrictions
        self.ifExists = ifExists
        self.createsTarget = createsTarget
    }

    /// A mount of `source` on the path `target`, as a `String`.
    @_disfavoredOverload
    public init(
        _ source: Source, on target: String, readOnly: Bool = false, restrictions: MountRestrictions = [], ifExists: Bool = false,
        createsTarget: Bool = false
    ) {
        self.init(source, on: FilePath(target), readOnly: readOnly, restrictions: restrictions, ifExists: ifExists,
            createsTarget: createsTarget)
    }

    /// A recursive bind mount of `source` on `target` (`bwrap --bind`, `--ro-bind`).
    public static func bind(_ source: FilePath, _ target: FilePath, readOnly: Bool = false) -> Mount {
        Mount(.bind(source, recursive: true), on: target, readOnly: readOnly)
    }

    /// A recursive bind mount of the paths `source` on `target`, as `String`s.
    @_disfavoredOverload
    public static func bind(_ source: String, _ target: String, readOnly: Bool = false) -> Mount {
        bind(FilePath(source), FilePath(target), readOnly: readOnly)
    }

    /// A tmpfs on the path `target`, as a `String`.
    @_disfavoredOverload
    public static func tmpfs(_ target: String, size: String? = nil, mode: UInt32? = nil) -> Mount {
        tmpfs(FilePath(target), size: size, mode: mode)
    }

    /// A tmpfs on `target` (`bwrap --tmpfs`); `size` like `64m`, `mode` like `0o1777`.
    public static func tmpfs(_ target: FilePath, size: String? = nil, mode: UInt32? = nil) -> Mount {
        var options: [String] = []
        if let size { options.append("size=\(size)") }
        if let mode { options.append("mode=" + String(mode, radix: 8)) }
        return Mount(.tmpfs(options: options.isEmpty ? nil : options.joined(separator: ",")), on: target)
    }

    /// A minimal `/dev` at the path `target`, as a `String`.
    @_disfavoredOverload
    public static func devices(at target: String) -> [Mount] { devices(at: FilePath(target)) }

    /// A minimal `/dev` at `target`, as `bwrap --dev`: a tmpfs with the host's `null`, `zero`,
    /// `full`, `random`, `urandom` and `tty` bound in, a devpts of its own on `pts` with `ptmx`
    /// linked to it, a tmpfs on `shm`, and the `fd`, `stdin`, `stdout`, `stderr` and `core` links.
    public static func devices(at target: FilePath) -> [Mount] {
        func created(_ mount: Mount) -> Mount {
            var mount = mount
            mount.createsTarget = true
            return mount
        }
        var mounts = [Mount.tmpfs(target, mode: 0o755)]
        for node in ["null", "zero", "full", "random", "urandom", "tty"] {
            mounts.append(created(Mount(.bind(FilePath("/dev/" + node), recursive: false), on: target.appending(node))))
        }
        // The sandbox's own ptys: a devpts instance of its own, its ptmx usable by all.
        mounts.append(created(Mount(.fileSystem(type: "devpts", options: "newinstance,ptmxmode=0666,mode=620"), on: target.appending("pts"),
            restrictions: .noExecute)))
        mounts.append(created(Mount.tmpfs(target.appending("shm"), mode: 0o1777)))
        let links = [("ptmx", "pts/ptmx"), ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"), ("core", "/proc/kcore")]
        for (name, path) in links { mounts.append(Mount(.symlink(FilePath(path)), on: target.appending(name))) }
        return mounts
    }

    /// What the mount does, as error messages name it: `tmpfs on /tmp`,
    /// `read-only bind /data on /mnt`, `proc on /proc`.
    public var description: String {
        switch source {
        case .bind(let path, _): "\(readOnly ? "read-only " : "")bind \(path) on \(target)"
        case .tmpfs: "tmpfs on \(target)"
        case .proc: "proc on \(target)"
        case .fileSystem(let type, _): "\(type) on \(target)"
        case .mask: "mask over \(target)"
        case .rebind: "\(readOnly ? "read-only " : "")rebind of \(target)"
        case .symlink(let path): "symlink \(target) -> \(path)"
        case .directory: "directory \(target)"
        }
    }
}

/// What a mount refuses to its files, as the `nosuid`, `nodev` and `noexec` mount options.
public struct MountRestrictions: OptionSet, Sendable, Hashable {
    /// The bits: 1 `nosuid`, 2 `nodev`, 4 `noexec`.
    public let rawValue: UInt32
    /// Makes a set from its raw bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Setuid and setgid bits are ignored (`nosuid`).
    public static let noSetuid = MountRestrictions(rawValue: 1)
    /// Device files cannot be opened (`nodev`).
    public static let noDevices = MountRestrictions(rawValue: 2)
    /// Files cannot be executed (`noexec`).
    public static let noExecute = MountRestrictions(rawValue: 4)
}

/// Offsets of a new time namespace's clocks: time_namespaces(7). `CLOCK_MONOTONIC` and
/// `CLOCK_BOOTTIME` (and `/proc/uptime`) inside read this much more than outside.
public struct TimeOffsets: Sendable, Hashable {
    /// Seconds added to `CLOCK_MONOTONIC`; may be negative.
    public var monotonic: Int64
    /// Seconds added to `CLOCK_BOOTTIME`; may be negative.
    public var boottime: Int64

    /// Offsets in seconds.
    public init(monotonic: Int64 = 0, boottime: Int64 = 0) {
        self.monotonic = monotonic
        self.boottime = boottime
    }

    /// The text written to `/proc/PID/timens_offsets`.
    var text: String { "monotonic \(monotonic) 0\nboottime \(boottime) 0\n" }
}

/// How the sandbox enters a new root directory.
public enum RootMode: Sendable, Hashable {
    /// pivot_root(2), with the old root detached: nothing of the host stays reachable.
    case pivot
    /// chroot(2): simpler, but the host's mounts stay reachable for a process that escapes it.
    case chroot
}

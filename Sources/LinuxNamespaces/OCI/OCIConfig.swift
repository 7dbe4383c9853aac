/// The namespace part of an OCI runtime-spec `config.json`: `linux.namespaces`, the id
/// mappings, `linux.timeOffsets`, `hostname`, and the process to run.
///
/// ```swift
/// let config = try OCIConfig(contentsOf: "bundle/config.json")
/// let process = try config.sandbox().spawn(config.command())
/// let ending = try process.wait()      // .exited(0)
/// ```
///
/// A namespace listed without a `path` is created; with a `path` it is joined; a kind not
/// listed is inherited (config-linux.md, "Namespaces"). Reading checks what the runtime spec
/// requires and throws `OCIConfigError` naming the JSON path of the first mistake; `sandbox()`
/// also checks that every `path` is a namespace of its type. The root file system (`root`),
/// `mounts`, `linux.maskedPaths`, `linux.readonlyPaths`, `linux.rootfsPropagation`,
/// `process.capabilities` and `process.noNewPrivileges` are applied too. Any other field
/// (`linux.resources`, `linux.seccomp`, `hooks`, ...) is refused with an error naming it, not
/// ignored: the command must never run with less isolation than its config asks for.
public struct OCIConfig: Sendable, Hashable {
    /// `linux.namespaces`, in order.
    public var namespaces: [OCINamespace]
    /// `linux.uidMappings`: host uids (`hostID`) seen as container uids (`containerID`).
    public var uidMappings: [IDMapping]
    /// `linux.gidMappings`, as `uidMappings`.
    public var gidMappings: [IDMapping]
    /// `linux.timeOffsets`, in whole seconds.
    public var timeOffsets: TimeOffsets?
    /// The top-level `hostname`; nil or empty leaves it as it is.
    public var hostname: String?
    /// `process.args`, `process.env`, `process.cwd` and `process.user`.
    public var process: OCIProcess
    /// The JSON path of the `linux` object, for messages: `linux`, or empty when the document
    /// was the `linux` object alone.
    public var linuxPath: String
    /// `root`: the directory to make `/`; nil keeps the caller's root.
    public var root: OCIRoot?
    /// `mounts`, in order.
    public var mounts: [OCIMount] = []
    /// `linux.maskedPaths`: paths hidden inside (an empty read-only tmpfs or /dev/null over them).
    public var maskedPaths: [String] = []
    /// `linux.readonlyPaths`: paths bound read-only onto themselves.
    public var readonlyPaths: [String] = []
    /// `linux.rootfsPropagation`; nil keeps the sandbox's default (private).
    public var rootfsPropagation: MountPropagation?
    /// The bundle directory: where `config.json` was read from, which relative `root.path` and
    /// bind sources are taken from; nil means the working directory.
    public var bundle: String?

    /// A configuration that creates and joins nothing.
    public init(
        namespaces: [OCINamespace] = [], uidMappings: [IDMapping] = [], gidMappings: [IDMapping] = [],
        timeOffsets: TimeOffsets? = nil, hostname: String? = nil, process: OCIProcess = OCIProcess()
    ) {
        self.namespaces = namespaces
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
        self.timeOffsets = timeOffsets
        self.hostname = hostname
        self.process = process
        self.linuxPath = "linux"
    }

    /// The namespaces to create: the entries without a path.
    public var created: NamespaceSet { NamespaceSet(namespaces.filter { $0.path == nil }.map(\.kind)) }

    /// The JSON path of `name` in the `linux` object.
    func linuxField(_ name: String) -> String { JSONField.join(linuxPath, name) }
}

/// One entry of `linux.namespaces`: a namespace to create, or, with a path, to join.
public struct OCINamespace: Sendable, Hashable {
    /// The kind; its runtime-spec `type` is `kind.rawValue` (`network`, `mount`, ...).
    public var kind: NamespaceKind
    /// A namespace file to join (`/proc/PID/ns/net`, a bind mount of one); nil creates one.
    public var path: String?

    /// A namespace of `kind`, joined from `path` when given, created otherwise.
    public init(_ kind: NamespaceKind, path: String? = nil) {
        self.kind = kind
        self.path = path
    }

    /// The `type` strings of the runtime spec, in its order.
    public static let typeNames = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]
}

/// The `process` object of the runtime spec, as far as a namespace runner needs it.
public struct OCIProcess: Sendable, Hashable {
    /// `process.args`: the program (looked up in `PATH` as execvp(3) does) and its arguments.
    public var args: [String]?
    /// `process.env`: `NAME=value` strings; nil inherits the caller's environment.
    public var env: [String]?
    /// `process.cwd`: an absolute path; nil keeps the caller's working directory.
    public var cwd: String?
    /// `process.user.uid`: the uid inside (in the new user namespace when there is one); nil
    /// keeps the caller's.
    public var uid: UInt32?
    /// `process.user.gid`: the gid inside, as `uid`.
    public var gid: UInt32?
    /// `process.noNewPrivileges`: `PR_SET_NO_NEW_PRIVS` before the command executes.
    public var noNewPrivileges: Bool = false
    /// `process.capabilities`: the capability sets, by name (`CAP_SYS_ADMIN`); nil keeps them.
    public var capabilities: OCICapabilities?

    /// A process description; every field optional.
    public init(args: [String]? = nil, env: [String]? = nil, cwd: String? = nil, uid: UInt32? = nil, gid: UInt32? = nil) {
        self.args = args
        self.env = env
        self.cwd = cwd
        self.uid = uid
        self.gid = gid
    }
}

/// `process.capabilities`: the names in each set; a set left out is nil.
public struct OCICapabilities: Sendable, Hashable {
    /// The bounding set.
    public var bounding: [String]?
    /// The effective set.
    public var effective: [String]?
    /// The inheritable set.
    public var inheritable: [String]?
    /// The permitted set.
    public var permitted: [String]?
    /// The ambient set.
    public var ambient: [String]?

    /// Sets of capability names.
    public init(
        bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil, permitted: [String]? = nil,
        ambient: [String]? = nil
    ) {
        self.bounding = bounding
        self.effective = effective
        self.inheritable = inheritable
        self.permitted = permitted
        self.ambient = ambient
    }
}

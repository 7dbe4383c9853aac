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
/// also checks that every `path` is a namespace of its type. Other fields of the runtime spec
/// (`root`, `mounts`, `process.capabilities`, `linux.resources`, ...) are ignored, as the spec asks of
/// properties an implementation does not know.
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

    /// A process description; every field optional.
    public init(args: [String]? = nil, env: [String]? = nil, cwd: String? = nil, uid: UInt32? = nil, gid: UInt32? = nil) {
        self.args = args
        self.env = env
        self.cwd = cwd
        self.uid = uid
        self.gid = gid
    }
}

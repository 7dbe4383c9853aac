import Glibc
import SystemPackage

/// One value that describes a namespace set-up: which namespaces to create, which to join,
/// the user namespace's id maps, the credentials inside, how pid 1 behaves, and the process's
/// lifetime. `spawn(_:)` runs a command in it.
///
/// ```swift
/// var sandbox = Sandbox(create: [.user, .pid, .network])
/// sandbox.userMapping = .root
/// let process = try sandbox.spawn(SandboxCommand("sh", ["-c", "id -u; echo $$"]))
/// let ending = try process.wait()      // .exited(0)
/// ```
///
/// Everything is checked before the clone, and every mistake is thrown as a `SandboxError` that
/// names the field. The child then runs only async-signal-safe C, so `spawn` is safe from any
/// thread of a multithreaded program, Swift concurrency included.
public struct Sandbox: Sendable, Hashable {
    /// The namespaces to create.
    public var create: NamespaceSet
    /// Namespaces of other processes, or bind-mounted files, to enter. A kind may be created
    /// or joined, not both; a mount namespace may be both: joined, then copied into a new one.
    public var joins: [NamespaceJoin]
    /// The id maps of a new user namespace; nil leaves them unwritten (ids show as 65534).
    public var userMapping: UserMapping?
    /// Who owns the new user namespace, when not the caller (`unshare --owner`); needs root.
    public var userNamespaceOwner: UserNamespaceOwner?
    /// The uid to switch to inside, after the namespaces are set up. Nil keeps the uid, except
    /// after joining a user namespace, where it becomes 0 unless `preserveCredentials`.
    public var uid: uid_t?
    /// The gid to switch to inside; as `uid`.
    public var gid: gid_t?
    /// Whether setting `gid` must drop the supplementary groups (`.drop`), only where the
    /// user namespace allows it (`.dropWhereAllowed`, the default), or, joining a user
    /// namespace, as nsenter does (`.dropBeforeAndAfterJoining`).
    public var supplementaryGroups: SupplementaryGroups
    /// When joining a user namespace: keep uid, gid and groups as they are, as
    /// `nsenter --preserve-credentials` does. Otherwise they become 0 and the supplementary
    /// groups are dropped (where the namespace allows setgroups; see `supplementaryGroups`).
    public var preserveCredentials: Bool
    /// What pid 1 of a new pid namespace is.
    public var pidOne: PIDOne
    /// Lets the init (pid 1 of a pid namespace the clone creates, no joins, no clock offsets,
    /// no persist) run on the caller's memory instead of a copy of it: a spawn then copies no
    /// page tables and the init's exit tears none down. It makes the caller non-dumpable (the
    /// flag belongs to the memory, and must keep the sandbox from ptrace access to it), so
    /// its own /proc files belong to root; for a process that only waits for its sandbox,
    /// such as nsbox. The stack it runs on stays mapped as long as the caller lives.
    package var initSharesCallerMemory: Bool
    /// When a pid namespace is joined (it applies to children only): fork the command's
    /// process into it (true, the default, as nsenter does), or execute the command where it
    /// is, so that only its children start there (`nsenter -F/--no-fork`). A joined time
    /// namespace needs no fork: setns(2) moves the process itself.
    public var forkIntoJoinedNamespaces: Bool
    /// Kill the sandbox when the spawning process dies (`PR_SET_PDEATHSIG` with this signal,
    /// checked race-free through a pidfd of the parent). Nil: it lives on.
    public var parentDeathSignal: Signal?
    /// The command's session and terminal.
    public var session: SessionMode

    /// Mount propagation of a new mount namespace; `.private` by default.
    public var mountPropagation: MountPropagation
    /// A fresh `/proc`; by default when both a pid and a mount namespace are new.
    public var procMount: ProcMount
    /// A binfmt_misc of the new user namespace's own, right after `/proc`, with interpreters
    /// registered (`unshare --mount-binfmt`, `--load-interp`); needs new user and mount
    /// namespaces, and Linux 6.7 or later.
    public var binaryFormats: BinaryFormats?
    /// A new, empty tmpfs on `/tmp` (Perl's `private_tmp`); needs a new mount namespace.
    public var privateTmp: Bool
    /// Mounts made inside, in order, after `/proc` and the private `/tmp`.
    public var mounts: [Mount]
    /// A directory to make the root, with `rootMode`; mount targets are inside it.
    public var newRoot: FilePath?
    /// How `newRoot` is entered.
    public var rootMode: RootMode
    /// Make `newRoot` itself read-only once everything is mounted in it (its submounts, such as
    /// `/proc` or a tmpfs, keep their own flags), as an OCI `root.readonly`; needs `.pivot`.
    public var readOnlyRoot: Bool
    /// The hostname inside a new UTS namespace.
    public var hostname: String?
    /// The NIS domain name inside a new UTS namespace.
    public var domainName: String?
    /// Bring the loopback interface up in a new network namespace, so that 127.0.0.1 works
    /// (bwrap does; util-linux unshare leaves it down). On by default.
    public var loopbackUp: Bool
    /// Clock offsets of a new time namespace.
    public var timeOffsets: TimeOffsets?
    /// Keep created namespaces alive by bind-mounting them on these files (`unshare --net=FILE`);
    /// the files are created when missing. Undo with umount(8).
    public var persist: [NamespaceKind: FilePath]

    /// The capabilities the command keeps, in its user namespace: `.all` (the default, what
    /// `unshare -r` gives), `[]` (none, as bwrap gives an ordinary user), or a set. The others
    /// leave the bounding, permitted, effective, inheritable and ambient sets before `execve`,
    /// so that neither a setuid binary, file capabilities nor a uid change brings them back;
    /// the kept ones are raised as ambient, so a command run as another uid (`uid`) keeps them.
    public var capabilities: CapabilitySet
    /// After the uid and gid change, the permitted capabilities become inheritable and
    /// ambient, so that the command keeps them across `execve` as any uid (`unshare` and
    /// `nsenter --keep-caps`). A change from uid 0 to another uid has emptied the permitted
    /// set already (capabilities(7)): then nothing is kept.
    public var permittedCapabilitiesAsAmbient: Bool
    /// `PR_SET_NO_NEW_PRIVS` for the command: execve never grants more (setuid bits and file
    /// capabilities are ignored), and it is inherited by everything the command starts.
    public var noNewPrivileges: Bool
    /// When the mounts are locked by a nested user + mount namespace entered after the
    /// set-up, so that a read-only mount stays read-only, mounted and uncovered-from-under
    /// even for a command that keeps `CAP_SYS_ADMIN`: mount_namespaces(7).
    public var mountLocking: MountLocking
    /// Refuse the command any user namespace of its own (`bwrap --disable-userns`): the
    /// sandbox's user namespace allows one below it, the nested one the command runs in (so
    /// the mounts are locked too), and the command has no capability there to raise the limit.
    /// Needs a new user namespace.
    public var disableUserNamespaces: Bool
    /// A compiled classic BPF program (an array of `struct sock_filter`, 8 bytes each, as
    /// `bwrap --seccomp` reads it) loaded as the command's seccomp filter, last before
    /// `execve` (which it must allow): seccomp(2). The kernel loads it only with
    /// `noNewPrivileges` or `CAP_SYS_ADMIN` kept.
    public var seccompProgram: [UInt8]?
    /// Give the process its own, empty System V semaphore undo list (Perl's `private_sysvsem`,
    /// `unshare(CLONE_SYSVSEM)`): the adjustments it had are applied at once, not at its exit.
    /// A spawned child starts with an empty list anyway; this matters in place (`execute`,
    /// `apply`). A new IPC namespace implies it: unshare(2).
    public var privateSysVSemaphores: Bool

    /// A sandbox that creates `create` and changes nothing else.
    public init(create: NamespaceSet = []) {
        self.create = create
        self.joins = []
        self.userMapping = nil
        self.userNamespaceOwner = nil
        self.uid = nil
        self.gid = nil
        self.supplementaryGroups = .dropWhereAllowed
        self.preserveCredentials = false
        self.pidOne = .initProcess
        self.initSharesCallerMemory = false
        self.forkIntoJoinedNamespaces = true
        self.parentDeathSignal = nil
        self.session = .inherit
        self.mountPropagation = .private
        self.procMount = .automatic
        self.binaryFormats = nil
        self.privateTmp = false
        self.mounts = []
        self.newRoot = nil
        self.rootMode = .pivot
        self.readOnlyRoot = false
        self.hostname = nil
        self.domainName = nil
        self.loopbackUp = true
        self.timeOffsets = nil
        self.persist = [:]
        self.capabilities = .all
        self.permittedCapabilitiesAsAmbient = false
        self.noNewPrivileges = false
        self.mountLocking = .whenReadOnly
        self.disableUserNamespaces = false
        self.seccompProgram = nil
        self.privateSysVSemaphores = false
    }

    /// Adds a namespace to enter: `join(.network, .process(pid))` or `.path("/run/netns/x")`.
    public mutating func join(_ kind: NamespaceKind, _ target: NamespaceJoin.Target) {
        joins.append(NamespaceJoin(kind, target))
    }

    /// Whether the sandbox dies with its parent: `parentDeathSignal` is SIGKILL when set.
    public var dieWithParent: Bool {
        get { parentDeathSignal != nil }
        set { parentDeathSignal = newValue ? .kill : nil }
    }
}

/// A namespace to enter: its kind, and where it comes from.
public struct NamespaceJoin: Sendable, Hashable {
    /// Where the namespace comes from.
    public enum Target: Sendable, Hashable {
        /// `/proc/PID/ns/KIND` of a running process.
        case process(ProcessID)
        /// A namespace file: `/proc/PID/ns/KIND` or a file a namespace is bind-mounted on.
        case path(FilePath)
    }

    /// The kind to enter.
    public var kind: NamespaceKind
    /// Where it comes from.
    public var target: Target

    /// A namespace of `kind` from `target`.
    public init(_ kind: NamespaceKind, _ target: Target) {
        self.kind = kind
        self.target = target
    }

    /// The file that names the namespace.
    public var path: FilePath {
        switch target {
        case .process(let pid): FilePath(namespacePath(kind, of: pid))
        case .path(let path): path
        }
    }
}

/// What pid 1 of a new pid namespace is.
public enum PIDOne: Sendable, Hashable {
    /// A small init (in C) that forks the command, passes on to it every signal it can catch
    /// but SIGCHLD (as tini does), reaps every orphan, and exits with the command's status.
    /// The command is pid 2. The default, as bwrap does.
    case initProcess
    /// The command itself is pid 1 (`bwrap --as-pid-1`): it must reap orphans and handle
    /// signals itself; the kernel ignores signals pid 1 has no handler for.
    case command
}

/// The command's session and terminal.
public enum SessionMode: Sendable, Hashable {
    /// Stay in the caller's session and process group.
    case inherit
    /// A new session without a controlling terminal (setsid(2)): the command cannot push
    /// input into the caller's terminal with TIOCSTI.
    case newSession
    /// A new process group that becomes the terminal's foreground group, so that an
    /// interactive shell gets the keyboard; the caller takes it back in `wait()`.
    case foreground
}

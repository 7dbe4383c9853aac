import CNamespaces
import SystemPackage

/// Why a sandbox could not be spawned: a field of the configuration that is wrong, or the
/// step of the set-up that the kernel refused, with its errno and a hint.
///
/// `step` says which step failed, as a value to `switch` on:
///
/// ```swift
/// do {
///     _ = try sandbox.spawn(command)
/// } catch {
///     switch error.step {
///     case .mount(let index, let target): print("mount \(index) on \(target): \(error.errno!)")
///     case .execve(let name): print("cannot run \(name)")
///     case .configuration(let field): print("fix \(field)")
///     default: print(error)
///     }
/// }
/// ```
///
/// Its `description` is one line for people, and `exitStatus` follows the conventions of
/// env(1) and the shells: 127 when the command is not found, 126 when it cannot be executed,
/// 125 for everything else.
public struct SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the set-up failed: before anything started, in the calling process, or in the child.
    public enum Stage: String, Sendable, Equatable {
        /// The configuration is wrong; nothing was started.
        case configuration
        /// The command does not exist.
        case commandNotFound = "command not found"
        /// The command exists but cannot be executed.
        case commandNotExecutable = "command not executable"
        /// The command exists, but the interpreter it names (its ELF PT_INTERP or `#!` line)
        /// does not: execve(2) says ENOENT.
        case interpreterNotFound = "interpreter not found"
        /// The calling process lacks a resource the spawn needs: a pipe, a thread.
        case resources
        /// Creating the child: clone3(2), clone(2) or fork(2), and holding it with a pidfd.
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

    /// Which part of locking the mounts failed (`Step.lockMounts`).
    public enum LockMountsStep: String, Sendable, Equatable {
        /// Opening `/proc/self` before the mounts.
        case openProc = "opening /proc/self"
        /// unshare(2) of the nested user and mount namespace.
        case unshare = "unshare(user,mnt)"
        /// Writing the nested namespace's `setgroups`.
        case setgroups
        /// Writing its `uid_map`.
        case uidMap = "uid_map"
        /// Writing its `gid_map`.
        case gidMap = "gid_map"
        /// Forking or waiting for the process that writes larger maps.
        case mapWriter = "the map writer"
        /// chroot(2) to the mount now on `/`.
        case reroot = "chroot to the new /"
        /// Writing 1 to `/proc/sys/user/max_user_namespaces` (`disableUserNamespaces`).
        case limitUserNamespaces = "max_user_namespaces"
        /// setresgid(2)/setresuid(2) to mapped ids before the nested namespace.
        case switchIDs = "switching to mapped ids"
    }

    /// Which part of dropping capabilities failed (`Step.capabilities`).
    public enum CapabilitiesStep: String, Sendable, Equatable {
        /// prctl(2) `PR_SET_KEEPCAPS` before the uid changes.
        case keep = "PR_SET_KEEPCAPS"
        /// prctl(2) `PR_CAPBSET_DROP`.
        case boundingSet = "the bounding set"
        /// capset(2): the permitted, effective and inheritable sets.
        case sets = "capset"
        /// prctl(2) `PR_CAP_AMBIENT`.
        case ambientSet = "the ambient set"
    }

    /// The step that failed, with what it worked on.
    public enum Step: Sendable, Equatable, CustomStringConvertible {
        // Before anything starts.
        /// A field of the configuration (`mounts`, `joins`, `userMapping`, `command.executable`...).
        case configuration(field: String)
        /// Finding the command in `PATH` or checking its file, in the caller.
        case lookup(String)

        // In the calling process.
        /// pipe2(2).
        case pipe
        /// Starting the thread that clones when a parent-death signal is asked from another thread.
        case spawnerThread
        /// clone3(2) (clone(2) when `sharedMemory`) with these namespaces.
        case clone(NamespaceSet, sharedMemory: Bool)
        /// fork(2): the direct form's child, or the child's fork into a new pid or time namespace.
        case fork
        /// pidfd_open(2) of the process that runs the command.
        case pidfdOpen(ProcessID)
        /// Writing `setgroups`, `uid_map` or `gid_map` (from the caller or the child).
        case writeIDMap(FilePath)
        /// newuidmap(1) or newgidmap(1).
        case idMapHelper(String)
        /// Bind-mounting the namespace of `kind` on `file`.
        case persist(NamespaceKind, FilePath)
        /// pidfd_send_signal(2) of this signal.
        case signal(Signal)
        /// waitid(2) for the process.
        case wait
        /// The sandbox's init waiting for the command (wait4(2)).
        case initWait

        // In the child, in the order it runs them.
        /// prctl(2) `PR_SET_PDEATHSIG`.
        case parentDeathSignal
        /// The spawning process died before the parent-death signal was armed.
        case parentGone
        /// Waiting for the parent (it failed or died).
        case synchronization
        /// setns(2) into these namespaces.
        case setns(NamespaceSet)
        /// unshare(2) of these namespaces.
        case unshare(NamespaceSet)
        /// Locking the mounts with a nested user and mount namespace.
        case lockMounts(LockMountsStep)
        /// Taking the ids of the new user namespace's owner: setgroups(2), setresgid(2), setresuid(2).
        case namespaceOwner(UserNamespaceOwner)
        /// Registering `BinaryFormats.rules[index]` with binfmt_misc.
        case binaryFormat(index: Int)
        /// setgroups(2).
        case setgroups
        /// setresgid(2) to this gid.
        case setgid(UInt32)
        /// setresuid(2) to this uid.
        case setuid(UInt32)
        /// setsid(2).
        case setsid
        /// setpgid(2) and tcsetpgrp(3): the command in the terminal's foreground.
        case foreground
        /// Writing `/proc/self/timens_offsets`.
        case timeOffsets
        /// Setting the propagation of every mount.
        case mountPropagation(MountPropagation)
        /// `Sandbox.mounts` (with the mounts the sandbox adds itself) at `index`, on `target`.
        case mount(index: Int, target: FilePath)
        /// pivot_root(2) or chroot(2) into the new root.
        case newRoot(FilePath, RootMode)
        /// sethostname(2).
        case hostname(String)
        /// setdomainname(2).
        case domainName(String)
        /// Bringing `lo` up.
        case loopback
        /// chdir(2) to the working directory.
        case chdir(FilePath)
        /// Arranging the command's file descriptor with this number.
        case fileDescriptor(Int32)
        /// Restoring the signal mask and dispositions.
        case signalMask
        /// Dropping capabilities.
        case capabilities(CapabilitiesStep)
        /// prctl(2) `PR_SET_NO_NEW_PRIVS`.
        case noNewPrivileges
        /// Loading the seccomp filter.
        case seccomp
        /// execve(2) of the command.
        case execve(String)
        /// The child ended without saying why (killed, out of memory).
        case unreported
        /// A step this version does not know, by its number in the C child.
        case unknown(Int32)

        /// A registered entry point run by `Sandbox.run(entryPoint:)`.
        case entryPoint(String)

        // Standard I/O (`Sandbox.run`).
        /// A call that sets up the I/O machinery (pipe2, epoll_create1, eventfd, a thread).
        case ioSetup(String)
        /// Writing to or reading from one of the command's standard streams.
        case stream(StandardStream)

        /// The step as error messages name it: `setns(net)`, `chdir /x`, `clone3(user,pid)`.
        public var description: String {
            switch self {
            case .configuration(let field): field
            case .lookup(let name): name
            case .pipe: "pipe2"
            case .spawnerThread: "starting the spawner thread"
            case .clone(let kinds, let shared): "\(shared ? "clone" : "clone3")(\(kinds))"
            case .fork: "fork"
            case .pidfdOpen(let pid): "pidfd_open(\(pid.rawValue))"
            case .writeIDMap(let file): file.string
            case .idMapHelper(let name): name
            case .persist(let kind, let file): "persist[\(kind)] \(file)"
            case .signal(let signal): "pidfd_send_signal(\(signal.rawValue))"
            case .ioSetup(let call): call
            case .stream(let stream): stream.description
            case .wait: "waitid"
            case .initWait: "wait4"
            case .parentDeathSignal: "prctl(PR_SET_PDEATHSIG)"
            case .parentGone: "parent-death check"
            case .synchronization: "waiting for the parent"
            case .setns(let kinds): "setns(\(kinds))"
            case .unshare(let kinds): "unshare(\(kinds))"
            case .lockMounts(let part): "locking the mounts: \(part.rawValue)"
            case .namespaceOwner(let owner): "taking the owner's ids \(owner.uid):\(owner.gid)"
            case .binaryFormat(let index): "registering binfmt_misc rule \(index)"
            case .setgroups: "setgroups"
            case .setgid(let gid): "setresgid(\(gid))"
            case .setuid(let uid): "setresuid(\(uid))"
            case .setsid: "setsid"
            case .foreground: "tcsetpgrp"
            case .timeOffsets: "timens_offsets"
            case .mountPropagation(let propagation): "mount propagation \(propagation)"
            case .mount(let index, let target): "mount \(index) on \(target)"
            case .newRoot(let root, let mode): "\(mode == .pivot ? "pivot_root" : "chroot") \(root)"
            case .hostname(let name): "sethostname \(name)"
            case .domainName(let name): "setdomainname \(name)"
            case .loopback: "bringing lo up"
            case .chdir(let directory): "chdir \(directory)"
            case .fileDescriptor(let fd): "file descriptor \(fd)"
            case .signalMask: "signal mask"
            case .capabilities(let part): "dropping capabilities: \(part.rawValue)"
            case .noNewPrivileges: "prctl(PR_SET_NO_NEW_PRIVS)"
            case .seccomp: "seccomp(SECCOMP_SET_MODE_FILTER)"
            case .execve(let name): "execve \(name)"
            case .unreported: "set-up"
            case .unknown(let number): "step \(number)"
            case .entryPoint(let name): "entry point \(name)"
            }
        }
    }

    /// Where it failed.
    public var stage: Stage
    /// The step that failed, to `switch` on.
    public var step: Step
    /// The kernel's error, if it refused.
    public var errno: Errno?
    /// What failed, in words.
    public var detail: String
    /// How to fix it, where known.
    public var hint: String?
    /// How `description` names the step where it says more than `step` does (a mount's source).
    var label: String?

    /// An error at `stage` in `step`.
    public init(_ stage: Stage, _ step: Step, errno: Errno? = nil, detail: String, hint: String? = nil) {
        self.stage = stage
        self.step = step
        self.errno = errno
        self.detail = detail
        self.hint = hint
    }

    /// A configuration error naming `field` (`mounts (tmpfs on /x)`, `joins[0] (net)`): the
    /// step holds the field's name alone, the message all of it.
    init(invalid field: String, _ detail: String, hint: String? = nil) {
        let name = String(field.prefix { $0 != " " && $0 != "[" })
        self.init(.configuration, .configuration(field: name), detail: detail, hint: hint)
        if name != field { label = field }
    }

    /// 127 command (or its interpreter) not found, 126 not executable, 125 anything else.
    public var exitStatus: Int32 {
        switch stage {
        case .commandNotFound, .interpreterNotFound: 127
        case .commandNotExecutable: 126
        default: 125
        }
    }

    /// One line: `stage: step: ERRNO (text): detail; hint`.
    public var description: String {
        let name = label ?? step.description
        var parts = [stage == .child ? name : "\(stage.rawValue): \(name)"]
        if let errno { parts.append(errno.symbolicDescription) }
        if !detail.isEmpty { parts.append(detail) }
        var line = parts.joined(separator: ": ")
        if let hint { line += "; " + hint }
        return line
    }
}

import CNamespaces
import Glibc
import SystemPackage

/// A failed step as the child reported it on the error pipe, turned into a `SandboxError`.
extension SandboxError {
    /// `pid`: the child, as the caller sees it.
    init(report: cn_report, pid: ProcessID, command: SandboxCommand, sandbox: Sandbox, mounts: [Mount]) {
        let errno = Errno(rawValue: report.error)
        let detail = Int32(truncatingIfNeeded: report.detail)
        let kinds = NamespaceSet(rawValue: detail)
        switch Int(report.step) {
        case Int(CN_STEP_EXEC.rawValue):
            self.init(execve: command, errno: errno, seesCallerFiles: sandbox.seesCallerFiles)
        case Int(CN_STEP_SETNS.rawValue):
            self.init(.child, .setns(kinds), errno: errno, detail: "cannot enter the namespace",
                hint: errno == .notPermitted ? setnsPermissionHint(kinds, sandbox) : nil)
        case Int(CN_STEP_MOUNT.rawValue):
            let index = Int(detail)
            let mount = mounts.indices.contains(index) ? mounts[index] : nil
            var hint: String?
            if mount?.source == .proc && errno == .notPermitted {
                hint = "an unprivileged proc mount needs a new pid namespace and a /proc without mounts over it"
            } else if mount?.source == .fileSystem(type: "binfmt_misc", options: nil) {
                hint = BinaryFormats.mountHint(errno)
            }
            self.init(.child, .mount(index: index, target: mount?.target ?? FilePath()), errno: errno, detail: "cannot mount", hint: hint)
            label = "mount \(mount?.description ?? "\(detail)")"
        case Int(CN_STEP_ID_MAPS.rawValue):
            // The same error as when this process writes the maps (writeIDMaps); the child's
            // cn_write_proc_file says EXDEV for a file that is not on procfs.
            let name = ["setgroups", "uid_map", "gid_map"][min(max(Int(detail), 0), 2)]
            self.init(idMaps: idMapWriteError(pid, name, errno: errno, notProcfs: errno == .improperLink))
        case Int(CN_STEP_LOCK_MOUNTS.rawValue):
            let parts: [UInt32: LockMountsStep] = [
                CN_LOCK_PROC.rawValue: .openProc, CN_LOCK_UNSHARE.rawValue: .unshare,
                CN_LOCK_SETGROUPS.rawValue: .setgroups, CN_LOCK_UID_MAP.rawValue: .uidMap,
                CN_LOCK_GID_MAP.rawValue: .gidMap, CN_LOCK_HELPER.rawValue: .mapWriter,
                CN_LOCK_REROOT.rawValue: .reroot, CN_LOCK_LIMIT_USERNS.rawValue: .limitUserNamespaces,
                CN_LOCK_SWITCH.rawValue: .switchIDs,
            ]
            guard let part = parts[UInt32(truncatingIfNeeded: detail)] else { self.init(unknown: report); return }
            self.init(.child, .lockMounts(part), errno: errno,
                detail: "cannot enter the nested user and mount namespace that locks them",
                hint: "set mountLocking to .never (the read-only mounts can then be remounted by a command with CAP_SYS_ADMIN)")
        case Int(CN_STEP_CAPABILITIES.rawValue):
            let parts: [UInt32: CapabilitiesStep] = [
                CN_CAPS_KEEP.rawValue: .keep, CN_CAPS_BOUNDING.rawValue: .boundingSet,
                CN_CAPS_SETS.rawValue: .sets, CN_CAPS_AMBIENT.rawValue: .ambientSet,
            ]
            guard let part = parts[UInt32(truncatingIfNeeded: detail)] else { self.init(unknown: report); return }
            self.init(.child, .capabilities(part), errno: errno,
                detail: sandbox.capabilities == .all ? "cannot raise the permitted capabilities as ambient" : "cannot keep only \(sandbox.capabilities)",
                hint: part == .boundingSet && errno == .notPermitted
                    ? "the bounding set shrinks only with CAP_SETPCAP: create a user namespace, or set noNewPrivileges" : nil)
        case Int(CN_STEP_OWNER.rawValue):
            let owner = sandbox.userNamespaceOwner ?? UserNamespaceOwner(uid: 0, gid: 0)
            self.init(.child, .namespaceOwner(owner), errno: errno, detail: "cannot become the owner of the new user namespace",
                hint: errno == .notPermitted ? "taking another user's ids needs CAP_SETUID and CAP_SETGID: run as root" : nil)
        case Int(CN_STEP_BINFMT.rawValue):
            let rules = sandbox.binaryFormats?.rules ?? []
            let rule = rules.indices.contains(Int(detail)) ? rules[Int(detail)] : ""
            self.init(.child, .binaryFormat(index: Int(detail)), errno: errno, detail: "binfmt_misc refused '\(rule)'",
                hint: BinaryFormats.registerHint(rule, errno))
        case Int(CN_STEP_UNSHARE.rawValue):
            self.init(.child, .unshare(kinds), errno: errno, detail: "cannot create the namespaces",
                hint: creationHint(kinds, errno: errno))
        default:
            let steps: [UInt32: Step] = [
                CN_STEP_PDEATHSIG.rawValue: .parentDeathSignal,
                CN_STEP_PARENT_GONE.rawValue: .parentGone,
                CN_STEP_SYNC.rawValue: .synchronization,
                CN_STEP_SETGROUPS.rawValue: .setgroups,
                CN_STEP_SETGID.rawValue: .setgid(UInt32(truncatingIfNeeded: detail)),
                CN_STEP_SETUID.rawValue: .setuid(UInt32(truncatingIfNeeded: detail)),
                CN_STEP_FORK.rawValue: .fork,
                CN_STEP_SETSID.rawValue: .setsid,
                CN_STEP_FOREGROUND.rawValue: .foreground,
                // detail 1: the root directory fd (chroot), 2: the working directory fd.
                CN_STEP_CHDIR.rawValue: .chdir(detail == 1 ? "(root directory fd)" : detail == 2 ? "(working directory fd)" : command.workingDirectory ?? FilePath()),
                CN_STEP_FDS.rawValue: .fileDescriptor(detail),
                CN_STEP_SIGNALS.rawValue: .signalMask,
                CN_STEP_NO_NEW_PRIVS.rawValue: .noNewPrivileges,
                CN_STEP_SECCOMP.rawValue: .seccomp,
                CN_STEP_TIME_OFFSETS.rawValue: .timeOffsets,
                CN_STEP_PROPAGATION.rawValue: .mountPropagation(sandbox.mountPropagation),
                CN_STEP_HOSTNAME.rawValue: .hostname(sandbox.hostname ?? ""),
                CN_STEP_DOMAINNAME.rawValue: .domainName(sandbox.domainName ?? ""),
                CN_STEP_LOOPBACK.rawValue: .loopback,
                CN_STEP_NEW_ROOT.rawValue: .newRoot(sandbox.newRoot ?? FilePath(), sandbox.rootMode),
            ]
            guard let step = steps[UInt32(truncatingIfNeeded: report.step)] else { self.init(unknown: report); return }
            var hint: String?
            switch step {
            case .setuid, .setgid:
                hint = "the id must be mapped in the user namespace (see userMapping)"
            case .setgroups where errno == .notPermitted && sandbox.joinedKinds.contains(.user) && sandbox.supplementaryGroups == .dropBeforeAndAfterJoining:
                // setgroups(2): EPERM in a namespace whose setgroups is "deny" or with no gid map.
                hint = "the joined user namespace refuses setgroups (its setgroups file says deny, as unshare -r writes it, or it has no gid map) "
                    + "and dropping the supplementary groups before joining needs CAP_SETGID: keep the credentials (preserveCredentials; nsbox enter --preserve-credentials)"
            case .setgroups where errno == .notPermitted && sandbox.supplementaryGroups == .drop:
                hint = "the user namespace refuses it (its setgroups file says deny, or it has no gid map) or CAP_SETGID is missing; "
                    + "supplementaryGroups .dropWhereAllowed keeps the groups instead"
            case .parentGone:
                hint = "the spawning process died during the set-up"
            case .chdir:
                hint = "the working directory must exist inside the sandbox"
            case .timeOffsets where errno == .outOfRange:
                hint = timeOffsetRangeHint()
            case .fork where errno == .noMemory && sandbox.joinedKinds.contains(.pid):
                // The kernel's answer to a fork into a pid namespace whose pid 1 has exited.
                hint = "the joined pid namespace's init (its pid 1) has exited: nothing can start in it any more"
            default: break
            }
            self.init(.child, step, errno: errno, detail: "failed during the set-up", hint: hint)
        }
    }

    /// A failed execve(2): its cause read from the files where the command sees ours (a
    /// missing interpreter, a noexec mount...), else the errno alone.
    private init(execve command: SandboxCommand, errno: Errno, seesCallerFiles: Bool) {
        let name = command.executable
        if seesCallerFiles && command.executableFD == nil {
            if name.contains("/") {
                self = ExecDiagnosis.error(.execve(name), path: name, errno: errno)
                return
            }
            // The child searched as ExecutableLookup.search does: its first executable
            // candidate is the one execve refused, or the search found none.
            switch ExecutableLookup.search(name, in: command.searchPath) {
            case .found(let candidate, _):
                self = ExecDiagnosis.error(.execve(name), path: candidate, errno: errno, name: name)
                return
            case .failed(let candidate?, let found) where found == errno:
                self = ExecDiagnosis.error(.execve(name), path: candidate, errno: errno, name: name)
                return
            default: break
            }
        }
        let missing = errno == .noSuchFileOrDirectory
        self.init(
            missing ? .commandNotFound : .commandNotExecutable, .execve(name),
            errno: errno, detail: missing ? "no such command inside the sandbox" : "cannot execute it",
            hint: missing ? "check the name and PATH as the sandbox's mount namespace sees them" : nil)
    }

    /// A report of a step (or a part of one) this version does not know.
    private init(unknown report: cn_report) {
        self.init(.child, .unknown(report.step), errno: Errno(rawValue: report.error),
            detail: "failed during the set-up (part \(report.detail))")
    }
}

extension SandboxError {
    /// A failed write of an id map file, as the `.idMaps` step that names the file.
    init(idMaps error: NamespaceError) {
        self.init(.idMaps, .writeIDMap(error.path ?? FilePath("id maps")), errno: error.errno, detail: error.detail, hint: error.hint)
    }
}

/// Why setns(2) refused `kinds` with EPERM: re-entering a namespace the caller is in already
/// (as `nsenter -a` re-enters those it shares) from a joined user namespace, which gives no
/// capability over it, or no CAP_SYS_ADMIN over the namespace's owner.
func setnsPermissionHint(_ kinds: NamespaceSet, _ sandbox: Sandbox) -> String {
    if sandbox.joinedKinds.contains(.user), let join = sandbox.joins.first(where: { kinds.contains(NamespaceSet($0.kind)) }) {
        let name = join.kind == .pid ? "pid_for_children" : join.kind == .time ? "time_for_children" : join.kind.procName
        var theirs = stat(), ours = stat()
        if stat(join.path.string, &theirs) == 0 && stat("/proc/self/ns/" + name, &ours) == 0
            && (theirs.st_dev, theirs.st_ino) == (ours.st_dev, ours.st_ino) {
            return "it is the caller's own \(join.kind.procName) namespace, and re-entering it needs CAP_SYS_ADMIN over its owner, "
                + "which the joined user namespace does not give (nsenter -a fails so too): leave it out (with nsbox enter -a: name the namespaces to enter instead)"
        }
    }
    return "entering needs CAP_SYS_ADMIN over the namespace's owner; join its user namespace too"
}

/// Why the kernel refuses a clock offset with ERANGE: the clock with the offset added must stay
/// at 0 or more and under KTIME_SEC_MAX / 2 seconds (time_namespaces(7); kernel/time/namespace.c).
func timeOffsetRangeHint() -> String {
    func seconds(_ clock: clockid_t) -> Int {
        var now = timespec()
        clock_gettime(clock, &now)
        return now.tv_sec
    }
    return "an offset must keep its clock at 0 s or more and under 4611686018 s (about 146 years); "
        + "monotonic is now \(seconds(CLOCK_MONOTONIC)) s, boottime \(seconds(CLOCK_BOOTTIME)) s"
}

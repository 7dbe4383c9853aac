import CNamespaces
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
            let missing = errno == .noSuchFileOrDirectory
            self.init(
                missing ? .commandNotFound : .commandNotExecutable, step: "execve \(command.executable)",
                errno: errno, detail: missing ? "no such command inside the sandbox" : "cannot execute it",
                hint: missing ? "check the name and PATH as the sandbox's mount namespace sees them" : nil)
        case Int(CN_STEP_SETNS.rawValue):
            self.init(.child, step: "setns(\(kinds))", errno: errno, detail: "cannot enter the namespace",
                hint: errno == .notPermitted
                    ? "entering needs CAP_SYS_ADMIN over the namespace's owner; join its user namespace too" : nil)
        case Int(CN_STEP_MOUNT.rawValue):
            let mount = mounts.indices.contains(Int(detail)) ? mounts[Int(detail)].description : "mount \(detail)"
            self.init(.child, step: "mount \(mount)", errno: errno, detail: "cannot mount",
                hint: mount.hasPrefix("proc") && errno == .notPermitted
                    ? "an unprivileged proc mount needs a new pid namespace and a /proc without mounts over it" : nil)
        case Int(CN_STEP_ID_MAPS.rawValue):
            // The same error as when this process writes the maps (writeIDMaps); the child's
            // cn_write_proc_file says EXDEV for a file that is not on procfs.
            let name = ["setgroups", "uid_map", "gid_map"][min(max(Int(detail), 0), 2)]
            self.init(idMaps: idMapWriteError(pid, name, errno: errno, notProcfs: errno == .improperLink))
        case Int(CN_STEP_LOCK_MOUNTS.rawValue):
            let parts: [UInt32: String] = [
                CN_LOCK_PROC.rawValue: "opening /proc/self", CN_LOCK_UNSHARE.rawValue: "unshare(user,mnt)",
                CN_LOCK_SETGROUPS.rawValue: "setgroups", CN_LOCK_UID_MAP.rawValue: "uid_map",
                CN_LOCK_GID_MAP.rawValue: "gid_map", CN_LOCK_HELPER.rawValue: "the map writer",
                CN_LOCK_REROOT.rawValue: "chroot to the new /",
                CN_LOCK_LIMIT_USERNS.rawValue: "max_user_namespaces",
                CN_LOCK_SWITCH.rawValue: "switching to mapped ids",
            ]
            self.init(.child, step: "locking the mounts: \(parts[UInt32(detail)] ?? "step \(detail)")", errno: errno,
                detail: "cannot enter the nested user and mount namespace that locks them",
                hint: "set mountLocking to .never (the read-only mounts can then be remounted by a command with CAP_SYS_ADMIN)")
        case Int(CN_STEP_CAPABILITIES.rawValue):
            let parts: [UInt32: String] = [
                CN_CAPS_KEEP.rawValue: "PR_SET_KEEPCAPS", CN_CAPS_BOUNDING.rawValue: "the bounding set",
                CN_CAPS_SETS.rawValue: "capset", CN_CAPS_AMBIENT.rawValue: "the ambient set",
            ]
            self.init(.child, step: "dropping capabilities: \(parts[UInt32(detail)] ?? "step \(detail)")", errno: errno,
                detail: "cannot keep only \(sandbox.capabilities)",
                hint: detail == Int32(CN_CAPS_BOUNDING.rawValue) && errno == .notPermitted
                    ? "the bounding set shrinks only with CAP_SETPCAP: create a user namespace, or set noNewPrivileges" : nil)
        case Int(CN_STEP_UNSHARE.rawValue):
            self.init(.child, step: "unshare(\(kinds))", errno: errno, detail: "cannot create the namespaces",
                hint: creationHint(kinds, errno: errno))
        default:
            let names: [UInt32: String] = [
                CN_STEP_PDEATHSIG.rawValue: "prctl(PR_SET_PDEATHSIG)",
                CN_STEP_PARENT_GONE.rawValue: "parent-death check",
                CN_STEP_SYNC.rawValue: "waiting for the parent",
                CN_STEP_SETGROUPS.rawValue: "setgroups",
                CN_STEP_SETGID.rawValue: "setresgid(\(detail))",
                CN_STEP_SETUID.rawValue: "setresuid(\(detail))",
                CN_STEP_FORK.rawValue: "fork",
                CN_STEP_SETSID.rawValue: "setsid",
                CN_STEP_FOREGROUND.rawValue: "tcsetpgrp",
                CN_STEP_CHDIR.rawValue: "chdir \(command.workingDirectory ?? "")",
                CN_STEP_FDS.rawValue: "file descriptor \(detail)",
                CN_STEP_SIGNALS.rawValue: "signal mask",
                CN_STEP_NO_NEW_PRIVS.rawValue: "prctl(PR_SET_NO_NEW_PRIVS)",
                CN_STEP_SECCOMP.rawValue: "seccomp(SECCOMP_SET_MODE_FILTER)",
                CN_STEP_TIME_OFFSETS.rawValue: "timens_offsets",
                CN_STEP_PROPAGATION.rawValue: "mount propagation \(sandbox.mountPropagation)",
                CN_STEP_HOSTNAME.rawValue: "sethostname \(sandbox.hostname ?? "")",
                CN_STEP_DOMAINNAME.rawValue: "setdomainname \(sandbox.domainName ?? "")",
                CN_STEP_LOOPBACK.rawValue: "bringing lo up",
                CN_STEP_NEW_ROOT.rawValue: "\(sandbox.rootMode == .pivot ? "pivot_root" : "chroot") \(sandbox.newRoot ?? "")",
            ]
            let step = names[UInt32(report.step)] ?? "step \(report.step)"
            var hint: String?
            switch Int(report.step) {
            case Int(CN_STEP_SETUID.rawValue), Int(CN_STEP_SETGID.rawValue):
                hint = "the id must be mapped in the user namespace (see userMapping)"
            case Int(CN_STEP_PARENT_GONE.rawValue):
                hint = "the spawning process died during the set-up"
            case Int(CN_STEP_CHDIR.rawValue):
                hint = "the working directory must exist inside the sandbox"
            case Int(CN_STEP_FORK.rawValue) where errno == .noMemory && sandbox.joinedKinds.contains(.pid):
                // The kernel's answer to a fork into a pid namespace whose pid 1 has exited.
                hint = "the joined pid namespace's init (its pid 1) has exited: nothing can start in it any more"
            default: break
            }
            self.init(.child, step: step, errno: errno, detail: "failed during the set-up", hint: hint)
        }
    }
}

extension SandboxError {
    /// A failed write of an id map file, as the `.idMaps` step that names the file.
    init(idMaps error: NamespaceError) {
        self.init(.idMaps, step: error.path?.string ?? "id maps", errno: error.errno, detail: error.detail, hint: error.hint)
    }
}

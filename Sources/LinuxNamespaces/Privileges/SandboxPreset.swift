extension Sandbox {
    /// A sandbox for code you do not trust (`nsbox run --sandbox`), as `bwrap --unshare-all
    /// --die-with-parent --new-session --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp
    /// --cap-drop ALL` and locked mounts on top:
    ///
    /// - new user (the caller is root inside, with no capabilities), mount, pid (with an init),
    ///   network (lo only), UTS, IPC and cgroup namespaces;
    /// - the host's `/` bound read-only, then a fresh `/proc`, a minimal `/dev`
    ///   (`Mount/devices(at:)`) and an empty `/tmp`; the mounts locked (`MountLocking/always`):
    ///   not remountable, unmountable or replaceable from inside;
    /// - no capabilities, `PR_SET_NO_NEW_PRIVS`, a new session (no `TIOCSTI` into the caller's
    ///   terminal), killed with the spawning thread (`dieWithParent`), and no fd beyond 0-2.
    ///
    /// Each piece can be opened back up by changing its field (`create`, `capabilities`,
    /// `mounts`...). It does not hide what the host's `/` lets anyone read, nor limit CPU,
    /// memory or system calls (no cgroup limits; `seccompProgram` is nil).
    public static func untrustedCode() -> Sandbox {
        var sandbox = Sandbox(create: [.user, .mount, .pid, .network, .uts, .ipc, .cgroup])
        sandbox.userMapping = .root
        // The fresh /proc after the read-only /, which would cover it.
        sandbox.procMount = .none
        sandbox.mounts = [.bind("/", "/", readOnly: true), Mount(.proc, on: "/proc")]
            + Mount.devices(at: "/dev") + [.tmpfs("/tmp", mode: 0o1777)]
        sandbox.mountLocking = .always
        sandbox.capabilities = []
        sandbox.noNewPrivileges = true
        sandbox.session = .newSession
        sandbox.dieWithParent = true
        return sandbox
    }
}

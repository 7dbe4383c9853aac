import CNamespaces
import Glibc
import LinuxNamespaces
import SystemPackage

extension EnterOptions {
    /// The sandbox that joins what the options name, and the command, in nsenter's order:
    /// `-a`, the namespace files and the target's, the socket's and the parent user
    /// namespaces, then the directories, environment, ids and cgroup of the target.
    /// The files this opens (sockets' namespaces, directories) stay open until the command
    /// runs: they are close-on-exec.
    func plan() throws -> (Sandbox, SandboxCommand) {
        var sandbox = Sandbox()
        let pid = target.map { ProcessID(rawValue: $0) }
        if let inode = targetInode, let pid { try checkPidfdInode(pid, inode) }
        for (kind, file) in kinds {
            if let file {
                if file.hasPrefix(":") {
                    throw Failure(message: "--\(kind.procName)=:\(file.dropFirst()): entering a namespace by its id needs Linux 6.19 (nsfs file handles); give a file or -t PID")
                }
                sandbox.join(kind, .path(try NamedNamespaces.resolve(kind, file)))
            } else if let pid {
                sandbox.join(NamespaceSet(kind), of: pid)
            } else {
                throw Failure(message: "neither filename nor target pid supplied for ns/\(kind.procName)")
            }
        }
        if all {
            guard let pid else { throw Failure(message: "no target PID specified for --all") }
            do { try sandbox.joinAll(of: pid, reenteringShared: true) } catch { throw Failure(error) }
        }
        if (netSocket != nil || userParent) && pid == nil { throw Failure(message: "no target PID specified") }
        if let fd = netSocket, let pid { sandbox.replaceJoin(.network, with: try socketNamespace(pid, fd)) }
        if userParent { sandbox.replaceJoin(.user, with: try parentUserNamespace(sandbox, pid!)) }
        if sandbox.joins.isEmpty && !all {
            throw Failure(message: "nothing to enter: no namespace specified (give -t PID with -a, or namespace options -U -m -n -p -u -i -C -T)")
        }
        let joinsUser = sandbox.joins.contains { $0.kind == .user }
        sandbox.preserveCredentials = preserveCredentials
        sandbox.supplementaryGroups = .dropBeforeAndAfterJoining
        sandbox.uid = try id(setUID, of: pid, inside: joinsUser ? .user : nil) { $0.st_uid }
        sandbox.gid = try id(setGID, of: pid, inside: joinsUser ? .group : nil) { $0.st_gid }
        // As nsenter: after the ids change (from 0 to another uid that empties them), and not
        // for a user namespace entered alone (nsenter's first pass enters it and forgets it).
        sandbox.permittedCapabilitiesAsAmbient = keepCaps && joinsUser && sandbox.joins.count > 1
        sandbox.forkIntoJoinedNamespaces = !noFork
        sandbox.dieWithParent = dieWithParent
        if mountProc != nil && noFork && sandbox.joins.contains(where: { $0.kind == .pid }) {
            throw Failure(message: "--mount-proc with -F/--no-fork would mount the /proc of the pid namespace we are in, not the one entered: drop -F")
        }
        if let mountProc {
            // A copy of the mount namespace we end up in, where the new /proc covers nothing
            // of the target's; mounted after the fork into the pid namespace, so it shows that one.
            sandbox.create.insert(.mount)
            sandbox.procMount = .at(FilePath(mountProc))
        }
        if followContext && access("/sys/fs/selinux/enforce", F_OK) == 0 {
            throw Failure(message: "--follow-context: SELinux is enabled here, and nsbox cannot set an SELinux exec context")
        }

        let words = try commandWords(command, subcommand: "enter")
        var spawned = SandboxCommand(words[0], Array(words.dropFirst()))
        spawned.rootDirectoryFD = try root.map { try openDirectory($0, "root", of: pid) }
        spawned.workingDirectoryFD = try wd.map { try openDirectory($0, "cwd", of: pid) }
        spawned.workingDirectory = wdns.map { FilePath($0) }
        // As nsenter: the caller's inherited fds reach the command, unless --close-fds.
        spawned.inheritedFileDescriptors = closeFDs ? .none : .all
        if env, let pid { (spawned.environment, spawned.environmentOrder) = try environment(of: pid) }
        else if env { throw Failure(message: "neither filename nor target pid supplied for environ") }
        if joinCgroup { try moveIntoCgroup(of: pid) }
        return (sandbox, spawned)
    }

    /// `-t PID:INODE`: the process must still be the one whose pidfd has that inode.
    private func checkPidfdInode(_ pid: ProcessID, _ inode: UInt64) throws {
        let fd = cn_pidfd_open(pid.rawValue, 0)
        guard fd >= 0 else { throw Failure(message: "failed to obtain a valid file descriptor for PID \(pid): \(lastError())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, UInt64(info.st_ino) == inode else {
            throw Failure(message: "failed to obtain a valid file descriptor for PID \(pid): its pidfd's inode is \(info.st_ino), not \(inode) (the pid now names another process)")
        }
    }

    /// The network namespace of socket `fd` of process `pid` (pidfd_getfd, then SIOCGSKNS),
    /// as an open namespace file.
    private func socketNamespace(_ pid: ProcessID, _ fd: Int32) throws -> NamespaceHandle {
        let pidfd = cn_pidfd_open(pid.rawValue, 0)
        guard pidfd >= 0 else { throw Failure(message: "failed to pidfd_open() for \(pid): \(lastError())") }
        defer { close(pidfd) }
        let socket = cn_pidfd_getfd(pidfd, fd, 0)
        guard socket >= 0 else {
            let errno = Errno(rawValue: Glibc.errno)
            throw Failure(message: "pidfd_getfd(\(pid), \(fd)): \(errno.symbolicDescription)"
                + (errno == .badFileDescriptor ? ": process \(pid) has no fd \(fd)" : errno == .notPermitted ? ": taking another process's fd needs ptrace access to it" : ""))
        }
        defer { close(socket) }
        let namespace = cn_ioctl_none(socket, CN_SIOCGSKNS)
        guard namespace >= 0 else {
            let errno = Errno(rawValue: Glibc.errno)
            throw Failure(message: "ioctl(SIOCGSKNS) on fd \(fd) of process \(pid): \(errno.symbolicDescription)"
                + (errno == .inappropriateIOCTLForDevice || errno == .invalidArgument ? ": fd \(fd) is not a socket" : ""))
        }
        do { return try NamespaceHandle(adopting: FileDescriptor(rawValue: namespace), expecting: .network) } catch {
            throw Failure(error)
        }
    }

    /// The parent of the user namespace entered (the `-U` file's, else the target's), as
    /// `nsenter --user-parent` (NS_GET_USERNS).
    private func parentUserNamespace(_ sandbox: Sandbox, _ pid: ProcessID) throws -> NamespaceHandle {
        do {
            let path = sandbox.joins.first { $0.kind == .user }?.path ?? FilePath(namespacePath(.user, of: pid))
            let user = try NamespaceHandle.open(path: path, expecting: .user)
            defer { try? user.close() }
            return try user.owner()
        } catch {
            throw Failure(message: "failed to open parent namespace: \(error)")
        }
    }

    /// An id option's value: the number, or the owner of `/proc/PID` (`follow`), as the user
    /// namespace entered sees it when one is (`inside`: nsenter stats it after setns).
    private func id(_ option: ID?, of pid: ProcessID?, inside map: IDMapKind?, _ field: (stat) -> UInt32) throws -> UInt32? {
        switch option {
        case nil: return nil
        case .id(let id): return id
        case .follow:
            guard let pid else { throw Failure(message: "neither filename nor target pid supplied for follow") }
            var info = stat()
            guard stat("/proc/\(pid)", &info) == 0 else {
                throw Failure(message: "can not get process stat of \(pid): \(lastError())")
            }
            let outside = UInt64(field(info))
            guard let map else { return field(info) }
            // The target's map, read from here, says which id inside is ours outside; an id it
            // does not map shows as the overflow id (65534), as stat(2) there would show it.
            let mappings = (try? readIDMap(map, of: pid))?.mappings ?? []
            guard let line = mappings.first(where: { $0.outsideRange.contains(outside) }) else { return 65534 }
            return UInt32(UInt64(line.inside) + outside - UInt64(line.outside))
        }
    }

    /// Opens the directory `--root`/`--wd` names before any namespace is entered, as nsenter.
    private func openDirectory(_ directory: Directory, _ name: String, of pid: ProcessID?) throws -> FileDescriptor {
        let path: String
        switch directory {
        case .path(let given): path = given
        case .target:
            guard let pid else { throw Failure(message: "neither filename nor target pid supplied for \(name)") }
            path = "/proc/\(pid)/\(name)"
        }
        var fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(message: "cannot open \(path): \(lastError())") }
        // 0 means "none" to the child: keep the directory above stdio.
        if fd < 3 {
            let moved = fcntl(fd, F_DUPFD_CLOEXEC, 3)
            close(fd)
            fd = moved
        }
        return FileDescriptor(rawValue: fd)
    }

    /// The environment of `pid` (`/proc/PID/environ`), for `--env`, in nsenter's order: it
    /// setenv(3)s the entries last to first without overwriting, so the command sees them
    /// reversed, and of a name given twice the last value.
    private func environment(of pid: ProcessID) throws -> ([String: String], [String]) {
        let bytes = try readProcFile("/proc/\(pid)/environ", what: "environment variables")
        var variables: [String: String] = [:], order: [String] = []
        for entry in bytes.split(separator: 0).reversed() {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { continue }
            let name = String(text[..<equals])
            if variables[name] == nil {
                variables[name] = String(text[text.index(after: equals)...])
                order.append(name)
            }
        }
        return (variables, order)
    }

    /// `--join-cgroup`: nsbox moves itself into the target's cgroup (v2), so the command is
    /// born there, as nsenter moves itself.
    private func moveIntoCgroup(of pid: ProcessID?) throws {
        guard let pid else { throw Failure(message: "neither filename nor target pid supplied for cgroup") }
        // cgroup.controllers exists only at the root of a cgroup v2 hierarchy.
        guard access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 else {
            throw Failure(message: "--join-cgroup is only supported in cgroup v2")
        }
        let text = String(decoding: try readProcFile("/proc/\(pid)/cgroup", what: "cgroup path"), as: UTF8.self)
        guard let line = text.split(separator: "\n").first, let colon = line.lastIndex(of: ":") else {
            throw Failure(message: "failed to get cgroup path of \(pid)")
        }
        let procs = "/sys/fs/cgroup/\(line[line.index(after: colon)...])/cgroup.procs"
        let fd = open(procs, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(message: "failed to open \(procs): \(lastError())") }
        defer { close(fd) }
        let ours = Array("\(getpid())".utf8)
        guard write(fd, ours, ours.count) == ours.count else {
            throw Failure(message: "write \(procs) failed: \(lastError())")
        }
    }

    /// All of a /proc file.
    private func readProcFile(_ path: String, what: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(message: "failed to get \(what): \(path): \(lastError())") }
        defer { close(fd) }
        do { return try readAll(fd) } catch {
            throw Failure(message: "failed to get \(what): \(path): \(error.symbolicDescription)")
        }
    }
}

extension Sandbox {
    /// Joins `kind` through an open namespace file (kept open by the caller until the spawn),
    /// in place of any join of that kind given before.
    mutating func replaceJoin(_ kind: NamespaceKind, with handle: NamespaceHandle) {
        joins.removeAll { $0.kind == kind }
        join(kind, .path(FilePath("/proc/self/fd/\(handle.fileDescriptor.rawValue)")))
    }
}

/// errno of the last failed call, as `EPERM (Operation not permitted)`.
func lastError() -> String { Errno(rawValue: errno).symbolicDescription }

import Foundation
import Glibc
import LinuxNamespaces
import SystemPackage
import Testing

/// The fds of a running sandbox, seen from outside in /proc/PID/fd: the command holds 0-2 and
/// what it was given, an init or supervisor holds only its status pipe, whatever the caller had.
@Suite struct SpawnFileDescriptorTests {
    /// fd number -> what it is (`pipe:[INODE]`, a path, ...) of a process.
    func openFDs(_ pid: Int32) -> [Int32: String] {
        var result: [Int32: String] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
            if let fd = Int32(entry), let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(entry)") {
                result[fd] = target
            }
        }
        return result
    }

    /// The children of `pid`, whichever of its threads made them.
    func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int32($0) }
        }
    }

    /// `pid` and its first descendants down to the running `sleep`: nil until it runs.
    func chain(from pid: Int32) -> [Int32]? {
        var chain = [pid]
        while comm(chain.last!) != "sleep" || !hasCommandLine(chain.last!) {
            guard chain.count < 6, let child = children(of: chain.last!).first else { return nil }
            chain.append(child)
        }
        return chain
    }

    /// Checks the running chain from `pid`: the sleep holds exactly `expected` (fd -> target),
    /// every process between holds at most one fd, a pipe that is none of `foreign`. `pid`
    /// itself is checked unless it is the caller (`callerIsFirst`). Each gets a moment to
    /// settle: sleep opens and closes locale files as it starts, and an init closes what it
    /// inherited right after its fork.
    func expectClosed(from pid: Int32, callerIsFirst: Bool, expected: [Int32: String], foreign: Set<String>, _ label: String) throws {
        var found: [Int32]?
        #expect(eventually { found = chain(from: pid); return found != nil }, "\(label): no sleep under \(pid)")
        guard let found else { return }
        let command = found.last!
        let between = Array((callerIsFirst ? found.dropFirst() : found[...]).dropLast())
        func closedOnly(_ fds: [Int32: String]) -> Bool {
            fds.count <= 1 && fds.values.allSatisfy { $0.hasPrefix("pipe:[") && !foreign.contains($0) }
        }
        // Until sleep sleeps: before, it may hold a locale file it is reading (a loaded CI
        // machine kept one open past 10 s); a file held while it sleeps is a leak.
        let sleeping = eventually(within: 30) { isSleeping(command) && openFDs(command) == expected && between.allSatisfy { closedOnly(openFDs($0)) } }
        #expect(openFDs(command) == expected, "\(label): the command holds \(openFDs(command)), not \(expected) (in nanosleep: \(sleeping || isSleeping(command)))")
        for process in between {
            #expect(closedOnly(openFDs(process)), "\(label): \(comm(process) ?? "?") \(process) holds \(openFDs(process))")
        }
    }

    /// Whether `pid` is blocked in nanosleep(2) or clock_nanosleep(2) (/proc/PID/syscall's
    /// first field, x86_64 and aarch64 numbers): sleep is past its start-up.
    func isSleeping(_ pid: Int32) -> Bool {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8)) ?? ""
        #if arch(x86_64)
        let numbers: Set<Substring> = ["35", "230"]
        #else
        let numbers: Set<Substring> = ["101", "115"]
        #endif
        return text.split(separator: " ").first.map(numbers.contains) ?? false
    }

    /// Starts `arguments` with stdin and stdout on /dev/null and `extra` as fd 7, not
    /// close-on-exec: an fd the caller has that no sandbox should pass on unasked.
    func startHoldingFD(_ arguments: [String], extra: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, extra, 7)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ) == 0 else { throw TestFailure("posix_spawn \(arguments)") }
        return pid
    }

    func stop(_ pid: pid_t) {
        kill(pid, SIGKILL)
        waitpid(pid, nil, 0)
    }

    @Test(arguments: ["plain", "user+mount+net", "init", "command as pid 1", "time", "time+pid", "die-with-parent"])
    func theLibrarysSpawnClosesEveryFdItWasNotGiven(mode: String) throws {
        var sandbox: Sandbox
        switch mode {
        case "plain": sandbox = Sandbox()
        case "user+mount+net": sandbox = Sandbox(create: [.user, .mount, .network])
        case "init": sandbox = Sandbox(create: [.user, .pid])
        case "command as pid 1": sandbox = Sandbox(create: [.user, .pid]); sandbox.pidOne = .command
        case "time": sandbox = Sandbox(create: [.user, .time]); sandbox.timeOffsets = TimeOffsets(monotonic: 10)
        case "time+pid": sandbox = Sandbox(create: [.user, .pid, .time])
        default: sandbox = Sandbox(create: [.user, .pid]); sandbox.dieWithParent = true
        }
        if sandbox.create.contains(.user) { sandbox.userMapping = .root }
        // Ours, not close-on-exec and close-on-exec: neither is asked for.
        let leaky = open("/dev/null", O_RDONLY), sealed = open("/etc/passwd", O_RDONLY | O_CLOEXEC)
        defer { close(leaky); close(sealed) }
        let given = makePipe(), null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(given[0]); close(given[1]); close(null) }
        var command = SandboxCommand("sleep", ["60"])
        let devNull = FileDescriptor(rawValue: null)
        command.fileDescriptors = [.standardInput: devNull, .standardOutput: devNull, .standardError: devNull,
                                   FileDescriptor(rawValue: 9): FileDescriptor(rawValue: given[1])]
        let process = try sandbox.spawn(command)
        defer { try? process.signal(SIGKILL); _ = try? process.wait() }
        let ours = openFDs(getpid())
        let pipe = try #require(ours[given[1]])
        try expectClosed(from: process.pid.rawValue, callerIsFirst: false, expected: [0: "/dev/null", 1: "/dev/null", 2: "/dev/null", 9: pipe],
            foreign: [pipe], mode)
        // Negative control: the check sees an fd that is there (the caller's own table).
        #expect(ours[leaky] == "/dev/null" && ours[sealed] == "/etc/passwd")
    }

    @Test func spawnThroughNsprobeAndNsboxSandboxPassOnlyZeroToTwoAsRootAnd65534() throws {
        let extra = makePipe()
        defer { close(extra[0]); close(extra[1]) }
        let extraTarget = try #require(openFDs(getpid())[extra[1]])
        let probeModes: [[String]] = [
            ["--create", "user", "--map", "root"], ["--create", "user,pid", "--map", "root"],
            ["--create", "user,pid", "--map", "root", "--as-pid-1"], ["--create", "user,time", "--map", "root"],
            ["--create", "user,pid", "--map", "root", "--from-thread", "--die-with-parent"],
            ["--create", "user", "--map", "root", "--execute"], ["--create", "user,pid", "--map", "root", "--execute"],
        ]
        // Negative control: a sleep started the same way outside any sandbox keeps fd 7.
        let plain = try startHoldingFD(["sleep", "60"], extra: extra[1])
        #expect(eventually { openFDs(plain)[7] == extraTarget }, "an unsandboxed sleep lacks fd 7: \(openFDs(plain))")
        stop(plain)
        for (user, prefix) in bothUsers {
            var runs: [(String, [String])] = probeModes.map { ("nsprobe spawn \($0.joined(separator: " "))", [Probe.path, "spawn"] + $0 + ["--", "sleep", "60"]) }
            runs.append(("nsbox run --sandbox", [NSBox.path, "run", "--sandbox", "--", "sleep", "60"]))
            runs.append(("nsbox run --sandbox -f", [NSBox.path, "run", "--sandbox", "-f", "--", "sleep", "60"]))
            for (label, arguments) in runs {
                let pid = try startHoldingFD(prefix + arguments, extra: extra[1])
                defer { stop(pid) }
                // The caller (nsprobe or nsbox, after setpriv's exec) holds fd 7: the negative
                // control that the sandbox had something to close. In place, the caller becomes
                // the command at once.
                let inPlace = label.hasSuffix("user --map root --execute")
                if !inPlace {
                    #expect(eventually { openFDs(pid)[7] == extraTarget }, "\(user) \(label): the caller lacks fd 7")
                }
                let standard: [Int32: String] = [0: "/dev/null", 1: "/dev/null", 2: openFDs(getpid())[2] ?? "?"]
                try expectClosed(from: pid, callerIsFirst: !inPlace, expected: standard, foreign: [extraTarget], "\(user) \(label)")
            }
        }
    }
}

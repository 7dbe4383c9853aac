import Glibc
import SystemPackage

/// Why execve(2) of a file failed, read from the file system as this process sees it: the
/// kernel's errno alone hides the cause (ENOENT for a missing interpreter, EACCES for a
/// directory, a noexec mount or a directory that cannot be searched).
enum ExecDiagnosis {
    /// The error for `path`, which execve refused with `errno` (or which a lookup found so).
    /// `name`: the command as given, when `path` is a PATH entry's candidate for it.
    static func error(_ step: SandboxError.Step, path: String, errno: Errno, name: String? = nil) -> SandboxError {
        let found = name == nil ? "" : "found as \(path), which "
        func fail(_ stage: SandboxError.Stage, _ detail: String, hint: String? = nil) -> SandboxError {
            SandboxError(stage, step, errno: errno, detail: detail, hint: hint)
        }
        var info = stat()
        let exists = stat(path, &info) == 0
        switch errno {
        case .noSuchFileOrDirectory:
            if exists, let missing = missingInterpreter(of: path) {
                return fail(.interpreterNotFound, "\(found)cannot run: its interpreter \(missing) does not exist",
                    hint: "install it, or run the file with an interpreter that exists")
            }
            return fail(.commandNotFound, exists ? "\(found)cannot run" : "no such file")
        case .permissionDenied:
            if !exists, let directory = unsearchableDirectory(in: path) {
                return name == nil
                    ? fail(.commandNotExecutable, "cannot search the directory \(directory) (uid \(getuid()))",
                        hint: "give a path this user may search")
                    : fail(.commandNotExecutable, "cannot search the PATH directory \(directory) (uid \(getuid())), and no later one has \(name!)",
                        hint: "give its full path, or drop the directory from PATH")
            }
            guard exists else { return fail(.commandNotExecutable, "\(found)cannot be executed") }
            if info.st_mode & S_IFMT == S_IFDIR { return fail(.commandNotExecutable, "\(found)is a directory") }
            if info.st_mode & S_IFMT != S_IFREG { return fail(.commandNotExecutable, "\(found)is not a regular file") }
            var fs = statvfs()
            if statvfs(path, &fs) == 0 && fs.f_flag & 8 != 0  /* ST_NOEXEC, which the Glibc module hides */ {
                return fail(.commandNotExecutable, "\(found)is on a file system mounted noexec",
                    hint: "run it from a file system mounted without noexec")
            }
            if access(path, X_OK) != 0 {
                return fail(.commandNotExecutable, "\(found)has no execute permission for uid \(getuid())",
                    hint: "chmod +x it, or give another path")
            }
            return fail(.commandNotExecutable, "\(found)cannot be executed (refused although its mode allows it)")
        case .execFormatError:
            // e_ident (16 bytes), e_type (2), e_machine (2, little-endian on the machines we build for).
            let header = readHead(path, 20)
            guard header.prefix(4).elementsEqual([0x7f, 0x45, 0x4c, 0x46]) else {
                return fail(.commandNotExecutable, "\(found)is neither an ELF executable nor a script starting with #!",
                    hint: "add a #! line naming its interpreter, or run it through one (sh FILE)")
            }
            guard header.count == 20, header[4] == 1 || header[4] == 2 else {
                return fail(.commandNotExecutable, "\(found)starts like an ELF file but has no valid ELF header (truncated or damaged)")
            }
            let machine = Int(header[18]) | Int(header[19]) << 8
            return machine != Self.ourELFMachine
                ? fail(.commandNotExecutable, "\(found)is an ELF file for another architecture (e_machine \(machine), this machine's is \(Self.ourELFMachine))")
                : fail(.commandNotExecutable, "\(found)is an ELF file for this architecture that the kernel refuses to load (damaged, or a kind it does not run)")
        case .textFileBusy:
            return fail(.commandNotExecutable, "\(found)is open for writing by a process, and the kernel runs no file being written",
                hint: "wait until the writer closes it")
        case .notDirectory:
            return fail(.commandNotExecutable, "\(found)has a component before its last that is not a directory")
        case .isDirectory:
            let interpreter = interpreter(of: path).map { " (\($0))" } ?? ""
            return fail(.commandNotExecutable, "\(found)cannot run: its interpreter\(interpreter) is a directory")
        default:
            return fail(.commandNotExecutable, "\(found)cannot be executed")
        }
    }

    /// This machine's ELF e_machine: EM_X86_64 or EM_AARCH64.
    #if arch(x86_64)
    private static let ourELFMachine = 62
    #else
    private static let ourELFMachine = 183
    #endif

    /// The first directory on the way to `path` this process may not search.
    private static func unsearchableDirectory(in path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "" : "."
        var directories = [path.hasPrefix("/") ? "/" : "."]
        for component in path.split(separator: "/").dropLast() where component != "." {
            prefix += "/" + component
            directories.append(prefix)
        }
        return directories.first { access($0, X_OK) != 0 && Glibc.errno == EACCES }
    }

    /// The interpreter execve would load that does not exist: `path`'s own (its ELF
    /// PT_INTERP or #! line), or, where that exists, the missing one it needs in turn.
    private static func missingInterpreter(of path: String, depth: Int = 0) -> String? {
        guard depth < 4, let interpreter = interpreter(of: path) else { return nil }
        var info = stat()
        guard stat(interpreter, &info) == 0 else { return interpreter }
        return missingInterpreter(of: interpreter, depth: depth + 1)
    }

    /// The file execve(2) loads to run `path`: the ELF PT_INTERP, or the #! line's program.
    static func interpreter(of path: String) -> String? {
        // The kernel reads the #! line from the first 256 bytes (BINPRM_BUF_SIZE).
        let head = readHead(path, 256)
        if head.starts(with: [0x23, 0x21]) {
            let line = head.dropFirst(2).prefix { $0 != 0x0a }.drop { $0 == 0x20 || $0 == 0x09 }
            let program = line.prefix { $0 != 0x20 && $0 != 0x09 && $0 != 0 }
            return program.isEmpty ? nil : String(decoding: program, as: UTF8.self)
        }
        return elfInterpreter(path)
    }

    /// The PT_INTERP of a 64- or 32-bit little-endian ELF file: elf(5).
    private static func elfInterpreter(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        func read(_ count: Int, at offset: Int) -> [UInt8] {
            guard count > 0 && count <= 4096 && offset >= 0 else { return [] }
            var bytes = [UInt8](repeating: 0, count: count)
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return got == count ? bytes : []
        }
        func integer(_ bytes: [UInt8], _ at: Int, _ size: Int) -> Int {
            (0..<size).reversed().reduce(0) { $0 << 8 | Int(bytes[at + $1]) }
        }
        let header = read(64, at: 0)
        guard header.count == 64, header.starts(with: [0x7f, 0x45, 0x4c, 0x46]), header[5] == 1 else { return nil }
        let wide = header[4] == 2
        let tableOffset = wide ? integer(header, 32, 8) : integer(header, 28, 4)
        let entrySize = integer(header, wide ? 54 : 42, 2)
        let count = integer(header, wide ? 56 : 44, 2)
        guard entrySize >= (wide ? 56 : 32) else { return nil }
        for index in 0..<min(count, 64) {
            let entry = read(entrySize, at: tableOffset + index * entrySize)
            guard !entry.isEmpty else { return nil }
            guard integer(entry, 0, 4) == 3 else { continue }  // PT_INTERP
            let offset = wide ? integer(entry, 8, 8) : integer(entry, 4, 4)
            let size = wide ? integer(entry, 32, 8) : integer(entry, 16, 4)
            let text = read(size, at: offset).prefix { $0 != 0 }
            return text.isEmpty ? nil : String(decoding: text, as: UTF8.self)
        }
        return nil
    }

    /// Up to `count` bytes from the start of `path` (fewer for a shorter file, none if unreadable).
    private static func readHead(_ path: String, _ count: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, count) }
        return Array(bytes.prefix(max(got, 0)))
    }
}

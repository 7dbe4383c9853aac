import Foundation
import Glibc

/// Writes a seccomp filter for `--seccomp FD` to `filter.bpf` in `scratch` (mode 0644, for
/// 65534 too): it refuses `syscalls` (this machine's numbers; a real filter checks the
/// architecture first) with EPERM and allows everything else. Returns the file's path.
func seccompFilterRefusing(_ syscalls: [UInt32], in scratch: ScratchDirectory) -> String {
    var instructions: [(UInt16, UInt8, UInt8, UInt32)] = [(0x20, 0, 0, 0)]  // A = the system call's number
    for (index, number) in syscalls.enumerated() {
        instructions.append((0x15, UInt8(syscalls.count - index), 0, number))  // equal: jump to the refusal
    }
    instructions.append((0x06, 0, 0, 0x7fff_0000))  // allow
    instructions.append((0x06, 0, 0, 0x0005_0001))  // SECCOMP_RET_ERRNO | EPERM
    let file = scratch.path + "/filter.bpf"
    FileManager.default.createFile(atPath: file, contents: Data(classicBPF(instructions)))
    chmod(file, 0o644)
    return file
}

/// A classic BPF program (struct sock_filter[]) as the bytes `--seccomp FD` reads: each
/// instruction is (code, jump if true, jump if false, k).
func classicBPF(_ instructions: [(UInt16, UInt8, UInt8, UInt32)]) -> [UInt8] {
    var program: [UInt8] = []
    for (code, jt, jf, k) in instructions {
        program += withUnsafeBytes(of: code.littleEndian, Array.init) + [jt, jf] + withUnsafeBytes(of: k.littleEndian, Array.init)
    }
    return program
}

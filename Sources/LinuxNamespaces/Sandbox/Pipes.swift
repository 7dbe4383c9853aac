import CNamespaces
import Glibc
import SystemPackage

/// A close-on-exec pipe whose ends are closed once, whoever closes them first.
struct SpawnPipe {
    private(set) var readEnd: Int32
    private(set) var writeEnd: Int32

    /// A new pipe; both ends close-on-exec. The corresponding system call is pipe2(2).
    init() throws(SandboxError) {
        var fds: [Int32] = [-1, -1]
        guard cn_pipe_cloexec(&fds) == 0 else {
            throw SandboxError(.resources, .pipe, errno: .current, detail: "cannot create a pipe",
                hint: "the process may be out of file descriptors (ulimit -n)")
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    mutating func closeRead() {
        if readEnd >= 0 { close(readEnd) }
        readEnd = -1
    }

    mutating func closeWrite() {
        if writeEnd >= 0 { close(writeEnd) }
        writeEnd = -1
    }

    mutating func closeBoth() {
        closeRead()
        closeWrite()
    }
}

/// Reads exactly `MemoryLayout<T>.size` bytes, or returns nil at end of file.
func readValue<T>(_ fd: Int32, as type: T.Type, initial: T) -> T? {
    var value = initial
    let size = MemoryLayout<T>.size
    var got = 0
    while got < size {
        let n = withUnsafeMutableBytes(of: &value) { read(fd, $0.baseAddress! + got, size - got) }
        if n < 0 && Errno.current == .interrupted { continue }
        if n <= 0 { return nil }
        got += n
    }
    return value
}

/// Writes one byte to a pipe whose reader (the child) may have died: EPIPE then makes this
/// return false instead of killing the caller with SIGPIPE.
func writeByte(_ fd: Int32) -> Bool {
    var byte: UInt8 = 1
    var written = -1
    withSIGPIPEBlocked {
        repeat { written = write(fd, &byte, 1) } while written < 0 && Errno.current == .interrupted
    }
    return written == 1
}

import CNamespaces
import Glibc
import Synchronization
import SystemPackage

/// One end of a pipe this process reads or writes without blocking a thread: non-blocking,
/// close-on-exec, closed once. The other end is the command's, blocking as programs expect
/// (O_NONBLOCK belongs to the open file, and each end of a pipe is one of its own).
final class PipeEnd: Sendable {
    let fd: Int32
    private let closed = Atomic<Bool>(false)

    init(_ fd: Int32) {
        self.fd = fd
        _ = fcntl(fd, F_SETFL, O_NONBLOCK)
    }

    deinit { close() }

    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Readiness.shared.forget(fd)
        _ = Glibc.close(fd)
    }

    /// Reads what is there, up to `limit` bytes: empty at end of file. Waits for data through
    /// `Readiness` without blocking a thread; nil when the task was cancelled first.
    func read(upTo limit: Int, stream: StandardStream) async throws(SandboxError) -> [UInt8]? {
        while true {
            if let bytes = try readNow(upTo: limit, stream: stream) { return bytes }
            if try await Readiness.shared.wait(fd, for: EPOLLIN.rawValue) == .cancelled { return nil }
        }
    }

    /// One read(2) that does not block: nil when nothing is there yet.
    func readNow(upTo limit: Int, stream: StandardStream) throws(SandboxError) -> [UInt8]? {
        // An OutputSequence kept past its closure: no read of an fd number now reused.
        if closed.load(ordering: .acquiring) { throw SandboxError(stream, errno: .badFileDescriptor) }
        var failure: Errno?
        let bytes = [UInt8](unsafeUninitializedCapacity: limit) { buffer, count in
            while true {
                let n = Glibc.read(fd, buffer.baseAddress, limit)
                if n >= 0 { count = n; return }
                let errno = Errno.current
                if errno == .interrupted { continue }
                failure = errno
                count = 0
                return
            }
        }
        switch failure {
        case nil: return bytes
        case .resourceTemporarilyUnavailable?: return nil
        case let errno?: throw SandboxError(stream, errno: errno)
        }
    }

    /// Writes all of `bytes`, waiting for room without blocking a thread. Returns false when the
    /// task was cancelled first.
    /// - Throws: `SandboxError` (`.io`, EPIPE once the command closed its end).
    func write(_ bytes: [UInt8]) async throws(SandboxError) -> Bool {
        var offset = 0
        while offset < bytes.count {
            if closed.load(ordering: .acquiring) { throw SandboxError(.input, errno: .badFileDescriptor) }
            var n = -1
            var errno = Errno(rawValue: 0)
            // A reader that went away raises SIGPIPE in the writing thread: EPIPE instead.
            withSIGPIPEBlocked {
                repeat {
                    n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                    errno = Errno.current
                } while n < 0 && errno == .interrupted
            }
            if n >= 0 {
                offset += n
            } else if errno == .resourceTemporarilyUnavailable {
                if try await Readiness.shared.wait(fd, for: EPOLLOUT.rawValue) == .cancelled { return false }
            } else {
                throw SandboxError(.input, errno: errno)
            }
        }
        return true
    }
}

/// A pipe whose `parent` end this process keeps (non-blocking) and whose `child` end becomes
/// one of the command's fds and is closed here once it is spawned.
func makeStdioPipe(parentReads: Bool) throws(SandboxError) -> (parent: PipeEnd, child: Int32) {
    var fds: [Int32] = [-1, -1]
    guard cn_pipe_cloexec(&fds) == 0 else { throw SandboxError(ioResources: "pipe2", errno: .current) }
    return parentReads ? (PipeEnd(fds[0]), fds[1]) : (PipeEnd(fds[1]), fds[0])
}

/// /dev/null opened for the command (close-on-exec; the child makes its copy).
func openNullDevice(writing: Bool) throws(SandboxError) -> Int32 {
    let fd = open("/dev/null", (writing ? O_WRONLY : O_RDONLY) | O_CLOEXEC)
    guard fd >= 0 else { throw SandboxError(ioResources: "open /dev/null", errno: .current) }
    return fd
}

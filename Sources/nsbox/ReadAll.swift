import Glibc
import SystemPackage

/// Everything `fd` holds, read to its end (EINTR retried).
/// - Throws: the `Errno` of a failed read(2).
func readAll(_ fd: Int32) throws(Errno) -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count < 0 && errno == EINTR { continue }
        guard count >= 0 else { throw Errno(rawValue: errno) }
        if count == 0 { return bytes }
        bytes += buffer[..<count]
    }
}

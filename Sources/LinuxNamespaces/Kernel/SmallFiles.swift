import Glibc
import SystemPackage

/// Reads a small file (a `/proc` or `/sys` entry) whole. Throws the `Errno` of open or read.
func readSmallFile(_ path: String) throws(Errno) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw Errno.current }
    defer { close(fd) }
    return String(decoding: try readToEnd(fd, bufferSize: 4096) ?? [], as: UTF8.self)
}

/// The bytes of `fd` up to its end, read in `bufferSize` pieces; nil once they exceed `limit`.
/// Throws the `Errno` of read (EINTR is retried).
func readToEnd(_ fd: Int32, bufferSize: Int, limit: Int = .max) throws(Errno) -> [UInt8]? {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: bufferSize)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if Errno.current == .interrupted { continue }
            throw Errno.current
        }
        if count == 0 { return bytes }
        bytes.append(contentsOf: buffer[..<count])
        if bytes.count > limit { return nil }
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }),
            let last = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}

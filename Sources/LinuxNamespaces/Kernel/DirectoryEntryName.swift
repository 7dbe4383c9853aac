import Glibc

/// The name of a `readdir(3)` entry, read where it lies. glibc's last entry in its buffer may
/// end before `sizeof(struct dirent)` (`d_reclen`), so loading `entry.pointee.d_name` as a
/// value (256 bytes) can read past the buffer; this reads up to the name's NUL only.
package func directoryEntryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
    let name = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    let bytes = name.assumingMemoryBound(to: UInt8.self)
    return String(decoding: UnsafeBufferPointer(start: bytes, count: strlen(name.assumingMemoryBound(to: CChar.self))), as: UTF8.self)
}

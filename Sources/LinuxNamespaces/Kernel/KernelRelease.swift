import Glibc

/// The running kernel's release (uname(2)), for behaviour that depends on its version.
struct KernelRelease {
    /// The release as uname(2) gives it, e.g. "6.18.44-generic".
    let text: String
    /// Its major and minor version; 0 where a part is not a number.
    let version: (major: Int, minor: Int)

    /// The running kernel's. The corresponding system call is uname(2).
    static let running: KernelRelease = {
        var name = utsname()
        uname(&name)
        return KernelRelease(withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
    }()

    init(_ text: String) {
        self.text = text
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).prefix(2).map { Int($0.prefix { $0.isNumber }) ?? 0 }
        version = (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
    }

    /// Whether this is Linux `major`.`minor` or later.
    func isAtLeast(_ major: Int, _ minor: Int) -> Bool { version >= (major, minor) }
}

/// Whether execve(2) moves a process into its `time_for_children` namespace, so that a time
/// namespace needs no fork: since Linux 6.2 (kernel commit "fs/exec: switch timens when a task
/// gets a new mm"); before, only a child forked as a copy entered it.
let execEntersTimeNamespace = KernelRelease.running.isAtLeast(6, 2)

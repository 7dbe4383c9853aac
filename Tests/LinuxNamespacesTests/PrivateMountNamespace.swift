import Foundation
import Glibc

/// Runs the shell `script` as root inside a private mount namespace of its own (`unshare -m
/// --propagation private`), so that what it mounts, or the propagation it changes, never
/// reaches the host; `arguments` are its `$1`, `$2`, ...
func inPrivateMountNamespace(_ script: String, _ arguments: [String] = []) throws -> CommandResult {
    try runCommand(["unshare", "-m", "--propagation", "private", "sh", "-euc", script, "sh"] + arguments)
}

/// The two users every test runs as: root, and uid 65534 through `setpriv`.
let bothUsers: [(name: String, prefix: [String])] = [("root", []), ("65534", asUnprivileged)]

/// `word` quoted for sh.
func shellQuoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// `words` quoted for sh, joined by spaces.
func shellLine(_ words: [String]) -> String { words.map(shellQuoted).joined(separator: " ") }

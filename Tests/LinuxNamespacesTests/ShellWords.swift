import Foundation

/// The two users every test runs as: root, and uid 65534 through `setpriv`.
let bothUsers: [(name: String, prefix: [String])] = [("root", []), ("65534", asUnprivileged)]

/// `word` quoted for sh.
func shellQuoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// `words` quoted for sh, joined by spaces.
func shellLine(_ words: [String]) -> String { words.map(shellQuoted).joined(separator: " ") }

/// Why a text is not JSON, and where: the byte offset, and the line and column people look
/// for in an editor.
///
/// Its `description` is one line: `line 3, column 17 (byte 42): expected ',' or '}' after an
/// object member, found '"'`.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// The offset of the offending byte from the start of the text (0-based).
    public var offset: Int
    /// The line of the offending byte (1-based; lines end at `\n`).
    public var line: Int
    /// The column of the offending byte in its line (1-based, counted in bytes).
    public var column: Int

    /// An error at `offset` in `bytes`; the line and column are computed from them.
    init(_ message: String, at offset: Int, in bytes: [UInt8]) {
        self.message = message
        self.offset = offset
        var line = 1, lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        self.line = line
        self.column = offset - lineStart + 1
    }

    /// `line L, column C (byte O): message`.
    public var description: String { "line \(line), column \(column) (byte \(offset)): \(message)" }
}

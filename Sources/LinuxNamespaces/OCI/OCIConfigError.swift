/// Why an OCI runtime configuration cannot be used: the JSON path of the offending field and
/// what is wrong with it, or the syntax error that kept the text from being JSON.
///
/// Its `description` is one line:
/// `linux.namespaces[2].type: unknown namespace type "netw"; expected one of pid, network, mount, ipc, uts, user, cgroup, time`.
public struct OCIConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The JSON path of the field (`linux.namespaces[2].type`, `process.args`); empty when the
    /// document as a whole is wrong (not JSON, not an object, not readable).
    public var field: String
    /// What is wrong, and how to fix it where known.
    public var detail: String
    /// The parser's error, when the text is not JSON.
    public var syntax: JSONSyntaxError?

    /// An error about `field`.
    public init(field: String, _ detail: String) {
        self.field = field
        self.detail = detail
        self.syntax = nil
    }

    /// An error for text that is not JSON; `source` names it (a file name) in the message.
    public init(syntax: JSONSyntaxError, source: String? = nil) {
        self.field = ""
        self.detail = (source.map { "\($0): " } ?? "") + "not valid JSON: " + syntax.description
        self.syntax = syntax
    }

    /// `field: detail`, or the detail alone for the document as a whole.
    public var description: String { field.isEmpty ? detail : "\(field): \(detail)" }
}

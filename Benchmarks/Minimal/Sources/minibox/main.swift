// minibox CMD [ARGS...]: what `nsbox run -r CMD [ARGS...]` does (Sandbox.execute with a new user
// namespace and the root mapping), with nothing else in the binary.
import Glibc
import LinuxNamespaces

let arguments = CommandLine.arguments
/// Writes `text` to standard error.
func complain(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

guard arguments.count > 1 else {
    complain("usage: minibox CMD [ARGS...]")
    exit(125)
}
var sandbox = Sandbox(create: [.user])
sandbox.userMapping = .root
var command = SandboxCommand(arguments[1], Array(arguments.dropFirst(2)))
command.inheritsSignalMask = true
do {
    try sandbox.execute(command)
} catch {
    complain("minibox: \(error)")
    exit(error.exitStatus)
}

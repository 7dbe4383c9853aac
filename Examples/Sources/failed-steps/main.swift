// failed-steps: provokes real failures of a sandbox's set-up and tells them apart with a
// `switch` over `SandboxError.step`: a missing command, a mount source that does not exist, a
// hostname without a UTS namespace, a mount the kernel refuses, a file it cannot execute.
// Works as root and as an ordinary user.
import Glibc
import LinuxNamespaces

/// What went wrong, told apart by the step that failed.
func explain(_ error: SandboxError) -> String {
    switch error.step {
    case .configuration(let field):
        return "configuration: fix the field \(field)"
    case .lookup(let name):
        let found = error.stage == .commandNotFound ? "not found" : "found, but not executable"
        return "lookup: \(name) \(found) (exit status \(error.exitStatus))"
    case .mount(let index, let target):
        let errno = error.errno.map { "\($0)" } ?? "no errno"     // an Errno: == .invalidArgument ...
        return "mount: mounts[\(index)] on \(target) refused by the kernel: \(errno)"
    case .execve(let name):
        return "execve: \(name) cannot be executed (exit status \(error.exitStatus))"
    case .setns(let kinds):
        return "setns: cannot join \(kinds)"
    case .writeIDMap(let file):
        return "id maps: cannot write \(file)"
    default:
        return "another step: \(error.step)"
    }
}

/// Spawns `command` in `sandbox` and prints how its set-up failed, or how it ended.
func attempt(_ what: String, _ sandbox: Sandbox, _ command: SandboxCommand) {
    do {
        let process = try sandbox.spawn(command)    // throws(SandboxError): no cast needed
        print("\(what): ran, \(try process.wait())")
    } catch {
        print("\(what): \(explain(error))")
        print("  stage \(error.stage), \(error)")
    }
}

var sandbox = Sandbox(create: [.user, .mount])
sandbox.userMapping = .root

// Found before anything starts: the command's lookup, and the configuration.
attempt("a missing command", sandbox, SandboxCommand("no-such-command"))
var badSource = sandbox
badSource.mounts = [.bind("/no/such/source", "/mnt")]
attempt("a missing mount source", badSource, SandboxCommand("true"))
var hostname = sandbox
hostname.hostname = "box"                           // needs .uts in create
attempt("a hostname without .uts", hostname, SandboxCommand("true"))

// Refused by the kernel in the child, after the clone: the step says which.
var fileOnDirectory = sandbox
fileOnDirectory.mounts = [.bind("/etc/passwd", "/mnt")]   // a file onto a directory
attempt("a file bound onto a directory", fileOnDirectory, SandboxCommand("true"))
let notAProgram = "/tmp/failed-steps-\(getpid())"
let fd = open(notAProgram, O_WRONLY | O_CREAT | O_EXCL, 0o700)   // executable, but not a program
_ = write(fd, "\u{7f}ELF", 4)
close(fd)
attempt("a file that is not a program", sandbox, SandboxCommand(notAProgram))
unlink(notAProgram)

import ArgumentParser
import Glibc
import LinuxNamespaces

/// nsbox's parent when it started, before anything could have delayed us: what
/// `--die-with-parent` checks is still our parent once the signal is armed.
nonisolated(unsafe) var startingParent = ProcessID(rawValue: 0)

/// nsbox: create, join and inspect Linux namespaces.
@main
struct NSBox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nsbox",
        abstract: "Create, join and inspect Linux namespaces.",
        discussion: """
            Exit status: the command's own; 128+N when it died of signal N; 125 when nsbox itself \
            failed (bad option, the kernel refused a step); 126 when the command cannot be \
            executed; 127 when it is not found.
            """,
        version: versionLine,
        subcommands: [Run.self, Enter.self, List.self, Identify.self, Names.self, Remove.self]
    )

    static func main() {
        startingParent = ProcessID(rawValue: getppid())
        // Without a real procfs on /proc, nothing nsbox reads or writes there can be trusted
        // (and the Swift runtime reads our own arguments from /proc/self/cmdline).
        if !isProcFileSystem() {
            writeLine(2, "nsbox: /proc is not a procfs mount: nsbox reads and writes /proc/self and /proc/PID; mount proc on /proc (mount -t proc proc /proc)")
            Glibc.exit(125)
        }
        var arguments = Array(CommandLine.arguments.dropFirst())
        // enter parses with its own table (EnterOptions.table), nsenter's getopt rules.
        if arguments.first == "enter" {
            reportingFailures { try Enter.run(Array(arguments.dropFirst())) }
            Glibc.exit(0)
        }
        arguments = takeGlobalOptions(arguments)
        // `nsbox help run|enter`: their tables' help (argument-parser sees only their words).
        if arguments.count == 2, arguments[0] == "help", arguments[1] == "run" || arguments[1] == "enter" {
            printLine(arguments[1] == "run" ? Run.help : Enter.help)
            Glibc.exit(0)
        }
        // run parses with its own table (RunOptions.table), as fast as a plain scan.
        if arguments.first == "run" || arguments == ["help", "run"] {
            reportingFailures { try Run.execute(arguments.first == "run" ? arguments.dropFirst() : ["--help"]) }
        }
        if arguments.first == "ls" { arguments = ["ls"] + List.normalized(arguments.dropFirst()) }
        // The common forms of id and ls skip argument-parser: see FastList.
        if getenv("NSBOX_FULL_PARSER") == nil {
            if arguments.first == "id", let (target, json, kinds) = FastIdentify.parse(arguments.dropFirst()) {
                reportingFailures {
                    if getenv("NSBOX_PRINT_PLAN") != nil { printLine("fast path") }
                    try Identify.printIDs(target: target, json: json, kindNames: kinds)
                }
                Glibc.exit(0)
            }
            if arguments.first == "ls", let list = FastList.parse(arguments.dropFirst()) {
                reportingFailures {
                    if getenv("NSBOX_PRINT_PLAN") != nil { printLine("fast path") }
                    try list.run()
                }
                Glibc.exit(0)
            }
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let failure as Failure {
            report(failure)
        } catch {
            // --help and --version exit 0; a usage error is nsbox's failure: 125.
            if exitCode(for: error) == .success { exit(withError: error) }
            // One line, as every other error of ours: the message without the usage block.
            let message = oneLine(self.message(for: error).split(separator: "\n").joined(separator: " "))
            let known = configuration.subcommands.map { $0._commandName }
            let help = arguments.first.map { known.contains($0) ? "nsbox \($0) --help" : "nsbox --help" } ?? "nsbox --help"
            report(Failure(message: "\(message) (see \(help))"))
        }
    }
}

/// Runs `body`; a `Failure` it throws is printed and ends nsbox with its status.
func reportingFailures(_ body: () throws -> Void) {
    do { try body() } catch let failure as Failure { report(failure) } catch {
        report(Failure(message: "\(error)"))
    }
}

/// Prints `failure` on one line and exits with its status; with `--json`, the line is one
/// JSON object, `{"error": MESSAGE, "exitCode": STATUS}` (the shape README documents).
func report(_ failure: Failure) -> Never {
    if jsonErrors {
        writeLine(2, jsonObject([("error", jsonString(failure.message)), ("exitCode", String(failure.status))]))
    } else {
        writeLine(2, "nsbox: " + oneLine(failure.message))
    }
    Glibc.exit(failure.status)
}

/// `-V`/`--version` and `--json` among the options of `ls`, `id`, `names` and `rm` (up to
/// `--`; run and enter read their own): the version is printed and nsbox exits; `--json` makes
/// failures JSON (see `report`), besides what each of them makes of it.
func takeGlobalOptions(_ arguments: [String]) -> [String] {
    // Most calls have neither: no scan, nothing touched (start-up).
    guard let subcommand = arguments.first, subcommand != "run",
        arguments.contains(where: { $0 == "-V" || $0 == "--version" || $0 == "--json" })
    else { return arguments }
    // (`nsbox -V` too: argument-parser knows only --version.)
    for word in arguments.prefix(while: { $0 != "--" }) {
        if word == "-V" || word == "--version" {
            printLine(versionLine)
            Glibc.exit(0)
        }
        if word == "--json" { jsonErrors = true }
    }
    return arguments
}

/// `text` with line breaks and other control characters that it echoes from the user's input
/// written as escapes (`\n`, `\r`, `\t`, `\u{1b}`), so that an error stays one line.
func oneLine(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7f: result += "\\u{\(String(scalar.value, radix: 16))}"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// An error of nsbox itself, with the exit status it maps to.
struct Failure: Error {
    var message: String
    var status: Int32 = 125
    /// The library's error it was made from, for a subcommand to word in its options' terms.
    var cause: SandboxError? = nil
}

extension Failure {
    /// A sandbox error: its line, and its status (125, 126 or 127).
    init(_ error: SandboxError) {
        self.init(message: error.description, status: error.exitStatus, cause: error)
    }

    /// A namespace error: its line, status 125.
    init(_ error: NamespaceError) {
        self.init(message: error.description)
    }
}

/// What `run` and `enter` do once their options are read: print `help` or the version if
/// asked, else run the command `plan` makes to completion.
func runParsed(help: String?, version: Bool, jsonStatusFD: Int32?, fork: Bool = false,
    plan: () throws -> (Sandbox, SandboxCommand)) throws -> Never {
    if let help {
        printLine(help)
        exit(0)
    }
    if version {
        printLine(versionLine)
        exit(0)
    }
    var (sandbox, command) = try plan()
    command.inheritsSignalMask = true
    if let fd = jsonStatusFD, fcntl(fd, F_GETFD) < 0 {
        throw Failure(message: "--json-status-fd \(fd): not an open file descriptor")
    }
    try runToCompletion(sandbox, command, jsonStatusFD: jsonStatusFD, fork: fork)
}

/// Runs the command: in place of nsbox where the sandbox allows (`Sandbox.execute`) unless
/// `fork` (`run -f`, as unshare's), else spawned, reported through `--json-status-fd` if
/// asked, waited for, and nsbox exits with its status (128+N for signal N).
func runToCompletion(_ sandbox: Sandbox, _ command: SandboxCommand, jsonStatusFD: Int32?, fork: Bool = false) throws -> Never {
    // For the tests: the plan both parsers made, instead of running it.
    if getenv("NSBOX_PRINT_PLAN") != nil {
        printLine(String(reflecting: sandbox))
        printLine(String(reflecting: command))
        printLine("fork: \(fork)")
        exit(0)
    }
    // Nothing to report afterwards and no fork asked for: nsbox becomes the command where it
    // can (as unshare and nsenter do), or waits for it and exits with its status.
    if jsonStatusFD == nil && !fork {
        do { try sandbox.execute(command) } catch { throw Failure(error) }
    }
    let process: SandboxProcess
    SandboxProcess.takeBackChildSignal()
    SandboxProcess.blockPassedOnSignals()
    do { process = try sandbox.spawn(command) } catch { throw Failure(error) }
    if let fd = jsonStatusFD {
        var fields = [("child-pid", String(process.pid.rawValue))]
        for (kind, id) in process.namespaces.sorted(by: { $0.key.procName < $1.key.procName }) {
            fields.append(("\(kind.procName)-namespace", String(id.inode)))
        }
        writeLine(fd, jsonObject(fields))
    }
    let termination: Termination
    do { termination = try process.waitPassingOnSignals() } catch { throw Failure(error) }
    if let fd = jsonStatusFD {
        switch termination {
        case .exited(let code): writeLine(fd, jsonObject([("exit-code", String(code))]))
        case .signaled(let signal): writeLine(fd, jsonObject([("exit-signal", String(signal.rawValue))]))
        }
    }
    exit(termination.shellStatus)
}

/// `{"key": value, ...}` with values already rendered as JSON.
func jsonObject(_ fields: [(String, String)]) -> String {
    "{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
}

/// A JSON string literal.
func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20: result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

/// Writes `line` and a newline to standard output. Not `print`: its dynamic casts of the `Any`
/// arguments scan, the first time, every protocol conformance in the binary (argument-parser's
/// and Foundation's included) at start-up. The commands that use this write nothing else there.
func printLine(_ line: String) { writeLine(1, line) }

/// Writes `line` and a newline to `fd`, all of it.
func writeLine(_ fd: Int32, _ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }
}

/// The command to run: what follows `--` or the first word that is not an option; the user's
/// shell when there is none. A word that looks like an option before the command is an
/// unknown option, not a command.
func commandWords(_ captured: [String], subcommand: String) throws -> [String] {
    var words = captured
    if words.first == "--" {
        words.removeFirst()
    } else if let first = words.first, first.hasPrefix("-") {
        throw Failure(message: "unknown option '\(first)' (see nsbox \(subcommand) --help); a command starting with '-' goes after --")
    }
    if words.isEmpty { words = [getenv("SHELL").map { String(cString: $0) } ?? "/bin/sh"] }
    return words
}

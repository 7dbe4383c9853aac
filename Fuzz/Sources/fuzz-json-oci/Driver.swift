// The libFuzzer driver, the same in every fuzz target.
//
// SwiftPM links an executable target with `--defsym main=<module>_main` and expects that
// symbol from the module's entry point; with -parse-as-library there is none, and libFuzzer's
// own `main` is never used. So the `@main` below is that entry point, and it hands over to
// libFuzzer through LLVMFuzzerRunDriver, which parses the usual libFuzzer flags and calls
// LLVMFuzzerTestOneInput (`fuzz` in the target's other file).
import Glibc

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt

@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, { fuzz($0, $1) }))
    }
}

/// Stops the run with a message libFuzzer reports as a crash (the input is saved).
func violated(_ what: String, _ input: UnsafeRawBufferPointer) -> Never {
    let hex = input.prefix(256).map { String($0, radix: 16) }.joined(separator: " ")
    fatalError("invariant violated: \(what)\ninput (\(input.count) bytes, hex): \(hex)")
}

/// `text` with control characters and non-ASCII escaped, for messages.
func visible(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        if scalar.value >= 0x20 && scalar.value < 0x7F { result.unicodeScalars.append(scalar) }
        else { result += "\\u{\(String(scalar.value, radix: 16))}" }
    }
    return result
}

/// Error messages must be one line. The library echoes some user text verbatim (see README.md,
/// "Findings"), so by default a line break only counts when the input holds no such byte;
/// FUZZ_STRICT_ONE_LINE=1 counts every CR or LF.
func checkOneLine(_ message: String, _ what: String, _ input: UnsafeRawBufferPointer) {
    guard !message.isEmpty else { violated("\(what): an empty error message", input) }
    for breakByte: UInt8 in [0x0A, 0x0D] where message.utf8.contains(breakByte) {
        if strictOneLine || !input.contains(breakByte) {
            violated("\(what): the error is not one line: \(visible(message))", input)
        }
    }
}

let strictOneLine = getenv("FUZZ_STRICT_ONE_LINE") != nil

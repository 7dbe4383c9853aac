// What every fuzz target shares: the libFuzzer driver and the checks' reporting.
//
// SwiftPM links an executable target with `--defsym main=<module>_main` and expects that
// symbol from the module's entry point; with -parse-as-library there is none, and libFuzzer's
// own `main` is never used. So each target has a tiny `@main` that calls `runFuzzer`, which
// hands over to libFuzzer through LLVMFuzzerRunDriver: it parses the usual libFuzzer flags and
// calls the target's LLVMFuzzerTestOneInput.
import Glibc

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt

/// Runs libFuzzer with this process's arguments over `testOneInput`, then exits.
public func runFuzzer(_ testOneInput: @convention(c) (UnsafeRawPointer, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}

/// Stops the run with a message libFuzzer reports as a crash (the input is saved).
public func violated(_ what: String, _ input: UnsafeRawBufferPointer) -> Never {
    let hex = input.prefix(256).map { String($0, radix: 16) }.joined(separator: " ")
    fatalError("invariant violated: \(what)\ninput (\(input.count) bytes, hex): \(hex)")
}

/// `text` with control characters and non-ASCII escaped, for messages.
public func visible(_ text: String) -> String {
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
public func checkOneLine(_ message: String, _ what: String, _ input: UnsafeRawBufferPointer) {
    guard !message.isEmpty else { violated("\(what): an empty error message", input) }
    for breakByte: UInt8 in [0x0A, 0x0D] where message.utf8.contains(breakByte) {
        if strictOneLine || !input.contains(breakByte) {
            violated("\(what): the error is not one line: \(visible(message))", input)
        }
    }
}

public let strictOneLine = getenv("FUZZ_STRICT_ONE_LINE") != nil

// The entry point: libFuzzer over `fuzz` (LLVMFuzzerTestOneInput, in the target's other file).
import FuzzSupport

@main
enum FuzzMain {
    static func main() { runFuzzer { fuzz($0, $1) } }
}

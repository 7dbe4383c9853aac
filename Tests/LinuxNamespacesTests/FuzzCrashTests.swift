import Foundation
import LinuxNamespaces
import Testing

/// The fuzzers' fixed findings, replayed from `Fuzz/crashes` as they were saved. The fuzz
/// targets' oracles check what the library accepts, not that it accepts every valid input, so a
/// valid config it wrongly refused is checked here. (The orphan of
/// `cli-time-persist-orphan.sh` is `ReliabilityTests.aFailedPersistWithATimeNamespaceLeavesNoGrandchild`;
/// `Scripts/ci-fuzz.sh` also runs that reproducer and replays every file through its target.)
@Suite struct FuzzCrashTests {
    /// A combining mark right after the "/" of a path or the "=" of an environment entry once
    /// hid the character from a `Character` comparison: the config was refused as relative or
    /// as not NAME=value. Each is accepted now, its text kept byte for byte.
    @Test(arguments: [
        ("oci-cwd-combining-mark-after-slash.json", "/\u{301}dir"),
        ("oci-path-combining-mark-after-slash.json", "/\u{301}x"),
        ("oci-env-combining-mark-after-equals.json", "\u{301}b"),
    ])
    func aCombiningMarkAfterTheSeparatorIsAccepted(file: String, expected: String) throws {
        let url = URL(filePath: #filePath).deletingLastPathComponent()
            .appending(path: "../../Fuzz/crashes/\(file)").standardized
        let config = try OCIConfig(parsing: [UInt8](try Data(contentsOf: url)))
        try config.validate()
        let kept: String?
        switch file {
        case "oci-cwd-combining-mark-after-slash.json": kept = try config.command().workingDirectory?.string
        case "oci-path-combining-mark-after-slash.json": kept = config.namespaces.first?.path
        default: kept = try config.command().environment?.first { $0.key == "A" }?.value
        }
        #expect(kept.map { Array($0.utf8) } == Array(expected.utf8))
    }

    /// Two environment names that are one name to Swift's `String` (NFC "é" and NFD "e" with a
    /// combining acute) but other bytes once became one variable, the first's name with the
    /// second's value. Such a config is refused now, naming both entries; the same name twice
    /// in the same bytes is still a name given twice (the last one wins).
    @Test func environmentNamesThatDifferOnlyInNormalizationAreRefused() throws {
        let url = URL(filePath: #filePath).deletingLastPathComponent()
            .appending(path: "../../Fuzz/crashes/oci-env-nfc-nfd-names-merged.json").standardized
        let error = #expect(throws: OCIConfigError.self) {
            try OCIConfig(parsing: [UInt8](try Data(contentsOf: url)))
        }
        #expect(error?.field == "process.env[1]")
        #expect(error?.description.contains("U+0065 U+0301") == true)
        #expect(error?.description.contains("U+00E9") == true)
        let twice = try OCIConfig(parsing: Array(#"{"process": {"args": ["env"], "env": ["A=1", "A=2"]}}"#.utf8))
        #expect(try twice.command().environment == ["A": "2"])
    }
}

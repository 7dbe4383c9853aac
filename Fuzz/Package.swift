// swift-tools-version: 6.0
// libFuzzer targets for swift-linux-namespaces (issue 7). Build and run with ./run.sh; see README.md.
import PackageDescription

// -sanitize=fuzzer links libFuzzer (it provides main) and instruments this target;
// -parse-as-library because the entry point is LLVMFuzzerTestOneInput, not top-level code.
// run.sh also passes -Xswiftc -sanitize=fuzzer,address so that LinuxNamespaces itself is
// instrumented: without that, libFuzzer would see no coverage inside the parsers.
let fuzzerSwift: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])]
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

let package = Package(
    name: "swift-linux-namespaces-fuzz",
    dependencies: [
        .package(name: "swift-linux-namespaces", path: ".."),
    ],
    targets: [
        // The libFuzzer driver and the reporting every target shares.
        .target(name: "FuzzSupport", swiftSettings: fuzzerSwift),
        .executableTarget(
            name: "fuzz-idmap",
            dependencies: ["FuzzSupport", .product(name: "LinuxNamespaces", package: "swift-linux-namespaces")],
            swiftSettings: fuzzerSwift, linkerSettings: fuzzerLink),
        .executableTarget(
            name: "fuzz-json-oci",
            dependencies: ["FuzzSupport", .product(name: "LinuxNamespaces", package: "swift-linux-namespaces")],
            swiftSettings: fuzzerSwift, linkerSettings: fuzzerLink),
        .executableTarget(
            name: "fuzz-filter",
            dependencies: ["FuzzSupport", .product(name: "LinuxNamespaces", package: "swift-linux-namespaces")],
            swiftSettings: fuzzerSwift, linkerSettings: fuzzerLink),
        .executableTarget(
            name: "fuzz-names",
            dependencies: ["FuzzSupport", .product(name: "LinuxNamespaces", package: "swift-linux-namespaces")],
            swiftSettings: fuzzerSwift, linkerSettings: fuzzerLink),
    ]
)

// swift-tools-version: 6.0
// An experiment for BENCHMARKS.md ("What is left"): `nsbox run -r CMD` done through the library
// by a program without argument-parser (and so without FoundationEssentials), to measure what
// the binary's size and layout cost nsbox's start-up. Not part of the product.
import PackageDescription

let package = Package(
    name: "nsbench-minimal",
    dependencies: [
        .package(name: "swift-linux-namespaces", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "minibox",
            dependencies: [.product(name: "LinuxNamespaces", package: "swift-linux-namespaces")]
        ),
    ]
)

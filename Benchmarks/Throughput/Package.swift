// swift-tools-version: 6.0
// The library side of benchmark S6 (and an in-process listing timer for S5): a separate
// package so that the benchmarks never touch the main package's Sources. Built by
// Benchmarks/run.sh with its own scratch path.
import PackageDescription

let package = Package(
    name: "nsbench-throughput",
    dependencies: [
        .package(name: "swift-linux-namespaces", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "nsthroughput",
            dependencies: [.product(name: "LinuxNamespaces", package: "swift-linux-namespaces")]
        ),
    ]
)

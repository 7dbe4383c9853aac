// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "swift-linux-namespaces",
    products: [
        .library(name: "LinuxNamespaces", targets: ["LinuxNamespaces"]),
        .executable(name: "nsbox", targets: ["nsbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `swift package generate-documentation`; a plugin, nothing of it is linked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CNamespaces"),
        .target(
            name: "LinuxNamespaces",
            dependencies: [
                "CNamespaces",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // The command-line tool: run, enter, ls, id.
        .executableTarget(
            name: "nsbox",
            dependencies: [
                "LinuxNamespaces",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Prints this process's namespace ids and those of a child in new namespaces.
        .executableTarget(name: "ns-ids", dependencies: ["LinuxNamespaces"]),
        // A single-threaded helper the tests run in a child process: the test runner itself is
        // multithreaded, and some namespace operations are only allowed to a single thread.
        .executableTarget(name: "nsprobe", dependencies: ["LinuxNamespaces", .product(name: "SystemPackage", package: "swift-system")]),
        // Runs one scenario of Sandbox.run and async waiting, for the tests as uid 65534.
        .executableTarget(name: "nsio", dependencies: ["LinuxNamespaces", .product(name: "SystemPackage", package: "swift-system")]),
        // Runs a command with chosen system calls failing with ENOSYS, to test the fallbacks.
        .executableTarget(name: "enosys"),
        // Starts a command with signals ignored, or on a new pseudo-terminal that types keys
        // into it, for the signal tests.
        .executableTarget(name: "sighelper"),
        // Moves the test runner into a mount namespace of its own before main (see isolation.c).
        .target(name: "TestIsolation", path: "Tests/TestIsolation"),
        .testTarget(
            name: "LinuxNamespacesTests",
            dependencies: ["LinuxNamespaces", "nsprobe", "nsbox", "nsio", "enosys", "sighelper", "TestIsolation"]
        ),
    ]
)

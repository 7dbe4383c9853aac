// swift-tools-version: 6.0
// Runnable examples for the LinuxNamespaces DocC articles: one executable per article.
// Build and run from this directory: `swift run spawn-sandbox` (see README.md).
import PackageDescription

/// One executable target per article, each depending only on the library.
func example(_ name: String) -> Target {
    .executableTarget(name: name, dependencies: [.product(name: "LinuxNamespaces", package: "swift-linux-namespaces")])
}

let package = Package(
    name: "LinuxNamespacesExamples",
    dependencies: [
        .package(name: "swift-linux-namespaces", path: ".."),
    ],
    targets: [
        example("spawn-sandbox"),          // SpawningASandbox.md
        example("closure-in-namespaces"),  // RunningAClosureInNamespaces.md
        example("per-thread-socket"),      // PerThreadNamespaceWork.md
        example("named-netns"),            // NamedNamespaces.md
        example("list-namespaces"),        // ListingNamespaces.md
        example("run-oci-config"),         // OCIRuntimeConfigs.md
        example("id-maps"),                // IDMappings.md
        example("run-with-output"),        // RunningWithOutput.md
        example("failed-steps"),           // SpawningASandbox.md, "Match the step that failed"
        example("apply-in-place"),         // ApplyingASandboxInPlace.md
    ]
)

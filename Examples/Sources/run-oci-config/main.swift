// run-oci-config: read the namespace part of an OCI runtime-spec config.json and run its
// process in it. Usage: run-oci-config [PATH] (default: bundle/config.json, relative to the
// Examples directory). Works as root; as an ordinary user the id maps are replaced by a map of
// one's own ids, as a rootless config has them.
import Glibc
import LinuxNamespaces

let path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "bundle/config.json"
do {
    var config = try OCIConfig(contentsOf: path)
    print("creates: \(config.created), hostname: \(config.hostname ?? "-"), uid maps: \(config.uidMappings)")
    if geteuid() != 0 {
        // Only root may map a range of host ids; an ordinary user maps container root to itself.
        config.uidMappings = [IDMapping(inside: 0, outside: geteuid())]
        config.gidMappings = [IDMapping(inside: 0, outside: getegid())]
    }
    // The configuration is a Sandbox and a SandboxCommand; anything the runtime spec does not
    // cover can be changed on them before spawning.
    var sandbox = try config.sandbox()
    sandbox.dieWithParent = true
    let process = try sandbox.spawn(config.command())
    print("termination: \(try process.wait())")
} catch {
    print("failed: \(error)")          // OCIConfigError or SandboxError
    exit(1)
}

// A mistake is reported with the JSON path of the field.
do {
    _ = try OCIConfig(parsing: #"{"linux": {"namespaces": [{"type": "user"}, {"type": "netw"}]}}"#)
} catch {
    print(error)
}
do {
    _ = try OCIConfig(parsing: #"{"hostname": "box", "linux": {"namespaces": [{"type": "user"}]}}"#)
} catch {
    print(error)
}

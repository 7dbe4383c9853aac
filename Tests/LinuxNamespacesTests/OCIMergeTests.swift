import LinuxNamespaces
import Testing

/// `OCIConfig.sandbox(mergedWith:)`: options laid over a configuration field by field, the
/// library form of `nsbox run --config FILE OPTIONS`.
@Suite struct OCIMergeTests {
    let json = #"{"hostname": "box", "process": {"user": {"uid": 5, "gid": 6}}, "linux": {"namespaces": [{"type": "user"}, {"type": "mount"}, {"type": "uts"}]}}"#

    @Test func theConfigKeepsItsNamespacesAndTheOptionsAddTheRest() throws {
        let config = try OCIConfig(parsing: json)
        var options = Sandbox()
        options.mounts = [.tmpfs("/tmp", mode: 0o1777)]
        options.uid = 7
        options.noNewPrivileges = true
        options.session = .newSession
        let merged = try config.sandbox(mergedWith: options)
        #expect(merged.create == [.user, .mount, .uts] && merged.hostname == "box")
        // The options' uid over process.user's; the config's gid where the options set none.
        #expect(merged.uid == 7 && merged.gid == 6)
        #expect(merged.mounts == [.tmpfs("/tmp", mode: 0o1777)] && merged.noNewPrivileges && merged.session == .newSession)
    }

    @Test func optionsThatSetWhatTheConfigSetsAreRefusedByField() throws {
        let config = try OCIConfig(parsing: json)
        for change in [{ (s: inout Sandbox) in s.create = [.network] }, { $0.hostname = "other" }, { $0.userMapping = .root }] {
            var options = Sandbox()
            change(&options)
            #expect(throws: OCIConfigError.self) { _ = try config.sandbox(mergedWith: options) }
            do { _ = try config.sandbox(mergedWith: options) } catch { #expect(error.field == "options.namespaces") }
        }
        // And nothing else: the plain options merge.
        #expect(throws: Never.self) { _ = try config.sandbox(mergedWith: Sandbox()) }
    }
}

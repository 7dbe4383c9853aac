import LinuxNamespaces
import SystemPackage
import Testing

/// A failed spawn names its step as a value a caller can `switch` on: each scenario fails for a
/// real reason (`nsprobe fail`, FailureProbe.swift), as root and as uid 65534.
@Suite struct SandboxErrorTests {
    /// One way to fail: the scenario, the stage and step `nsprobe fail` prints, and the caps
    /// root runs without (where root would succeed).
    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        var stage: String
        var step: String
        var errno: String
        var rootDrops: String? = nil
        var unprivilegedStep: String? = nil
        var unprivilegedStage: String? = nil
        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "configuration", stage: "configuration", step: "configuration mounts", errno: "-"),
        Scenario(name: "lookup", stage: "command not found", step: "lookup /nonexistent/nsprobe-command", errno: "2"),
        Scenario(name: "pipe", stage: "resources", step: "pipe", errno: "24"),
        Scenario(name: "clone", stage: "clone", step: "clone net true", errno: "1", rootDrops: "-sys_admin"),
        Scenario(name: "setns", stage: "child", step: "setns net", errno: "1", rootDrops: "-sys_admin"),
        Scenario(name: "time-offsets", stage: "child", step: "timeOffsets", errno: "34"),
        Scenario(name: "mount", stage: "child", step: "mount 0 /mnt", errno: "19"),
        Scenario(name: "setuid", stage: "child", step: "setuid 4242", errno: "22"),
        Scenario(name: "chdir", stage: "child", step: "chdir /nonexistent/nsprobe-directory", errno: "2"),
        Scenario(name: "execve", stage: "command not found", step: "execve /nonexistent/nsprobe-command", errno: "2"),
        // Root is refused by the kernel (uid 0 mapped without CAP_SETFCAP); 65534 by newuidmap,
        // which has no range of its in /etc/subuid.
        Scenario(name: "write-id-map", stage: "id maps", step: "writeIDMap uid_map", errno: "1", rootDrops: "-setfcap",
            unprivilegedStep: "idMapHelper newuidmap"),
        Scenario(name: "persist", stage: "persist", step: "persist uts /nonexistent/nsprobe-persist", errno: "2"),
    ]

    @Test(arguments: scenarios)
    func eachFailedStepIsACaseToSwitchOn(_ scenario: Scenario) throws {
        let root = scenario.rootDrops.map { ["setpriv", "--bounding-set=\($0)"] } ?? []
        for (user, prefix) in [("root", root), ("65534", asUnprivileged)] {
            let result = try runCommand(prefix + [Probe.path, "fail", scenario.name])
            let fields = result.fields
            let step = user == "root" ? scenario.step : scenario.unprivilegedStep ?? scenario.step
            #expect(fields["step"] == step, "\(user): \(result.stdout)\(result.stderr)")
            #expect(fields["stage"] == (user == "root" ? scenario.stage : scenario.unprivilegedStage ?? scenario.stage),
                "\(user): \(result.stdout)")
            if user == "root" || scenario.unprivilegedStep == nil {
                #expect(fields["errno"] == scenario.errno, "\(user): \(result.stdout)")
            }
            // The message still names the step as before (what nsbox prints).
            #expect(fields["message"]?.isEmpty == false)
        }
    }

    @Test func rootWithItsCapabilitiesIsNotRefusedWhereTheScenariosDropThem() throws {
        // The negative control of the dropped capabilities: the same scenarios succeed with them.
        for name in ["clone", "setns", "write-id-map"] {
            let result = try Probe.run("fail", name)
            #expect(result.stdout == "succeeded\n", "\(name): \(result.stdout)")
        }
    }

    @Test func aMountThatFailsInTheChildIsMatchedByIndexAndTarget() throws {
        var sandbox = Sandbox(create: [.user, .mount])
        sandbox.userMapping = .root
        sandbox.mounts = [.tmpfs("/mnt"), Mount(.fileSystem(type: "no-such-fs", options: nil), on: "/srv")]
        do {
            _ = try sandbox.spawn(SandboxCommand("/bin/true")).wait()
            Issue.record("the mount succeeded")
        } catch {
            switch error.step {
            case .mount(let index, let target):
                #expect(index == 1 && target == "/srv")
                #expect(error.errno == Errno(rawValue: 19))  // ENODEV
                #expect(error.stage == .child)
                #expect(error.description.hasPrefix("mount no-such-fs on /srv: ENODEV"), "\(error)")
            default:
                Issue.record("not a mount step: \(error)")
            }
        }
    }

    @Test func aConfigurationErrorNamesTheFieldAloneAndTheMessageAllOfIt() throws {
        var sandbox = Sandbox(create: [.user, .mount])
        sandbox.mounts = [.tmpfs("relative")]
        #expect {
            _ = try sandbox.spawn(SandboxCommand("/bin/true"))
        } throws: { error in
            guard let error = error as? SandboxError, case .configuration(let field) = error.step else { return false }
            return field == "mounts" && error.description.hasPrefix("configuration: mounts (tmpfs on relative): ")
        }
    }

    @Test func stepsReadAsTheyDidInMessages() {
        #expect(SandboxError.Step.setns([.network, .user]).description == "setns(user,net)")
        #expect(SandboxError.Step.clone([.user], sharedMemory: false).description == "clone3(user)")
        #expect(SandboxError.Step.lockMounts(.uidMap).description == "locking the mounts: uid_map")
        #expect(SandboxError.Step.capabilities(.boundingSet).description == "dropping capabilities: the bounding set")
        #expect(SandboxError.Step.newRoot("/r", .pivot).description == "pivot_root /r")
        #expect(SandboxError.Step.writeIDMap("/proc/1/uid_map").description == "/proc/1/uid_map")
    }
}

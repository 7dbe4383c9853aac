import Testing

/// unshare master's `--clear-env` and `--whitelist-env LIST` (util-linux 2.38 has neither: the
/// documented behaviour is asserted, as util-linux's own `unshare/env` test does).
@Suite struct NSBoxRunEnvironmentTests {
    @Test(arguments: [false, true]) func clearEnvAndWhitelistEnvAsUnshareMaster(unprivileged: Bool) throws {
        let prefix = (unprivileged ? asUnprivileged : []) + ["env", "UL_TEST_ENV1=foo", "UL_TEST_ENV2=bar"]
        let cleared = try runCommand(prefix + [NSBox.path, "run", "-r", "--clear-env", "/bin/sh", "-c", "echo ${UL_TEST_ENV1:-CLEARED}; env | wc -l"])
        // The shell sets PWD (and nothing of ours reaches it).
        #expect(cleared.status == 0 && cleared.stdout.hasPrefix("CLEARED\n"), "\(cleared)")
        #expect(Int(cleared.stdout.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 99 <= 3, "\(cleared)")
        let kept = try runCommand(prefix + [NSBox.path, "run", "-r", "--whitelist-env", "UL_TEST_ENV1,NOT_SET", "/usr/bin/env"])
        #expect(kept.status == 0 && kept.stdout == "UL_TEST_ENV1=foo\n", "\(kept)")
        // Negative control: without either, both variables reach the command.
        let both = try runCommand(prefix + [NSBox.path, "run", "-r", "/bin/sh", "-c", "echo $UL_TEST_ENV1$UL_TEST_ENV2"])
        #expect(both.stdout == "foobar\n")
    }
}

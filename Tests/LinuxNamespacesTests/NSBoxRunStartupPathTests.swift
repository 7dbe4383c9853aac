import Testing

/// What the start-up shortcuts of `nsbox run` must keep: with no environment option the command
/// gets the caller's environment exactly (nsbox no longer stores one), in place of nsbox and
/// spawned; grouped short options are read letter by letter, multi-byte letters included.
@Suite struct NSBoxRunStartupPathTests {
    @Test(arguments: [false, true]) func withoutEnvironmentOptionsTheCommandGetsTheCallersEnvironment(unprivileged: Bool) throws {
        let prefix = (unprivileged ? asUnprivileged : []) + ["env", "STARTUP_TEST_A=a b", "STARTUP_TEST_B="]
        let expected = try runCommand(prefix + ["/usr/bin/env"])
        #expect(expected.status == 0 && expected.stdout.contains("STARTUP_TEST_A=a b\n"), "\(expected)")
        // In place of nsbox (-r), spawned under an init (-rmpf), and spawned as pid 1.
        for options in [["-r"], ["-rmpf", "--mount-proc"], ["-rmpf", "--mount-proc", "--as-pid-1"]] {
            let got = try runCommand(prefix + [NSBox.path, "run"] + options + ["/usr/bin/env"])
            #expect(got.status == 0 && got.stdout == expected.stdout, "\(options): \(got)")
        }
        // Negative control: an environment option does change what the command gets.
        let changed = try runCommand(prefix + [NSBox.path, "run", "-r", "--unsetenv", "STARTUP_TEST_B", "/usr/bin/env"])
        #expect(changed.status == 0 && changed.stdout != expected.stdout && !changed.stdout.contains("STARTUP_TEST_B="), "\(changed)")
    }

    @Test func groupedShortOptionsAreReadLetterByLetter() throws {
        // A multi-byte letter after a valid one is named whole in the error.
        let unknown = try runCommand([NSBox.path, "run", "-ré", "true"])
        #expect(unknown.status == 125 && unknown.stderr == "nsbox: unknown option '-é' (see nsbox run --help)\n", "\(unknown)")
        // An attached value after grouped flags is the rest of the word, multi-byte included.
        let directory = TestRun.name("wd-é")
        let path = TestRun.directory + "/" + directory
        let made = try runCommand(["mkdir", "-p", path])
        #expect(made.status == 0)
        let pwd = try runCommand([NSBox.path, "run", "-rmw" + path, "pwd"])
        #expect(pwd.status == 0 && pwd.stdout == path + "\n", "\(pwd)")
    }
}

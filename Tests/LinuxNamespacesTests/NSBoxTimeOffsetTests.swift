import Foundation
import Glibc
import Testing

/// `nsbox run -T --monotonic --boottime`: the clocks the command reads with clock_gettime.
@Suite struct NSBoxTimeOffsetTests {
    /// CLOCK_MONOTONIC and CLOCK_BOOTTIME as nsprobe read them, in seconds.
    func clocks(_ result: CommandResult) throws -> (monotonic: Double, boottime: Double) {
        let fields = result.fields
        guard let monotonic = fields["monotonic"].flatMap(Double.init), let boottime = fields["boottime"].flatMap(Double.init) else {
            throw TestFailure("no clocks in \(result.stdout) \(result.stderr)")
        }
        return (monotonic, boottime)
    }

    /// Reads the clocks outside, inside with `options`, and outside again; checks that each
    /// clock inside lies between the two outside readings shifted by its expected offset.
    func expectOffsets(_ prefix: [String], _ options: [String], monotonic: Double, boottime: Double, _ label: String) throws {
        let before = try clocks(try runCommand(prefix + [Probe.path, "clocks"]))
        let inside = try clocks(try runCommand(prefix + [NSBox.path, "run"] + options + ["--", Probe.path, "clocks"]))
        let after = try clocks(try runCommand(prefix + [Probe.path, "clocks"]))
        // The clocks tick during the runs: inside lies between the readings around it (plus a
        // little slack for rounding), shifted by exactly the offset.
        #expect(inside.monotonic - monotonic >= before.monotonic - 0.001 && inside.monotonic - monotonic <= after.monotonic + 0.001,
            "\(label): monotonic \(inside.monotonic) vs \(before.monotonic)...\(after.monotonic) + \(monotonic)")
        #expect(inside.boottime - boottime >= before.boottime - 0.001 && inside.boottime - boottime <= after.boottime + 0.001,
            "\(label): boottime \(inside.boottime) vs \(before.boottime)...\(after.boottime) + \(boottime)")
    }

    @Test func monotonicAndBoottimeOffsetsShiftTheClocksAsRootAnd65534() throws {
        for (user, prefix) in bothUsers {
            try expectOffsets(prefix, ["-r", "-T", "--monotonic", "5000", "--boottime", "100000"], monotonic: 5000, boottime: 100_000, user)
            try expectOffsets(prefix, ["-r", "-T", "--monotonic", "86400"], monotonic: 86400, boottime: 0, "\(user) monotonic only")
            try expectOffsets(prefix, ["-r", "-T", "--boottime", "3600"], monotonic: 0, boottime: 3600, "\(user) boottime only")
            // Negative offsets: back in time, as long as the clock stays positive; spelled as for
            // unshare, the value a separate word that starts with a dash.
            try expectOffsets(prefix, ["-r", "-T", "--monotonic", "-60", "--boottime", "-30"], monotonic: -60, boottime: -30, "\(user) negative")
            // Negative control: a time namespace without offsets reads the caller's clocks.
            try expectOffsets(prefix, ["-r", "-T"], monotonic: 0, boottime: 0, "\(user) no offsets")
            // With a pid namespace too (the command then under an init in both namespaces).
            try expectOffsets(prefix, ["-r", "-T", "-p", "--monotonic", "7", "--boottime", "11"], monotonic: 7, boottime: 11, "\(user) with -p")
        }
    }

    @Test func anOffsetThatWouldMakeAClockNegativeIsNamedWithStatus125() throws {
        let now = try clocks(try Probe.run("clocks"))
        let tooFar = String(Int(now.boottime) + 1000)
        for (user, prefix) in bothUsers {
            for option in ["--monotonic", "--boottime"] {
                let result = try runCommand(prefix + [NSBox.path, "run", "-r", "-T", option, "-\(tooFar)", "--", "true"])
                #expect(result.status == 125, "\(user) \(option): \(result.status) \(result.stderr)")
                #expect(result.stderr.hasPrefix("nsbox: ") && result.stderr.contains("timens_offsets: ERANGE"),
                    "\(user) \(option): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(user) \(option): \(result.stderr)")
            }
        }
    }
}

import Foundation
import LinuxNamespaces
import Testing

@Suite struct IDMapValidationTests {
    @Test func parsesTheKernelsPaddedFormAndRendersCompactly() throws {
        let map = try IDMap(parsing: "         0       1000          1\n         1     100000      65536\n")
        #expect(map.mappings == [
            IDMapping(inside: 0, outside: 1000, count: 1),
            IDMapping(inside: 1, outside: 100000, count: 65536),
        ])
        #expect(map.text == "0 1000 1\n1 100000 65536\n")
        #expect(map.outsideID(for: 5) == 100004)
        #expect(map.outsideID(for: 70000) == nil)
    }

    @Test func acceptsColonSeparatedLines() throws {
        #expect(try IDMapping(parsing: "0:100000:65536") == IDMapping(inside: 0, outside: 100000, count: 65536))
    }

    @Test func zeroCountIsRefused() {
        #expect { try IDMap(inside: 0, outside: 0, count: 0) } throws: { "\($0)".contains("count of 0") }
    }

    @Test func overlapInsideIsRefused() {
        #expect {
            try IDMap([IDMapping(inside: 0, outside: 1000, count: 10), IDMapping(inside: 5, outside: 5000, count: 1)])
        } throws: { "\($0)".contains("line 2 '5 5000 1' overlaps line 1 '0 1000 10' inside") }
    }

    @Test func overlapOutsideIsRefused() {
        #expect {
            try IDMap([IDMapping(inside: 0, outside: 1000, count: 10), IDMapping(inside: 50, outside: 1009, count: 1)])
        } throws: { "\($0)".contains("overlaps line 1 '0 1000 10' outside") }
    }

    @Test func moreThan340LinesAreRefused() throws {
        let lines = (0..<341).map { IDMapping(inside: UInt32($0), outside: UInt32($0), count: 1) }
        #expect { try IDMap(lines) } throws: { "\($0)".contains("341 lines") }
        _ = try IDMap(Array(lines.prefix(340)))
    }

    @Test func aRangePastTheLastIDIsRefused() {
        #expect { try IDMap(inside: 1, outside: 0, count: UInt32.max) } throws: { "\($0)".contains("past id 4294967294") }
    }

    @Test func malformedLinesAreNamed() {
        #expect { try IDMap(parsing: "0 1000") } throws: { "\($0)".contains("'0 1000' has 2 fields") }
        #expect { try IDMap(parsing: "0 x 1") } throws: { "\($0)".contains("'x' is not an id") }
        #expect { try IDMap(parsing: "") } throws: { "\($0)".contains("at least one line") }
    }
}

/// Writing maps to a real user namespace: a target made by `unshare --user sleep`.
@Suite struct IDMapWritingTests {
    @Test func rootWritesRangesAndReadsThemBack() throws {
        let target = try TargetProcess(["unshare", "--user", "sleep", "60"], differingIn: ["user"])
        let pid = ProcessID(rawValue: target.pid)
        let uids = try IDMap([IDMapping(inside: 0, outside: 100000, count: 65536)])
        let gids = try IDMap([
            IDMapping(inside: 0, outside: 200000, count: 1000), IDMapping(inside: 1000, outside: 5000, count: 1),
        ])
        try writeIDMaps(of: pid, uidMap: uids, gidMap: gids, setgroups: .allow)
        #expect(try readIDMap(.user, of: pid) == uids)
        #expect(try readIDMap(.group, of: pid) == gids)
        let setgroups = try String(contentsOfFile: "/proc/\(target.pid)/setgroups", encoding: .utf8)
        #expect(setgroups == "allow\n")
    }

    @Test func writingAMapTwiceSaysItWasAlreadyWritten() throws {
        let target = try TargetProcess(["unshare", "--user", "sleep", "60"], differingIn: ["user"])
        let pid = ProcessID(rawValue: target.pid)
        let map = try IDMap(inside: 0, outside: 0, count: 1)
        try writeIDMaps(of: pid, uidMap: map, gidMap: nil, setgroups: nil)
        #expect {
            try writeIDMaps(of: pid, uidMap: map, gidMap: nil, setgroups: nil)
        } throws: { error in
            "\(error)".contains("uid_map") && "\(error)".contains("already written")
        }
    }

    @Test func unprivilegedUserMapsItselfAfterDenyingSetgroups() throws {
        let target = try TargetProcess(asUnprivileged + ["unshare", "--user", "sleep", "60"], differingIn: ["user"])
        let result = try Probe.runUnprivileged("write-maps", "\(target.pid)", "0 65534 1", "0 65534 1", "deny")
        #expect(result.status == 0, "\(result.stdout)")
        let pid = ProcessID(rawValue: target.pid)
        #expect(try readIDMap(.user, of: pid) == IDMap(inside: 0, outside: 65534))
        #expect(try readIDMap(.group, of: pid) == IDMap(inside: 0, outside: 65534))
        #expect(try String(contentsOfFile: "/proc/\(target.pid)/setgroups", encoding: .utf8) == "deny\n")
    }

    @Test func unprivilegedGidMapWithoutDenyingSetgroupsIsExplained() throws {
        let target = try TargetProcess(asUnprivileged + ["unshare", "--user", "sleep", "60"], differingIn: ["user"])
        let result = try Probe.runUnprivileged("write-maps", "\(target.pid)", "-", "0 65534 1", "-")
        #expect(result.status == 1)
        #expect(result.stdout.contains("/proc/\(target.pid)/gid_map"), "\(result.stdout)")
        #expect(result.stdout.contains("EPERM"))
        #expect(result.stdout.contains("after writing 'deny' to setgroups"))
    }

    @Test func unprivilegedRangeNeedsNewuidmap() throws {
        let target = try TargetProcess(asUnprivileged + ["unshare", "--user", "sleep", "60"], differingIn: ["user"])
        let result = try Probe.runUnprivileged("write-maps", "\(target.pid)", "0 100000 65536", "-", "-")
        #expect(result.status == 1)
        #expect(result.stdout.contains("uid_map pid \(target.pid): EPERM"), "\(result.stdout)")
        #expect(result.stdout.contains("newuidmap"))
        #expect(try String(contentsOfFile: "/proc/\(target.pid)/uid_map", encoding: .utf8).isEmpty)
    }

    @Test func readingAMapNotYetWrittenSaysSo() throws {
        let target = try TargetProcess(["unshare", "--user", "sleep", "60"], differingIn: ["user"])
        #expect {
            try readIDMap(.user, of: ProcessID(rawValue: target.pid))
        } throws: { error in
            "\(error)".contains("/proc/\(target.pid)/uid_map") && "\(error)".contains("has not been written yet")
        }
    }
}

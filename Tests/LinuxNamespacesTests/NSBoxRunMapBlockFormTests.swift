import Testing

/// `nsbox run --map-users`/`--map-groups` in util-linux 2.38's deprecated `OUTSIDE,INSIDE,COUNT`
/// form, which master's unshare still takes (get_map_range, outside first): the same maps as
/// `INSIDE:OUTSIDE:COUNT`, as root and as 65534 (through newuidmap).
@Suite struct NSBoxRunMapBlockFormTests {
    let showMaps = ["--", "cat", "/proc/self/uid_map", "/proc/self/gid_map"]

    /// The map lines `nsbox run WORDS` shows, blanks squeezed; fails the test unless it exits 0.
    func maps(_ words: [String]) throws -> [String] {
        let result = try NSBox.run(["run"] + words + showMaps)
        #expect(result.status == 0, "\(words): \(result.stderr)")
        return result.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
    }

    @Test func theCommaFormNamesTheOutsideIDFirstAsRoot() throws {
        let comma = try maps(["--map-users=100000,0,65536", "--map-groups", "200000,5,10"])
        #expect(comma == ["0 100000 65536", "5 200000 10"])
        // The colon form of the same blocks: inside first.
        #expect(try maps(["--map-users=0:100000:65536", "--map-groups", "5:200000:10"]) == comma)
        // Negative control: the fields swapped map the other way round, so the order is read.
        #expect(try maps(["--map-users=0,100000,65536", "--map-groups", "5,200000,10"]) == ["100000 0 65536", "200000 5 10"])
    }

    @Test(.requiresTool("newuidmap", package: "uidmap"))
    func theCommaFormGoesThroughNewuidmapAs65534() throws {
        let blocks = try NSBoxMapAutoTests().withSubordinateIDs(
            subuid: "nobody:300000:65536\n", subgid: "nobody:310000:65536\n", [
                asUnprivileged + [NSBox.path, "run", "--map-users=300000,0,65536", "--map-groups=310000,0,65536"] + showMaps,
                // Read inside first, these ranges are not the caller's: newuidmap refuses them.
                asUnprivileged + [NSBox.path, "run", "--map-users=0,300000,65536", "--map-groups=0,310000,65536"] + showMaps,
            ])
        #expect(blocks.first == "0 300000 65536|0 310000 65536|status 0", "\(blocks)")
        #expect(blocks.last?.hasSuffix("status 125") == true && blocks.last?.contains("newuidmap") == true, "\(blocks)")
    }

    @Test(arguments: [false, true])
    func aMalformedCommaBlockIsOneLineNamingTheOption(unprivileged: Bool) throws {
        for (option, value) in [("--map-users", "1,2"), ("--map-groups", "1,2,3,4"), ("--map-users", "1,,3"),
                                ("--map-groups", "a,b,c"), ("--map-users", "1,2:3"), ("--map-users", "1,2,4294967296")] {
            let words = ["run", "\(option)=\(value)", "--", "true"]
            let result = try unprivileged ? NSBox.runUnprivileged(words) : NSBox.run(words)
            #expect(result.status == 125, "\(option)=\(value): \(result.stderr)")
            #expect(result.stderr == "nsbox: \(option) '\(value)': write INSIDE:OUTSIDE:COUNT (or the deprecated OUTSIDE,INSIDE,COUNT), "
                + "each an id from 0 to 4294967295, e.g. 0:100000:65536\n", "\(option)=\(value)")
        }
    }
}

import Foundation
import Glibc
import Testing

/// `nsbox ls` against `lsns` on the same system, root and uid 65534.
@Suite struct NSBoxListTests {
    /// `NS TYPE NPROCS` rows of a listing's lines (the heading dropped).
    func rows(_ output: String) -> Set<String> {
        Set(output.split(separator: "\n").dropFirst().map { $0.split(separator: " ").prefix(3).joined(separator: " ") })
    }

    @Test func listsWhatLsnsListsForASandboxAndItsCounts() throws {
        for prefix in [[], asUnprivileged] {
            let target = try TargetProcess(prefix + ["unshare", "-Urnu", "sleep", "60"], differingIn: ["net", "uts", "user"])
            defer { target.kill() }
            let ours = try runCommand(prefix + [NSBox.path, "ls", "-p", String(target.pid), "-o", "NS,TYPE,NPROCS"])
            // lsns fails now and then when a process of another test vanishes while it reads
            // /proc (status 1, nothing listed): ask it again then.
            var theirs = try runCommand(prefix + ["lsns", "-p", String(target.pid), "-o", "NS,TYPE,NPROCS"])
            for _ in 0..<3 where theirs.status != 0 {
                theirs = try runCommand(prefix + ["lsns", "-p", String(target.pid), "-o", "NS,TYPE,NPROCS"])
            }
            #expect(theirs.status == 0, "lsns: \(theirs.stderr)")
            #expect(ours.status == 0, "\(ours.stderr)")
            // The same namespaces; the host's counts move with other tests, the sandbox's do not.
            let names = { (rows: Set<String>) in Set(rows.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }) }
            #expect(names(rows(ours.stdout)) == names(rows(theirs.stdout)), "\(ours.stdout)\n---\n\(theirs.stdout)")
            for kind in ["net", "uts", "user"] {
                let row = "\(target.namespace(kind)!) \(kind) 1"
                #expect(rows(ours.stdout).contains(row) && rows(theirs.stdout).contains(row), "\(row): \(ours.stdout)")
            }
        }
    }

    @Test func typeFilterJsonAndOwnerTree() throws {
        let target = try TargetProcess(["unshare", "-Urn", "sleep", "60"], differingIn: ["net", "user"])
        defer { target.kill() }
        let user = target.namespace("user")!, net = target.namespace("net")!
        let json = try NSBox.run("ls", "--json", "-t", "net", "-o", "NS,TYPE,NPROCS,PID,ONS")
        #expect(json.status == 0, "\(json.stderr)")
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: [[String: Any]]]
        let entries = try #require(decoded?["namespaces"])
        #expect(entries.allSatisfy { $0["type"] as? String == "net" })
        let ours = try #require(entries.first { ($0["ns"] as? NSNumber)?.uint64Value == net })
        #expect((ours["pid"] as? NSNumber)?.int32Value == target.pid)
        #expect((ours["ons"] as? NSNumber)?.uint64Value == user)
        // The tree puts the sandbox's net namespace under its user namespace.
        let tree = try NSBox.run("ls", "--tree=owner", "-o", "NS,TYPE")
        let lines = tree.stdout.split(separator: "\n").map(String.init)
        let userLine = try #require(lines.firstIndex { $0.contains("─\(user) ") && $0.hasSuffix("user") })
        let netLine = try #require(lines.firstIndex { $0.contains("─\(net) ") && $0.hasSuffix("net") })
        #expect(netLine > userLine)
        #expect(lines[netLine].contains("─\(net)"), "\(lines[netLine])")
        let treeJSON = try NSBox.run("ls", "--json", "--tree=owner", "-o", "NS,TYPE")
        // In JSON the net namespace is among the children of its owner.
        func find(_ inode: UInt64, in objects: [[String: Any]]) -> [String: Any]? {
            for object in objects {
                if (object["ns"] as? NSNumber)?.uint64Value == inode { return object }
                if let found = find(inode, in: object["children"] as? [[String: Any]] ?? []) { return found }
            }
            return nil
        }
        let treeObjects = try JSONSerialization.jsonObject(with: Data(treeJSON.stdout.utf8)) as? [String: [[String: Any]]]
        let owner = find(user, in: treeObjects?["namespaces"] ?? [])
        #expect(find(net, in: owner?["children"] as? [[String: Any]] ?? []) != nil, "\(treeJSON.stdout)")
    }

    @Test func rawEscapesLikeLsnsAndPersistentNamespacesAreListed() throws {
        let target = try TargetProcess(["unshare", "-Urn", "sleep", "60"], differingIn: ["net"])
        defer { target.kill() }
        let ours = try NSBox.run("ls", "-r", "-n", "-p", String(target.pid), "-t", "net", "-o", "NS,COMMAND")
        let theirs = try runCommand(["lsns", "-r", "-n", "-p", String(target.pid), "-t", "net", "-o", "NS,COMMAND"])
        #expect(ours.stdout == theirs.stdout && ours.stdout.contains("sleep\\x2060"), "\(ours.stdout) vs \(theirs.stdout)")
        // A namespace no process is in, bind-mounted on a file: NPROCS 0, the file in NSFS.
        let scratch = ScratchDirectory()
        let file = scratch.path + "/netns"
        FileManager.default.createFile(atPath: file, contents: nil)
        #expect(try NSBox.run("run", "--net=\(file)", "--", "true").status == 0)
        defer { umount2(file, Int32(MNT_DETACH)) }
        let persisted = try #require(inode(file))
        let listing = try NSBox.run("ls", "-t", "net", "-o", "NS,NPROCS,NSFS", "-r")
        // NSFS lists every mount point of the namespace: another suite may make the host's /
        // shared meanwhile, which can add a propagated copy of the same file.
        let row = listing.stdout.split(separator: "\n").first { $0.hasPrefix("\(persisted) ") }.map { $0.split(separator: " ") }
        #expect(row?.count == 3 && row?[1] == "0", "\(listing.stdout)")
        #expect(row.map { $0[2].split(separator: ",").contains(Substring(file)) } == true, "\(listing.stdout)")
    }

    @Test func badInputIsOneLineAndExit125() throws {
        for (arguments, needle) in [
            (["ls", "-t", "netw"], "unknown namespace type 'netw' in --type"),
            (["ls", "-o", "NS,FOO"], "unknown column 'FOO' in --output"),
            (["ls", "--tree=sideways"], "unknown tree 'sideways' in --tree"),
            (["ls", "-p", "999999999"], "999999999"),
        ] {
            let result = try NSBox.run(arguments)
            #expect(result.status == 125, "\(arguments)")
            #expect(result.stderr.hasPrefix("nsbox: ") && result.stderr.contains(needle), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
    }
}

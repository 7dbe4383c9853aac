import Foundation
import Glibc
import Testing

/// `nsbox ls` prints a cell as lsns (libsmartcols) does: a line break inside a command line is
/// `\x0a`, not a new line of the table; only NSFS is a multi-line cell.
@Suite struct NSBoxListEscapingTests {
    @Test func controlCharactersInACommandAreEscapedAsLsnsEscapesThem() throws {
        for prefix in [[], asUnprivileged] {
            // `unshare -ru` execs sh in place: its command line, with a line break and a `\x`, is
            // the target's (a loop of short sleeps, so that killing sh leaves nothing for long).
            let target = try TargetProcess(
                prefix + ["unshare", "-ru", "sh", "-c", "x=1\\x\nwhile :; do sleep 0.2; done"], differingIn: ["uts"],
                ready: { comm($0) == "sh" && hasCommandLine($0) })
            defer { target.kill() }
            let arguments = ["-p", String(target.pid), "-t", "uts", "-o", "TYPE,COMMAND"]
            let ours = try runCommand(prefix + [NSBox.path, "ls"] + arguments)
            let theirs = try runCommand(prefix + ["lsns"] + arguments)
            #expect(ours.status == 0 && theirs.status == 0, "\(ours.stderr) \(theirs.stderr)")
            #expect(ours.stdout.contains("x=1\\x5cx\\x0awhile"), "\(ours.stdout)")
            #expect(ours.stdout == theirs.stdout, "nsbox:\n\(ours.stdout)\nlsns:\n\(theirs.stdout)")
        }
    }
}

/// A listing with no rows prints as lsns master's does (util-linux 2.38 has no --filter):
/// nothing in a table, an array with an empty line in JSON.
@Suite struct NSBoxListEmptyTests {
    @Test func noRowsPrintNoHeadingsAndAnEmptyJSONArray() throws {
        let table = try NSBox.run("ls", "-Q", "NS == 1", "-o", "TYPE")
        #expect(table.status == 0 && table.stdout.isEmpty, "\(table.stdout)")
        let raw = try NSBox.runUnprivileged("ls", "-r", "-Q", "NS == 1")
        #expect(raw.status == 0 && raw.stdout.isEmpty, "\(raw.stdout)")
        let json = try NSBox.run("ls", "-J", "-Q", "NS == 1", "-o", "TYPE")
        #expect(json.stdout == "{\n   \"namespaces\": [\n\n   ]\n}\n", "\(json.stdout)")
    }
}

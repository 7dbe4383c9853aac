import Foundation
import Glibc
import LinuxNamespaces
import Testing

/// `nsbox ls -Q` (lsns master's `--filter`): the engine on its own, then through nsbox against a
/// sandbox whose namespaces stay put, as root and as uid 65534.
@Suite struct NSBoxListFilterTests {
    /// A row: NS a number column, USER and TYPE text, NETNSID empty.
    func keeps(_ expression: String, ns: String = "4026532290", user: String? = "root", type: String = "net") throws -> Bool {
        try ListFilter(parsing: expression).matches { name in
            switch name {
            case "NS": return (.number, ns)
            case "NPROCS": return (.number, "3")
            case "PID": return (.number, nil)
            case "USER": return (.string, user)
            case "TYPE": return (.string, type)
            default: return (.string, nil)
            }
        }
    }

    @Test func everyOperatorAndItsWordSpellingCompareByTheColumnsType() throws {
        for (expression, expected) in [
            ("NS == 4026532290", true), ("NS eq 4026532290", true), ("NS EQ 4026532291", false),
            ("NS != 4026532290", false), ("NS ne 1", true), ("NPROCS < 4", true), ("NPROCS lt 3", false),
            ("NPROCS <= 3", true), ("NPROCS le 2", false), ("NPROCS > 2", true), ("NPROCS gt 3", false),
            ("NPROCS >= 3", true), ("NPROCS GE 4", false), ("USER == \"root\"", true), ("USER == 'root'", true),
            ("USER != \"root\"", false), ("USER < \"s\"", true), ("USER > \"s\"", false),
            ("USER =~ \"^ro+t$\"", true), ("USER =~ \"^x\"", false), ("USER !~ \"^x\"", true), ("USER !~ \"oo\"", false),
            ("NS == 4026532290 && NPROCS == 3", true), ("NS == 4026532290 and NPROCS == 2", false),
            ("NS == 1 || NPROCS == 3", true), ("NS == 1 OR NPROCS == 2", false), ("!(NS == 1)", true),
            // '!' takes the operand after it: (not NS) == 1, false against true.
            ("not NS == 1", false), ("NOT (NPROCS == 3)", false), ("NPROCS", true), ("PID", false), ("!PID", true),
            // A number compared with text is compared as text, and the other way round.
            ("NS == \"4026532290\"", true), ("NS =~ \"^40265\"", true), ("NPROCS == 3.0", true), ("NPROCS > 2.5", true),
            // An empty number column never compares true; an empty text sorts first.
            ("PID == 0", false), ("PID != 0", false), ("NETNSID < \"a\"", true), ("NETNSID == \"\"", false),
            // 1K is 1024; an overflowing plain number reads as 2^64-1, as strtoumax.
            ("NS > 1K && NS < 4G", true), ("NS < 99999999999999999999999", true), ("NPROCS == true", true),
            // libsmartcols: 'and' and 'or' bind equally, from the left.
            ("NPROCS == 3 || NS == 1 && NS == 2", false), ("NS == 1 && NS == 2 || NPROCS == 3", true),
            ("", true), (" USER == \" root \" ", true),
        ] {
            #expect(try keeps(expression) == expected, "\(expression)")
        }
        // A comparison in a number type needs a number: lsns fails the same way.
        #expect(throws: ListFilterError.self) { try keeps("USER == 5") }
    }

    @Test func badExpressionsAreRefusedWithAReason() {
        for (expression, needle) in [
            ("NS ==", "unexpected end"), ("NS == 1 )", "unexpected ')'"), ("(NS == 1", "')' to close"),
            ("USER == \"root", "unterminated string"), ("USER = \"root\"", "unexpected '='"),
            ("USER =~ NS", "quoted regular expression"), ("USER =~ \"(\"", "not a regular expression"),
            ("USER =~ \"a++\"", "repeats a repetition"), ("NS == 1ZiB", "too large"), ("NS @ 1", "unexpected '@'"),
            (String(repeating: "(", count: 300) + "NS", "nest deeper"), (String(repeating: "NS&&", count: 130) + "NS", "more than 256"),
            (String(repeating: " ", count: 1025), "at most 1024"), ("   ", "unexpected end"),
        ] {
            do {
                _ = try ListFilter(parsing: expression)
                Issue.record("\(expression.prefix(40)) was accepted")
            } catch {
                #expect(error.message.contains(needle) && !error.message.contains("\n"), "\(expression.prefix(40)): \(error.message)")
            }
        }
    }

    @Test func descriptionParsesBackToTheSameFilter() throws {
        for expression in ["NS == 1 || USER =~ 'a\"b' && !NPROCS", "(NS gt 5K) or not TYPE ne \"net\"", "NPROCS >= 2.50"] {
            let filter = try ListFilter(parsing: expression)
            #expect(try ListFilter(parsing: filter.description) == filter, "\(filter)")
        }
    }

    @Test func filterKeepsExactlyTheMatchingNamespacesAsRootAndAsNobody() throws {
        for prefix in [[], asUnprivileged] {
            let target = try TargetProcess(prefix + ["unshare", "-Urnu", "sleep", "60"], differingIn: ["net", "uts", "user"])
            defer { target.kill() }
            let net = target.namespace("net")!, uts = target.namespace("uts")!
            func rows(_ expression: String) throws -> [String] {
                let result = try runCommand(prefix + [NSBox.path, "ls", "-r", "-n", "-o", "NS,TYPE,NPROCS", "-Q", expression])
                #expect(result.status == 0, "\(expression): \(result.stderr)")
                return result.stdout.split(separator: "\n").map(String.init)
            }
            #expect(try rows("NS == \(net) && NPROCS == 1") == ["\(net) net 1"])
            #expect(try rows("NS == \(net) && NPROCS > 1").isEmpty, "a filter that must exclude")
            #expect(try Set(rows("(NS == \(net) || NS == \(uts)) and PID == \(target.pid)")) == ["\(net) net 1", "\(uts) uts 1"])
            #expect(try rows("NS eq \(uts) && TYPE =~ \"^u\" && TYPE !~ \"r$\" && NPROCS le 1 && NPROCS ge 1") == ["\(uts) uts 1"])
            #expect(try rows("PID == \(target.pid) && !(TYPE == \"user\") && NS != \(uts) && NS < \(net + 1) && NS >= \(net)") == ["\(net) net 1"])
            // A column only the filter names is read too (COMMAND is not printed).
            #expect(try rows("NS == \(net) && COMMAND == \"sleep 60\"") == ["\(net) net 1"])
            // -Qexpr and --filter=expr are the same option.
            let attached = try runCommand(prefix + [NSBox.path, "ls", "-rn", "-oNS", "-QNS == \(net)"])
            let long = try runCommand(prefix + [NSBox.path, "ls", "-r", "-n", "-o", "NS", "--filter=NS == \(net)"])
            #expect(attached.stdout == "\(net)\n" && long.stdout == attached.stdout, "\(attached.stdout) \(attached.stderr)")
        }
    }

    @Test func badFiltersAreOneLineAndExit125() throws {
        for (expression, needle) in [
            ("NS == ", "invalid --filter 'NS == ': unexpected end"), ("FOO == 1", "unknown column 'FOO' in --filter"),
            ("USER =~ \"[\"", "not a regular expression"), ("USER == 1", "cannot apply --filter"),
        ] {
            let result = try NSBox.run("ls", "-Q", expression)
            #expect(result.status == 125 && result.stdout.isEmpty, "\(expression): \(result.status)")
            #expect(result.stderr.hasPrefix("nsbox: ") && result.stderr.contains(needle), "\(expression): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
    }
}

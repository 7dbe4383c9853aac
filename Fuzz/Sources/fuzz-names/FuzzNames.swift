// fuzz-names: the string parsers of the library that a user of nsbox reaches:
// `NamespaceKind(name:)` (nsbox id/names/rm/ls -t, --join/--ns KIND=..., --KIND=FILE),
// `NamespaceSet(parsing:)`, and the raw values of `SetgroupsPolicy` (--setgroups) and
// `MountPropagation` (--propagation), `IDMapKind`.
//
// Checks: a name is accepted exactly when a byte-level reference accepts it (ASCII letters in
// any case, an optional CLONE_NEW prefix, one of the documented names), and reads as the same
// kind; every kind's procName, rawValue and CLONE_NEW spelling read back as that kind; a
// list parses exactly when every comma-separated part is a name, to the union of those kinds,
// and its description re-parses equal; errors have a non-empty, one-line description.
import FuzzSupport
import Glibc
import LinuxNamespaces

let referenceNames: [String: NamespaceKind] = [
    "cgroup": .cgroup, "ipc": .ipc, "mnt": .mount, "mount": .mount, "ns": .mount, "net": .network,
    "network": .network, "pid": .pid, "time": .time, "user": .user, "uts": .uts,
]

/// The reference reading of a name, on bytes.
func referenceKind<C: Collection>(_ bytes: C) -> NamespaceKind? where C.Element == UInt8 {
    guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
    var lower = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
    if lower.starts(with: Array("clone_new".utf8)) { lower.removeFirst(9) }
    return referenceNames[String(decoding: lower, as: UTF8.self)]
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let bytes = Array(input)
    let text = String(decoding: bytes, as: UTF8.self)
    let validUTF8 = String(validating: bytes, as: UTF8.self) != nil
    precondition(spellingsChecked)

    // One name.
    let kind = NamespaceKind(name: text)
    let reference = validUTF8 ? referenceKind(bytes) : nil
    guard kind == reference else {
        violated("NamespaceKind(name: \(visible(text))) is \(String(describing: kind)), the reference says \(String(describing: reference))", input)
    }

    // A comma-separated list.
    do {
        let set = try NamespaceSet(parsing: text)
        guard validUTF8 else { violated("NamespaceSet(parsing:) accepted bytes that are not UTF-8", input) }
        var expected = NamespaceSet()
        for part in bytes.split(separator: UInt8(ascii: ",")) {
            guard let kind = referenceKind(part) else {
                violated("NamespaceSet(parsing: \(visible(text))) accepted the part \(visible(String(decoding: part, as: UTF8.self)))", input)
            }
            expected.insert(NamespaceSet(kind))
        }
        guard set == expected else { violated("NamespaceSet(parsing: \(visible(text))) is \(set), expected \(expected)", input) }
        guard (try? NamespaceSet(parsing: set.description)) == set else {
            violated("\(set) does not re-parse from its description '\(set.description)'", input)
        }
        guard set.kinds == NamespaceKind.applicationOrder.filter({ set.contains($0) }) else {
            violated("kinds of \(set) are not in application order", input)
        }
        guard NamespaceSet(rawValue: set.rawValue) == set, NamespaceSet(set.kinds) == set else {
            violated("\(set) does not rebuild from its raw value or kinds", input)
        }
    } catch {
        checkOneLine(error.description, "NamespaceSet(parsing:)", input)
        guard error.operation == .parse, !error.detail.isEmpty else { violated("odd error \(error)", input) }
        if validUTF8, bytes.split(separator: UInt8(ascii: ",")).allSatisfy({ referenceKind($0) != nil }) {
            violated("NamespaceSet(parsing: \(visible(text))) refused a list of names: \(error)", input)
        }
    }

    // Raw values: exact spellings only.
    let setgroups = SetgroupsPolicy(rawValue: text)
    guard setgroups == (text == "allow" ? .allow : text == "deny" ? .deny : nil), setgroups == nil || bytes.count <= 5 else {
        violated("SetgroupsPolicy(rawValue: \(visible(text))) is \(String(describing: setgroups))", input)
    }
    let propagation = MountPropagation(rawValue: text)
    guard (propagation != nil) == (validUTF8 && ["private", "slave", "shared", "unchanged"].contains(text)) else {
        violated("MountPropagation(rawValue: \(visible(text))) is \(String(describing: propagation))", input)
    }
    _ = IDMapKind(rawValue: text)
    return 0
}

/// Every kind's own spellings read back as it, once.
let spellingsChecked: Bool = {
    for kind in NamespaceKind.allCases {
        for spelling in [kind.procName, kind.rawValue, kind.procName.uppercased(), "CLONE_NEW" + kind.procName.uppercased(), kind.description] {
            precondition(NamespaceKind(name: spelling) == kind, "\(spelling) does not read as \(kind)")
        }
        precondition(NamespaceKind(cloneFlag: kind.cloneFlag) == kind)
    }
    precondition((try? NamespaceSet(parsing: "")) == NamespaceSet(), "an empty list is the empty set")
    return true
}()

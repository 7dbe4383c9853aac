// fuzz-idmap: the uid_map/gid_map parser (`IDMap(parsing:)`) and the user-typed mapping form
// of `nsbox run --map-users INSIDE:OUTSIDE:COUNT` (`IDMapping(parsing:)` per value, then
// `IDMap(_:)`, as Sources/nsbox/Run.swift does).
//
// Every map the library accepts is checked here independently of its own validation:
// at least one and at most 340 lines, every count > 0, no range past id 4294967294, no two
// lines overlapping inside nor outside, the text shorter than a page. It must render and
// re-parse to an equal map, and equal what a byte-level reference parser reads from the same
// input. Errors must have a non-empty, one-line description.
import FuzzSupport
import Glibc
import LinuxNamespaces

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let bytes = Array(input)
    let text = String(decoding: bytes, as: UTF8.self)

    // 1. The whole input as the text of a uid_map.
    do {
        let map = try IDMap(parsing: text)
        checkInvariants(map, input)
        checkRoundTrip(map, input)
        guard let reference = referenceMap(bytes) else {
            violated("IDMap(parsing:) accepted \(visible(text)) but the byte-level reference parser refuses it", input)
        }
        guard reference == map.mappings else {
            violated("IDMap(parsing:) read \(map.mappings) where the reference reads \(reference)", input)
        }
    } catch {
        checkError(error, input)
    }

    // 2. Each line as the value of one --map-users option, the map built from them.
    var mappings: [IDMapping] = []
    var allParsed = true
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        let value = String(decoding: line, as: UTF8.self)
        do {
            let mapping = try IDMapping(parsing: value)
            guard let reference = referenceMapping(Array(line)) else {
                violated("IDMapping(parsing:) accepted \(visible(value)) but the reference refuses it", input)
            }
            guard reference == mapping else {
                violated("IDMapping(parsing:) read \(mapping) from \(visible(value)), the reference \(reference)", input)
            }
            // Both spellings of the same mapping read back equal.
            for spelling in [mapping.description, "\(mapping.inside):\(mapping.outside):\(mapping.count)"] {
                guard (try? IDMapping(parsing: spelling)) == mapping else {
                    violated("IDMapping \(mapping) does not re-parse from '\(spelling)'", input)
                }
            }
            mappings.append(mapping)
        } catch {
            checkError(error, input)
            if referenceMapping(Array(line)) != nil {
                violated("IDMapping(parsing:) refused \(visible(value)), which the reference reads: \(error)", input)
            }
            allParsed = false
        }
    }
    if allParsed {
        do {
            let map = try IDMap(mappings)
            checkInvariants(map, input)
            checkRoundTrip(map, input)
        } catch {
            checkError(error, input)
            if referenceValid(mappings) {
                violated("IDMap(_:) refused \(mappings), which keeps every rule: \(error)", input)
            }
        }
    }
    return 0
}

/// The kernel's rules (user_namespaces(7), kernel/user_namespace.c map_write), checked here
/// without the library.
func referenceValid(_ lines: [IDMapping]) -> Bool {
    guard !lines.isEmpty, lines.count <= 340 else { return false }
    let limit = UInt64(UInt32.max)
    for (index, line) in lines.enumerated() {
        let inside = UInt64(line.inside), outside = UInt64(line.outside), count = UInt64(line.count)
        guard count > 0, inside + count <= limit, outside + count <= limit else { return false }
        for other in lines[..<index] {
            let otherInside = UInt64(other.inside), otherOutside = UInt64(other.outside)
            let otherCount = UInt64(other.count)
            if inside < otherInside + otherCount && otherInside < inside + count { return false }
            if outside < otherOutside + otherCount && otherOutside < outside + count { return false }
        }
    }
    var size = 0
    for line in lines { size += "\(line.inside) \(line.outside) \(line.count)\n".utf8.count }
    return size < Int(sysconf(Int32(_SC_PAGESIZE)))
}

func checkInvariants(_ map: IDMap, _ input: UnsafeRawBufferPointer) {
    let lines = map.mappings
    guard !lines.isEmpty else { violated("an accepted map has no lines", input) }
    guard lines.count <= 340 else { violated("an accepted map has \(lines.count) lines", input) }
    let limit = UInt64(UInt32.max)
    for (index, line) in lines.enumerated() {
        guard line.count > 0 else { violated("accepted line \(index + 1) '\(line)' has count 0", input) }
        guard UInt64(line.inside) + UInt64(line.count) <= limit, UInt64(line.outside) + UInt64(line.count) <= limit else {
            violated("accepted line \(index + 1) '\(line)' runs past 4294967294", input)
        }
        for (otherIndex, other) in lines.enumerated() where otherIndex != index {
            let a = (UInt64(line.inside), UInt64(line.inside) + UInt64(line.count))
            let b = (UInt64(other.inside), UInt64(other.inside) + UInt64(other.count))
            if a.0 < b.1 && b.0 < a.1 { violated("accepted lines \(index + 1) and \(otherIndex + 1) overlap inside", input) }
            let c = (UInt64(line.outside), UInt64(line.outside) + UInt64(line.count))
            let d = (UInt64(other.outside), UInt64(other.outside) + UInt64(other.count))
            if c.0 < d.1 && d.0 < c.1 { violated("accepted lines \(index + 1) and \(otherIndex + 1) overlap outside", input) }
        }
        // outsideID agrees with the line.
        guard map.outsideID(for: line.inside) == line.outside,
            map.outsideID(for: line.inside + (line.count - 1)) == line.outside + (line.count - 1)
        else { violated("outsideID(for:) disagrees with line \(index + 1) '\(line)'", input) }
    }
    guard map.text.utf8.count < Int(sysconf(Int32(_SC_PAGESIZE))) else {
        violated("an accepted map's text is \(map.text.utf8.count) bytes, not less than a page", input)
    }
}

func checkRoundTrip(_ map: IDMap, _ input: UnsafeRawBufferPointer) {
    let expected = map.mappings.map { "\($0.inside) \($0.outside) \($0.count)\n" }.joined()
    guard map.text == expected, map.description == expected else {
        violated("text \(visible(map.text)) is not the kernel's form \(visible(expected))", input)
    }
    do {
        let again = try IDMap(parsing: map.text)
        guard again == map else { violated("re-parsed \(again.mappings) != \(map.mappings)", input) }
    } catch {
        violated("the rendered map \(visible(map.text)) does not re-parse: \(error)", input)
    }
}

func checkError(_ error: NamespaceError, _ input: UnsafeRawBufferPointer) {
    let line = error.description
    guard !error.detail.isEmpty, !line.isEmpty else { violated("an error without a message: \(error)", input) }
    guard error.operation == .parse || error.operation == .validate else {
        violated("a parse error with operation \(error.operation): \(line)", input)
    }
    checkOneLine(line, "NamespaceError", input)
}

// MARK: Reference parser, on bytes

private func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

/// One mapping: exactly three fields separated by runs of blanks or colons (leading and
/// trailing separators ignored, as the library's split does), each an optional '+' and
/// decimal digits (what Swift's `UInt32(_:)` takes) fitting in 32 bits.
func referenceMapping(_ line: [UInt8]) -> IDMapping? {
    let fields = line.split(whereSeparator: { isBlank($0) || $0 == UInt8(ascii: ":") })
    guard fields.count == 3 else { return nil }
    var numbers: [UInt32] = []
    for field in fields {
        var digits = field[...]
        if digits.first == UInt8(ascii: "+") || digits.first == UInt8(ascii: "-") {
            // Swift's UInt32("-0") is 0; UInt32("-1") is nil.
            let negative = digits.first == UInt8(ascii: "-")
            digits = digits.dropFirst()
            if negative && !(digits.allSatisfy { $0 == UInt8(ascii: "0") }) { return nil }
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            value = value * 10 + UInt64(digit - 0x30)
            if value > UInt64(UInt32.max) { return nil }
        }
        numbers.append(UInt32(value))
    }
    return IDMapping(inside: numbers[0], outside: numbers[1], count: numbers[2])
}

/// A whole map: lines split at '\n', lines of only blanks skipped; nil when a line does not
/// parse or the map breaks a rule.
func referenceMap(_ bytes: [UInt8]) -> [IDMapping]? {
    // Text that is not UTF-8 was decoded with replacement characters; those never parse.
    var lines: [IDMapping] = []
    for line in bytes.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy(isBlank) {
        guard let mapping = referenceMapping(Array(line)) else { return nil }
        lines.append(mapping)
    }
    return referenceValid(lines) ? lines : nil
}

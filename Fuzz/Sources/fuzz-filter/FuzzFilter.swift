// fuzz-filter: `ListFilter(parsing:)`, the `nsbox ls -Q` / `--filter` expressions (lsns'
// scols-filter(5) syntax), and its evaluation on a fixed row.
//
// Checks: nothing longer than 1024 bytes is accepted; every error has a non-empty, one-line
// message; an accepted filter's description parses back to an equal filter with the same
// column names, every one of which is written in the input; evaluating it on the row either
// gives a truth value or a one-line error, the same for the filter and its description;
// `!(E)` is the opposite of E and `(E) && (E)`, `(E) || (E)` are E.
import FuzzSupport
import LinuxNamespaces

/// The row every accepted filter is evaluated on: NS and NPROCS numbers, PID empty, USER and
/// TYPE text, every other name empty text.
func cell(_ name: String) -> (type: ListFilter.ValueType, value: String?) {
    switch name {
    case "NS": return (.number, "4026532290")
    case "NPROCS": return (.number, "3")
    case "PID": return (.number, nil)
    case "USER": return (.string, "root")
    case "TYPE": return (.string, "net")
    case "F": return (.float, "2.5")
    case "B": return (.boolean, "true")
    default: return (.string, nil)
    }
}

/// The truth of `filter` on the row, or the error's message.
func outcome(_ filter: ListFilter, _ input: UnsafeRawBufferPointer) -> Result<Bool, ListFilterError> {
    do { return .success(try filter.matches(cell)) } catch {
        checkOneLine(error.description, "ListFilter.matches", input)
        return .failure(error)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let text = String(decoding: input, as: UTF8.self)
    let filter: ListFilter
    do { filter = try ListFilter(parsing: text) } catch {
        checkOneLine(error.description, "ListFilter(parsing:)", input)
        return 0
    }
    guard text.utf8.count <= 1024 else { violated("an expression of \(text.utf8.count) bytes was accepted", input) }
    for holder in filter.holders where !text.contains(holder) {
        violated("column \(visible(holder)) is not written in \(visible(text))", input)
    }
    // The description adds blanks and parentheses: past 1024 bytes it is refused, rightly.
    guard filter.description.utf8.count <= 1024 else { return 0 }
    let again: ListFilter
    do { again = try ListFilter(parsing: filter.description) } catch where error.message.contains("nest deeper") {
        // Parentheses around every binary operation can nest deeper than the input did.
        return 0
    } catch {
        violated("the description \(visible(filter.description)) of \(visible(text)) does not parse: \(error)", input)
    }
    guard again == filter, Set(again.holders) == Set(filter.holders) else {
        violated("\(visible(text)) re-parses from \(visible(filter.description)) as \(visible(again.description))", input)
    }
    let result = outcome(filter, input)
    guard "\(outcome(again, input))" == "\(result)" else { violated("\(visible(text)) and its description evaluate differently", input) }
    // Compositions only where they stay within the limits of one expression.
    let written = filter.description
    guard !written.isEmpty, written.utf8.count * 2 + 16 <= 1024,
        let negated = try? ListFilter(parsing: "!(\(written))"),
        let both = try? ListFilter(parsing: "(\(written)) && (\(written))"),
        let either = try? ListFilter(parsing: "(\(written)) || (\(written))"),
        case .success(let value) = result
    else { return 0 }
    guard case .success(let opposite) = outcome(negated, input), opposite == !value else {
        violated("!(\(visible(written))) is not the opposite of \(value)", input)
    }
    guard case .success(value) = outcome(both, input), case .success(value) = outcome(either, input) else {
        violated("(E) && (E) or (E) || (E) differ from E = \(value) for \(visible(written))", input)
    }
    return 0
}

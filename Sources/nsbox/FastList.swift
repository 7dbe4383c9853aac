/// `nsbox ls` in lsns' plain spellings, parsed without argument-parser (see `PlainFlags`): the same
/// `List` the full parser makes. Nil for anything else (grouped letters, a flag given twice, a
/// value that looks like an option, a number that does not parse, help): the full parser reads
/// those and makes every error message.
enum FastList {
    static func parse(_ arguments: ArraySlice<String>) -> List? {
        var list = List()
        var type: [String] = []
        var task: Int32?, output: String?, tree: String?, namespace: UInt64?
        var outputAll = false, json = false, raw = false, flat = false, noHeadings = false, noTruncate = false
        func flag(_ value: inout Bool) -> Bool {
            if value { return false }
            value = true
            return true
        }
        var index = arguments.startIndex
        while index < arguments.endIndex {
            var word = arguments[index]
            var value: String?
            // --name=value, for the options that take one.
            if word.hasPrefix("--"), let equals = word.firstIndex(of: "=") {
                value = String(word[word.index(after: equals)...])
                word = String(word[..<equals])
            }
            let takesValue = ["-t", "--type", "-p", "--task", "-o", "--output", "-T", "--tree"].contains(word)
            if takesValue && value == nil {
                index += 1
                guard index < arguments.endIndex, !arguments[index].hasPrefix("-") else { return nil }
                value = arguments[index]
            } else if !takesValue && value != nil {
                return nil
            }
            switch word {
            case "-t", "--type": type.append(value!)
            case "-p", "--task":
                guard task == nil, let pid = Int32(value!) else { return nil }
                task = pid
            case "-o", "--output":
                guard output == nil else { return nil }
                output = value
            case "-T", "--tree":
                guard tree == nil else { return nil }
                tree = value
            case "--output-all": guard flag(&outputAll) else { return nil }
            case "-J", "--json": guard flag(&json) else { return nil }
            case "-r", "--raw": guard flag(&raw) else { return nil }
            case "-l", "--list": guard flag(&flat) else { return nil }
            case "-n", "--noheadings": guard flag(&noHeadings) else { return nil }
            case "-u", "--notruncate": guard flag(&noTruncate) else { return nil }
            default:
                guard !word.hasPrefix("-"), namespace == nil, let inode = UInt64(word) else { return nil }
                namespace = inode
            }
            index += 1
        }
        list.type = type
        list.task = task
        list.output = output
        list.outputAll = outputAll
        list.json = json
        list.raw = raw
        list.list = flat
        list.noheadings = noHeadings
        list.notruncate = noTruncate
        list.tree = tree
        list.namespace = namespace
        return list
    }
}

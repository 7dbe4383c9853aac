/// `nsbox ls` in lsns' plain spellings, parsed without argument-parser (whose reflection costs more than the sandbox set-up): the same
/// `List` the full parser makes. Nil for anything else (grouped letters, a flag given twice, a
/// value that looks like an option, a number that does not parse, help): the full parser reads
/// those and makes every error message. Both read the words `List.normalized` gives.
enum FastList {
    static func parse(_ arguments: ArraySlice<String>) -> List? {
        var list = List()
        var type: [String] = []
        var task: Int32?, output: String?, tree: String?, namespace: UInt64?, filter: String?
        var outputAll = false, json = false, raw = false, flat = false, noHeadings = false, noTruncate = false
        var persistent = false, noWrap = false, listColumns = false
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
            let takesValue = List.valueOptions.contains(word)
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
            case "-Q", "--filter":
                guard filter == nil else { return nil }
                filter = value
            case "-T", "--tree":
                guard tree == nil else { return nil }
                tree = value
            case "--output-all": guard flag(&outputAll) else { return nil }
            case "-J", "--json": guard flag(&json) else { return nil }
            case "-r", "--raw": guard flag(&raw) else { return nil }
            case "-l", "--list": guard flag(&flat) else { return nil }
            case "-n", "--noheadings": guard flag(&noHeadings) else { return nil }
            case "-u", "--notruncate": guard flag(&noTruncate) else { return nil }
            case "-P", "--persistent": guard flag(&persistent) else { return nil }
            case "-W", "--nowrap": guard flag(&noWrap) else { return nil }
            case "-H", "--list-columns": guard flag(&listColumns) else { return nil }
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
        list.filter = filter
        list.persistent = persistent
        list.json = json
        list.raw = raw
        list.list = flat
        list.noheadings = noHeadings
        list.notruncate = noTruncate
        list.nowrap = noWrap
        list.listColumns = listColumns
        list.tree = tree
        list.namespace = namespace
        return list
    }
}

extension List {
    /// The options that take a value (the value may follow as the next word).
    static let valueOptions: Set<String> = ["-t", "--type", "-p", "--task", "-o", "--output", "-Q", "--filter", "-T", "--tree"]

    /// The words of `ls` in the spellings both parsers read, as lsns' getopt takes them: a value
    /// attached to its short option (`-oNS`, `-tnet`) becomes the next word; `-T` and `--tree`
    /// without a value mean `--tree=owner`, `-Tparent` means `--tree=parent`. A bare `-T` followed
    /// by owner, parent or process takes it (lsns would read that word as the namespace argument
    /// and refuse it).
    static func normalized(_ words: ArraySlice<String>) -> [String] {
        var result: [String] = []
        var index = words.startIndex
        let relations = ["owner", "parent", "process"]
        while index < words.endIndex {
            let word = words[index]
            index += 1
            if word == "--" {
                result += [word] + words[index...]
                break
            }
            if word == "-T" || word == "--tree" {
                if index < words.endIndex, relations.contains(words[index]) {
                    result.append("--tree=" + words[index])
                    index += 1
                } else {
                    result.append("--tree=owner")
                }
            } else if word.hasPrefix("-T"), word.count > 2 {
                let value = word.dropFirst(2)
                result.append("--tree=" + (value.hasPrefix("=") ? value.dropFirst() : value))
            } else if !word.hasPrefix("--"), word.count > 2, let letter = ["-o", "-t", "-p", "-Q"].first(where: { word.hasPrefix($0) }) {
                result += [letter, String(word.dropFirst(2))]
            } else {
                result.append(word)
                if valueOptions.contains(word), index < words.endIndex {
                    result.append(words[index])
                    index += 1
                }
            }
        }
        return result
    }
}

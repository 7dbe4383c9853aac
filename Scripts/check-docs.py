#!/usr/bin/env python3
"""Fails when a public symbol of LinuxNamespaces has no doc comment of its own, or when the
README's Library section names an API (`Type`, `Type.member`, `name(label:)`) that is not one.

Reads the symbol graph (`swift package dump-symbol-graph --minimum-access-level public`): a
symbol declared in our sources (it has a location) needs a doc comment written there. One the
compiler made (`hash(into:)`, `hashValue`) has no location and is left alone; one that only
inherits the comment of a protocol requirement (another module's text) counts as missing.
Usage: check-docs.py [--readme README.md] SYMBOLS.json... ; check-docs.py --self-test
"""
import json
import re
import sys

# Names the README uses that are the standard library's or swift-system's, not ours.
NOT_OURS = {"Codable", "String", "FilePath", "FilePath(_:)", "FileDescriptor", "Errno"}
API = re.compile(r"^(?:(?:try|await) )?(?:([A-Za-z_][\w.]*)\.)?([A-Za-z_]\w*)(\((?:[A-Za-z_]\w*:|\.\.\.)*\))?$")


def symbol_names(graphs):
    """(parent path, base name, labels) of every public symbol."""
    names = []
    for graph in graphs:
        for symbol in graph["symbols"]:
            *parents, last = symbol["pathComponents"]
            base, _, rest = last.partition("(")
            names.append((parents, base, re.findall(r"(\w+|_):", rest) if rest else None))
    return names


def unknown_readme_names(readme, graphs):
    """The Library section's API names that no public symbol has."""
    section = re.search(r"^## Library\n(.*?)(?=^## )", open(readme).read(), re.S | re.M)
    names = symbol_names(graphs)
    unknown = []
    for token in sorted(set(re.findall(r"`([^`\n]+)`", section.group(1) if section else ""))):
        match = API.match(token)
        if not match or token in NOT_OURS:
            continue
        owner, base, call = match.groups()
        if call is None and not (base[0].isupper() or owner):
            continue  # a lone lowercase word: a field, a tool, a C call; not checked
        labels = re.findall(r"(\w+|_):", call or "")
        typed = owner if owner and owner[0].isupper() else None
        if call is not None and base[0].isupper():  # `Type(label:)`: an initializer
            typed, base = ".".join(filter(None, [owner, base])), "init"

        def fits(name):
            parents, symbol_base, symbol_labels = name
            if symbol_base != base or (typed and parents[-len(typed.split(".")):] != typed.split(".")):
                return False
            if call is None or "..." in call:
                return call is None or symbol_labels is not None
            # Labels may leave out trailing defaulted ones: a prefix-preserving subsequence.
            rest = iter(symbol_labels or [])
            return symbol_labels is not None and all(label in rest for label in labels)
        if not any(fits(name) for name in names):
            unknown.append(token)
    return unknown


def missing(graph):
    module = graph["module"]["name"]
    found = []
    for symbol in graph["symbols"]:
        if symbol.get("accessLevel") not in ("public", "open") or "location" not in symbol:
            continue
        comment = symbol.get("docComment")
        own = comment and comment.get("module", module) == module and any(l["text"].strip() for l in comment["lines"])
        if not own:
            location = symbol["location"]
            path = location["uri"].split("/Sources/", 1)[-1]
            found.append(f"Sources/{path}:{location['position']['line'] + 1}: {'.'.join(symbol['pathComponents'])}")
    return found


def self_test():
    """The negative control: an undocumented symbol and one with an inherited comment are seen."""
    def symbol(name, comment):
        entry = {"accessLevel": "public", "pathComponents": [name],
                 "location": {"uri": "file:///x/Sources/M/A.swift", "position": {"line": 0}}}
        if comment is not None:
            entry["docComment"] = comment
        return entry
    graph = {"module": {"name": "M"}, "symbols": [
        symbol("bare", None), symbol("inherited", {"module": "Swift", "lines": [{"text": "x"}]}),
        symbol("documented", {"lines": [{"text": "Does a thing."}]}),
        {"accessLevel": "public", "pathComponents": ["hashValue"]},
    ]}
    names = [line.split(": ")[-1] for line in missing(graph)]
    assert names == ["bare", "inherited"], names
    # And a README name that is not a symbol is seen; one whose defaulted labels are left out is not.
    import os, tempfile
    graph["symbols"].append({"accessLevel": "public", "pathComponents": ["Box", "run(entryPoint:input:environment:)"]})
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as readme:
        readme.write("## Library\n`Box.run(entryPoint:input:)` `Box.walk(to:)` `Nowhere` `documented` `Codable` `Box(size:)`\n## Next\n")
    try:
        assert unknown_readme_names(readme.name, [graph]) == ["Box(size:)", "Box.walk(to:)", "Nowhere"], unknown_readme_names(readme.name, [graph])
    finally:
        os.unlink(readme.name)
    print("check-docs: self-test passed")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments == ["--self-test"]:
        self_test()
        sys.exit(0)
    readme = None
    if arguments[:1] == ["--readme"]:
        readme, arguments = arguments[1], arguments[2:]
    graphs = [json.load(open(path)) for path in arguments]
    problems = [line for graph in graphs for line in missing(graph)]
    for line in sorted(problems):
        print(f"{line}: public, without a doc comment")
    print(f"check-docs: {len(problems)} public symbol(s) without a doc comment" if problems
          else "check-docs: every public symbol has a doc comment")
    unknown = unknown_readme_names(readme, graphs) if readme else []
    for token in unknown:
        print(f"{readme}: `{token}` is not a public symbol of the library")
    if readme:
        print(f"check-docs: {len(unknown)} README name(s) not in the library" if unknown
              else "check-docs: every API name in the README's Library section is in the library")
    sys.exit(1 if problems or unknown else 0)

#!/usr/bin/env python3
"""Checks that every ```swift block of the DocC articles is an exact excerpt of an example.

A block matches when its lines, with one common indentation added back, are consecutive lines
of some Examples/Sources/*/main.swift. Run from anywhere: python3 Examples/check-excerpts.py
"""
import glob
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
catalogue = os.path.join(here, "..", "Sources", "LinuxNamespaces", "LinuxNamespaces.docc")
sources = {path: open(path).read().split("\n") for path in glob.glob(os.path.join(here, "Sources", "*", "main.swift"))}


def found(block):
    for lines in sources.values():
        for start, line in enumerate(lines):
            stripped = line.lstrip(" ")
            if stripped != block[0] or not stripped:
                continue
            indent = line[: len(line) - len(stripped)]
            candidate = [(indent + b) if b else "" for b in block]
            if [l.rstrip() for l in lines[start:start + len(block)]] == [c.rstrip() for c in candidate]:
                return True
    return False


failures = 0
for article in sorted(glob.glob(os.path.join(catalogue, "*.md"))):
    text = open(article).read()
    for match in re.finditer(r"^```swift\n(.*?)^```", text, re.S | re.M):
        block = match.group(1).rstrip("\n").split("\n")
        if not found(block):
            failures += 1
            line = text[: match.start()].count("\n") + 1
            print(f"{os.path.basename(article)}:{line}: not an excerpt of any example:\n  {block[0]}")
print(f"{failures} block(s) not found" if failures else "every swift block is an excerpt of an example")
sys.exit(1 if failures else 0)

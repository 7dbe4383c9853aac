#!/usr/bin/env python3
"""symbols.py: the symbol lists of make-order.sh.

  symbols.py functions BINARY ADDRESSES...
      The functions of BINARY that contain the addresses (files of hexadecimal addresses, one
      per line, as steptrace prints them), each once, in the order of the addresses.
  symbols.py data BINARY ORDER -- CMD [ARGS...]
      Runs CMD (BINARY with arguments) under `perf record -e page-faults -d` and appends to the
      file ORDER each data symbol of BINARY that holds a faulting address and is not yet in
      ORDER. Prints how many were added. A fault marks the first touch of a page, so each run
      finds the next variable per page; make-order.sh repeats it until nothing is added.
"""
import bisect
import os
import subprocess
import sys
import tempfile


def symbols(binary, kinds):
    """(address, size, name) of BINARY's symbols whose nm type letter is in KINDS, by address."""
    listing = subprocess.run(["nm", "-n", "-S", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    found = []
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in kinds:
            found.append((int(fields[0], 16), int(fields[1], 16), fields[3]))
    return found


def containing(table, starts, address, exact):
    """The name of the symbol in TABLE that holds ADDRESS (or, if not EXACT, the one before it)."""
    i = bisect.bisect_right(starts, address) - 1
    if i < 0:
        return None
    start, size, name = table[i]
    return name if not exact or address < start + max(size, 1) else None


def functions(binary, address_files):
    table = symbols(binary, "tTwW")
    starts = [s[0] for s in table]
    names, seen = [], set()
    for path in address_files:
        for line in open(path):
            name = containing(table, starts, int(line, 16), exact=False)
            if name and name not in seen:
                seen.add(name)
                names.append(name)
    print("\n".join(names))


def data(binary, order, command):
    table = symbols(binary, "bBdDrRvV")
    starts = [s[0] for s in table]
    with tempfile.TemporaryDirectory() as tmp:
        record = os.path.join(tmp, "perf.data")
        subprocess.run(["perf", "record", "-q", "-o", record, "-e", "page-faults", "-c", "1", "-d", "--"] + command,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        faults = subprocess.run(["perf", "script", "-i", record, "-F", "comm,addr"], capture_output=True, text=True).stdout
    comm = os.path.basename(binary)[:15]
    known = {line.strip() for line in open(order)}
    added = []
    for line in faults.splitlines():
        fields = line.split()
        if len(fields) != 2 or fields[0] != comm:
            continue
        name = containing(table, starts, int(fields[1], 16), exact=True)
        if name and name not in known:
            known.add(name)
            added.append(name)
    with open(order, "a") as out:
        out.writelines(name + "\n" for name in added)
    print(len(added))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "functions":
        functions(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) >= 6 and sys.argv[1] == "data" and sys.argv[4] == "--":
        data(sys.argv[2], sys.argv[3], sys.argv[5:])
    else:
        sys.exit(__doc__)

#!/usr/bin/env python3
"""check-order.py BINARY [ORDER]: exits 1 unless BINARY was linked in the order of ORDER
(default: Layout/nsbox.order next to this script): more than half of the order's first 400
functions must lie in the first tenth of BINARY's .text. (In start-up order: about 260 of 400;
in the linker's own order: about 20.)"""
import os
import re
import subprocess
import sys

if len(sys.argv) not in (2, 3):
    sys.exit(__doc__)
binary = sys.argv[1]
order_file = sys.argv[2] if len(sys.argv) == 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "nsbox.order")
first = [line.strip() for line in open(order_file) if line.strip()][:400]
sections = subprocess.run(["readelf", "-S", "-W", binary], capture_output=True, text=True, check=True).stdout
match = re.search(r"\s\.text\s+PROGBITS\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", sections)
if not match:
    sys.exit(f"check-order.py: {binary} has no .text section")
start, size = int(match.group(1), 16), int(match.group(2), 16)
address = {}
for line in subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    fields = line.split()
    if len(fields) == 3 and fields[1] in "tTwW":
        address.setdefault(fields[2], int(fields[0], 16))
near = sum(1 for name in first if name in address and address[name] - start < size // 10)
print(f"check-order.py: {near} of the first {len(first)} ordered functions in the first tenth of .text")
sys.exit(0 if near * 2 > len(first) else 1)

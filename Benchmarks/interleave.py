#!/usr/bin/env python3
"""interleave.py N CMD...: runs each command (a string, split on spaces) N times, taking turns,
after 20 warm-up rounds, and prints median and p90 wall time and the ratio to the first command.
Taking turns keeps slow drifts of a shared VM out of the ratios (hyperfine runs one command's
rounds in a block). The spawning costs the same for every command."""
import os
import statistics
import sys
import time

n = int(sys.argv[1])
commands = [c.split() for c in sys.argv[2:]]
times = [[] for _ in commands]
with open(os.devnull, "w") as null:
    for i in range(n + 20):
        for k, argv in enumerate(commands):
            start = time.perf_counter_ns()
            pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, null.fileno(), 1)])
            os.waitpid(pid, 0)
            if i >= 20:
                times[k].append((time.perf_counter_ns() - start) / 1e6)
first = statistics.median(times[0])
for argv, t in zip(commands, times):
    t.sort()
    print("%-60s median %.3f ms  p90 %.3f  x first %.2f" % (" ".join(argv)[:60], statistics.median(t), t[int(len(t) * 0.9)], statistics.median(t) / first))

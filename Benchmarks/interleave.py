#!/usr/bin/env python3
"""interleave.py N CMD...: runs each command (a string, split on spaces) N times, taking turns,
after 20 warm-up rounds, and prints median and p90 wall time and the ratio to the first command.
A command may start with NAME=VALUE words: its environment differs in those (an empty VALUE
removes NAME), as with env(1) but without a process in between.
Taking turns keeps slow drifts of a shared VM out of the ratios (hyperfine runs one command's
rounds in a block). The spawning costs the same for every command."""
import os
import statistics
import sys
import time

n = int(sys.argv[1])
commands, environments = [], []
for text in sys.argv[2:]:
    words = text.split()
    environment = dict(os.environ)
    while words and "=" in words[0] and not words[0].startswith("/"):
        name, value = words.pop(0).split("=", 1)
        if value:
            environment[name] = value
        else:
            environment.pop(name, None)
    commands.append(words)
    environments.append(environment)
times = [[] for _ in commands]
with open(os.devnull, "w") as null:
    for i in range(n + 20):
        for k, argv in enumerate(commands):
            start = time.perf_counter_ns()
            pid = os.posix_spawn(argv[0], argv, environments[k], file_actions=[(os.POSIX_SPAWN_DUP2, null.fileno(), 1)])
            os.waitpid(pid, 0)
            if i >= 20:
                times[k].append((time.perf_counter_ns() - start) / 1e6)
first = statistics.median(times[0])
for text, t in zip(sys.argv[2:], times):
    t.sort()
    print("%-80s median %.3f ms  p90 %.3f  x first %.2f" % (" ".join(text.split())[:80], statistics.median(t), t[int(len(t) * 0.9)], statistics.median(t) / first))

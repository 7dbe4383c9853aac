#!/usr/bin/env python3
"""Turns the results of Benchmarks/run.sh (hyperfine JSON, rss.tsv, loops.tsv) into markdown
tables and the issue's targets, met or not. Usage: report.py RESULTS_DIR"""
import json
import os
import re
import statistics
import sys

RES = sys.argv[1] if len(sys.argv) > 1 else "/tmp/nsbench/results"
SCENARIOS = {
    "S0": "S0 start-up (no namespaces)",
    "S1": "S1 user namespace, root mapping, exec true",
    "S2": "S2 user+mount+pid, fresh /proc, exec true",
    "S3": "S3 all kinds (user mount pid net+lo uts ipc cgroup), exec true",
    "S4": "S4 enter every namespace of a running sandbox, exec true",
    "S5": "S5 list namespaces, 200 sandboxes alive",
}
USERS = {"root": "as root", "nobody": "as uid 65534"}
REFERENCES = ("C reference", "C true")
PEERS = ("unshare", "bwrap", "nsenter", "lsns")


def read_tsv(name):
    path = os.path.join(RES, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


rss = {(s, u, n): int(v) for s, u, n, v in read_tsv("rss.tsv") if v.isdigit()}
failures = read_tsv("failures.tsv")
timings = {}  # (scenario, user) -> [(name, median ms, p90 ms)]
for scenario in SCENARIOS:
    for user in USERS:
        path = os.path.join(RES, f"{scenario}-{user}.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            results = json.load(f)["results"]
        timings[(scenario, user)] = [
            (r["command"], statistics.median(r["times"]) * 1e3, percentile(r["times"], 0.9) * 1e3)
            for r in results
        ]


def fmt(value, digits=2):
    return f"{value:.{digits}f}"


out = []
if os.path.exists(os.path.join(RES, "machine.txt")):
    out += ["```", open(os.path.join(RES, "machine.txt")).read().rstrip(), "```", ""]
if os.path.exists(os.path.join(RES, "quiet.txt")):
    out += ["Before each timing (other builds share the machine):", "", "```",
            open(os.path.join(RES, "quiet.txt")).read().rstrip(), "```", ""]

for scenario, title in SCENARIOS.items():
    for user, who in USERS.items():
        rows = timings.get((scenario, user))
        missing = [f for f in failures if f[0] == scenario and f[1] == user]
        if not rows and not missing:
            continue
        out.append(f"### {title}, {who}")
        out.append("")
        rows = rows or []
        medians = {name: median for name, median, _ in rows}
        reference = next((n for n in REFERENCES if n in medians), None)
        peers = [p for p in PEERS if p in medians]
        header = ["contestant", "median ms", "p90 ms"]
        if reference:
            header.append(f"× {reference}")
        header += [f"× {p}" for p in peers]
        header.append("peak RSS KiB")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for name, median, p90 in rows:
            cells = [name, fmt(median), fmt(p90)]
            if reference:
                cells.append(fmt(median / medians[reference]))
            cells += [fmt(median / medians[p]) for p in peers]
            cells.append(str(rss.get((scenario, user, name), "–")))
            out.append("| " + " | ".join(cells) + " |")
        for _, _, name, _ in missing:
            out.append(f"| {name} (failed) | – | – |" + " – |" * (len(header) - 3))
        out.append("")
        for _, _, name, reason in missing:
            out.append(f"*{name}: {reason}*")
            out.append("")

# ---- S6 ------------------------------------------------------------------------------------
loops = {}  # (user, name) -> [(spawns/s, p50 us, p99 us)]
for user, name, wall_us, text in read_tsv("loops.tsv"):
    fields = {k: float(v) for k, v in re.findall(r"(\w+) ([0-9.]+)(?= |$)", text)}
    if "spawns_per_s" in fields:
        rate = fields["spawns_per_s"]
    else:  # nsprobe churn prints no rate: its rounds over the process's wall time
        count = sum(int(n) for n in re.findall(r"outcome [^=]*=(\d+)", text))
        rate = count / (int(wall_us) / 1e6)
    loops.setdefault((user, name), []).append(
        (rate, int(fields.get("p50_us", 0)), int(fields.get("p99_us", 0))))
PAIRS = {
    "library (user+mount+pid)": "C loop (user+mount+pid)",
    "library, init as pid 1 (user+mount+pid)": "C loop (user+mount+pid)",
    "library, 8 busy threads": "C loop, 8 busy threads",
    "library, 2 spawning threads": "C loop, 2 spawning threads",
    "nsprobe churn (user+mount+pid+net+uts+ipc, mixed outcomes)": "C loop (user+mount+pid+net+uts+ipc)",
    "library, Sandbox.run from a TaskGroup, stdout collected (user+mount+pid)": "C loop (user+mount+pid)",
    "library, Sandbox.run one after another, stdout collected (user+mount+pid)": "C loop (user+mount+pid)",
}
loop_summary = {}
for user, who in USERS.items():
    names = [n for (u, n) in loops if u == user]
    if not names:
        continue
    out.append(f"### S6 spawn+wait loop of true, {who} (median of 3 runs)")
    out.append("")
    out.append("| loop | spawns/s | p50 µs | p99 µs | × its C loop |")
    out.append("|---|---|---|---|---|")
    for name in names:
        runs = sorted(loops[(user, name)])
        rate, p50, p99 = runs[len(runs) // 2]
        loop_summary[(user, name)] = rate
        partner = PAIRS.get(name)
        ratio = "–"
        if partner and (user, partner) in loop_summary:
            ratio = fmt(rate / loop_summary[(user, partner)])
        out.append(f"| {name} | {rate:.0f} | {p50} | {p99} | {ratio} |")
    out.append("")
for s, u, n, reason in failures:
    if s == "S6":
        out.append(f"*S6 {USERS[u]}: {n}: {reason}*")
        out.append("")

# ---- interleaved ---------------------------------------------------------------------------
if os.path.exists(os.path.join(RES, "interleaved.txt")):
    out += ["### S1, S2, S4 interleaved (interleave.py: the commands take turns; × the first, the util-linux peer)",
            "", "```", open(os.path.join(RES, "interleaved.txt")).read().rstrip(), "```", ""]

# ---- targets -------------------------------------------------------------------------------
out.append("### Targets")
out.append("")
out.append("| target | where | measured | met |")
out.append("|---|---|---|---|")


def target(name, where, measured, met):
    out.append(f"| {name} | {where} | {measured} | {'met' if met else '**not met**'} |")


for user, who in USERS.items():
    for scenario in ("S1", "S2", "S3"):
        m = {n: v for n, v, _ in timings.get((scenario, user), [])}
        # The like-for-like forms of S2 and S3 too: the command as pid 1, as in the C reference.
        for ours in ("nsbox", "nsbox (static stdlib)", "nsbox (static executable)",
                     "nsbox --as-pid-1 (static executable)"):
            if ours not in m:
                continue
            where = f"{scenario} {who}, {ours}"
            if "C reference" in m:
                r = m[ours] / m["C reference"]
                target("nsbox run ≤ 1.15× C reference", where, f"{fmt(r)}×", r <= 1.15)
            for peer in ("unshare", "bwrap"):
                if peer in m:
                    target(f"nsbox run faster than {peer}", where,
                           f"{fmt(m[ours])} vs {fmt(m[peer])} ms", m[ours] < m[peer])
    m = {n: v for n, v, _ in timings.get(("S4", user), [])}
    for ours in ("nsbox", "nsbox (static stdlib)", "nsbox (static executable)"):
        if ours in m and "nsenter" in m:
            target("nsbox enter ≤ nsenter", f"S4 {who}, {ours}", f"{fmt(m[ours])} vs {fmt(m['nsenter'])} ms",
                   m[ours] <= m["nsenter"])
    m = {n: v for n, v, _ in timings.get(("S5", user), [])}
    for ours in ("nsbox ls", "nsbox ls (static stdlib)", "nsbox ls (static executable)"):
        if ours in m and "lsns" in m:
            target("nsbox ls ≤ lsns", f"S5 {who}, {ours}", f"{fmt(m[ours])} vs {fmt(m['lsns'])} ms",
                   m[ours] <= m["lsns"])
    if "nsbox ls" not in m:
        out.append(f"| nsbox ls ≤ lsns | S5 {who} | nsbox ls missing in this build | not measured |")
    for name in ("library (user+mount+pid)", "library, 8 busy threads", "library, 2 spawning threads"):
        partner = PAIRS[name]
        if (user, name) in loop_summary and (user, partner) in loop_summary:
            r = loop_summary[(user, name)] / loop_summary[(user, partner)]
            target("library ≥ 0.9× C loop", f"S6 {who}, {name}", f"{fmt(r)}×", r >= 0.9)
    for scenario in ("S1", "S2", "S3"):
        for ours in ("nsbox", "nsbox (static stdlib)", "nsbox (static executable)"):
            a, b = rss.get((scenario, user, ours)), rss.get((scenario, user, "unshare"))
            if a and b:
                target("nsbox peak RSS ≤ 1.5× unshare's", f"{scenario} {who}, {ours}",
                       f"{a} vs {b} KiB ({fmt(a / b)}×)", a <= 1.5 * b)
out.append("")
print("\n".join(out))

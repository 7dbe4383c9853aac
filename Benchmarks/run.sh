#!/usr/bin/env bash
# Benchmarks/run.sh: nsbox side by side with unshare(1), nsenter(1), bwrap(1), lsns(8) and a
# C reference that does each scenario's work with raw system calls (Benchmarks/reference.c).
# Run as root from anywhere: `Benchmarks/run.sh`. Results go to $NSBENCH_DIR (default
# /tmp/nsbench/results) and are copied to Benchmarks/results/; the tables are printed.
#
# Scenarios, each as root and as uid 65534 (setpriv):
#   S0 start-up          Swift runtime floor: hello world and `nsbox id`, dynamic vs static
#   S1 user              nsbox run -r | unshare -r | bwrap --unshare-user --uid 0 | C
#   S2 user+mount+pid    ... with a fresh /proc
#   S3 all kinds         user mount pid net(lo up) uts ipc cgroup
#   S4 enter             nsbox enter -t PID -a | nsenter -t PID -a | C (setns)
#   S5 list              nsbox ls --json | lsns -J, with $SANDBOXES sandboxes alive
#   S6 library loop      Sandbox.spawn N times vs the C loop (also with 8 busy threads),
#                        and nsprobe churn vs the C loop with the same kinds
# Peak RSS (/usr/bin/time -f %M, median of $RSS_RUNS runs) per contestant.
#
# Knobs (environment): RUNS (300) WARMUP (20) S5_RUNS (100) RSS_RUNS (20) LOOP_N (500) TASKS_N (1000)
# BUSY_N (200) SANDBOXES (200) NSBENCH_DIR (/tmp/nsbench) NSBENCH_SOURCE (worktree|head).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
export PATH=/opt/swift/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
WORK=${NSBENCH_DIR:-/tmp/nsbench}
BIN=$WORK/bin
RES=$WORK/results
RUNS=${RUNS:-300}
WARMUP=${WARMUP:-20}
S5_RUNS=${S5_RUNS:-100}
RSS_RUNS=${RSS_RUNS:-20}
LOOP_N=${LOOP_N:-500}
TASKS_N=${TASKS_N:-1000}
BUSY_N=${BUSY_N:-200}
SANDBOXES=${SANDBOXES:-200}
ROUNDS=${ROUNDS:-500} # interleaved rounds (interleave.py) per scenario
SOURCE=${NSBENCH_SOURCE:-worktree}
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
HF_EXTRA=""
START=$(date +%s)

log() { printf '== %s [%ss, load %s]\n' "$*" "$(($(date +%s) - START))" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2; }

# Other people build and test on this machine: before each timing, wait (at most QUIET_WAIT
# seconds, QUIET_BUDGET over the whole run) until the CPUs are at least QUIET_IDLE % idle
# over a one-second sample, and note in the results how idle they were.
QUIET_WAIT=${QUIET_WAIT:-20}
QUIET_BUDGET=${QUIET_BUDGET:-60}
QUIET_IDLE=${QUIET_IDLE:-85}
idle_percent() { # one-second sample of /proc/stat: idle+iowait share of all CPU time
    local a b
    a=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    echo "$a $b" | awk '{t = $3 - $1; i = $4 - $2; v = t > 0 ? 100 * i / t : 100; printf "%d", v}'
}
quiet() { # LABEL
    local waited=0 idle
    idle=$(idle_percent)
    while [ "$idle" -lt "$QUIET_IDLE" ] && [ $waited -lt "$QUIET_WAIT" ] && [ "$QUIET_BUDGET" -gt 0 ]; do
        sleep 2
        waited=$((waited + 3))
        QUIET_BUDGET=$((QUIET_BUDGET - 3))
        idle=$(idle_percent)
    done
    local busiest
    busiest=$(ps -eo pcpu=,comm= --sort=-pcpu | head -2 | awk '{s = NR > 1 ? ", " : ""; printf "%s%s %s%%", s, $2, $1}')
    echo "$1: waited ${waited}s, CPUs ${idle}% idle (busiest: $busiest)" >>"$RES/quiet.txt"
}

[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (it also runs every scenario as uid 65534)" >&2; exit 1; }
# Highest CPU priority for everything timed here (inherited by every contestant, as root and as
# uid 65534), so that whatever else runs on the machine takes little from the measurements.
NICE=${NICE:--20}
renice -n "$NICE" -p $$ >/dev/null

# ---- tools ---------------------------------------------------------------------------------
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v bwrap >/dev/null || missing+=(bubblewrap)
[ -x /usr/bin/time ] || missing+=(time)
command -v rsync >/dev/null || missing+=(rsync)
command -v python3 >/dev/null || missing+=(python3)
command -v cc >/dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

rm -rf "$RES" "$BIN"
mkdir -p "$BIN" "$RES"
chmod 755 "$WORK" "$BIN"
chmod 1777 "$RES"

# ---- build ---------------------------------------------------------------------------------
# The working tree is edited concurrently: build from a copy of it (rsync keeps unchanged files,
# so builds stay incremental), or of HEAD when the copy does not compile.
snapshot_worktree() {
    mkdir -p "$WORK/src"
    rsync -a --delete --exclude '/.git' --exclude '/.build*' --exclude '/.swiftpm' \
        --exclude '/Benchmarks/results' "$REPO/" "$WORK/src/"
}
snapshot_head() {
    rm -rf "$WORK/src-head" && mkdir -p "$WORK/src-head"
    git -C "$REPO" archive HEAD | tar -x -C "$WORK/src-head"
    mkdir -p "$WORK/src-head/Benchmarks/Throughput"
    rsync -a --delete --exclude '/.build*' "$REPO/Benchmarks/Throughput/" "$WORK/src-head/Benchmarks/Throughput/"
}
swift_build() { # SRC SCRATCH ARGS...
    local src=$1 scratch=$2
    shift 2
    swift build -c release --package-path "$src" --scratch-path "$scratch" "$@" >>"$RES/build.log" 2>&1
}
build_all() { # SRC
    swift_build "$1" "$REPO/.build-bench" --product nsbox &&
        swift_build "$1" "$REPO/.build-bench" --product nsprobe &&
        swift_build "$1" "$REPO/.build-bench-static" --static-swift-stdlib --product nsbox &&
        swift_build "$1/Benchmarks/Throughput" "$REPO/.build-bench-throughput" --product nsthroughput
}
log "building nsbox (release, dynamic and --static-swift-stdlib), nsprobe, nsthroughput"
SRC=""
if [ "$SOURCE" = worktree ]; then
    # HEAD and the changes as they are when the copy is taken.
    HEAD_AT_COPY=$(git -C "$REPO" rev-parse --short HEAD)
    CHANGED_AT_COPY=$(git -C "$REPO" status --porcelain -- Sources Package.swift | wc -l)
    snapshot_worktree
    if build_all "$WORK/src"; then SRC=$WORK/src; BUILT="working tree of $HEAD_AT_COPY ($CHANGED_AT_COPY changed paths under Sources/ and Package.swift)"; fi
fi
if [ -z "$SRC" ]; then
    log "the working tree does not build ($(grep -m1 'error:' "$RES/build.log" | cut -c1-160)); building HEAD"
    snapshot_head
    build_all "$WORK/src-head" || { tail -30 "$RES/build.log"; exit 1; }
    SRC=$WORK/src-head
    BUILT="HEAD $(git -C "$REPO" rev-parse --short HEAD)"
fi
log "built from $BUILT"
log "building the static executable the README installs (Scripts/build-nsbox.sh)"
if STATIC_EXE_PATH=$("$SRC/Scripts/build-nsbox.sh" --scratch-path "$REPO/.build-bench-staticexe" 2>>"$RES/build.log"); then
    STATIC_EXE=linked
else
    STATIC_EXE="failed: $(grep -m1 -iE 'error' "$RES/build.log" | cut -c1-200)"
fi
log "static-executable: $STATIC_EXE"

install -m 755 "$REPO/.build-bench/release/nsbox" "$BIN/nsbox"
install -m 755 "$REPO/.build-bench/release/nsprobe" "$BIN/nsprobe"
install -m 755 "$REPO/.build-bench-static/release/nsbox" "$BIN/nsbox-static"
install -m 755 "$REPO/.build-bench-throughput/release/nsthroughput" "$BIN/nsthroughput"
if [ "$STATIC_EXE" = linked ]; then install -m 755 "$STATIC_EXE_PATH" "$BIN/nsbox-staticexe"; fi
cc -O2 -Wall -o "$BIN/reference" "$HERE/reference.c" -lpthread
install -m 644 "$HERE/interleave.py" "$BIN/interleave.py"
# The start-up floor: an empty Swift program, dynamic and static.
printf 'print("hello")\n' >"$WORK/hello.swift"
swiftc -O "$WORK/hello.swift" -o "$BIN/hello-dynamic" 2>>"$RES/build.log"
swiftc -O -static-stdlib "$WORK/hello.swift" -o "$BIN/hello-static-stdlib" 2>>"$RES/build.log"
swiftc -O -static-executable "$WORK/hello.swift" -o "$BIN/hello-static-executable" 2>>"$RES/build.log" || true

{
    echo "built: $BUILT"
    echo "static_executable: $STATIC_EXE"
    echo "kernel: $(uname -r)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "swift: $(swift --version 2>&1 | head -1)"
    echo "hyperfine: $(hyperfine --version)"
    echo "bwrap: $(bwrap --version)"
    echo "util-linux: $(unshare --version)"
    echo "cc: $(cc --version | head -1)"
    echo "nice: $(ps -o ni= -p $$ | tr -d ' ')"
    echo "runs: $RUNS warmup $WARMUP s5_runs $S5_RUNS rss_runs $RSS_RUNS loop_n $LOOP_N busy_n $BUSY_N sandboxes $SANDBOXES"
    for b in nsbox nsbox-static nsbox-staticexe; do
        [ -x "$BIN/$b" ] && echo "size $b: $(stat -c %s "$BIN/$b") bytes, $(ldd "$BIN/$b" 2>/dev/null | grep -c '=>') shared libraries"
    done
} >"$RES/machine.txt"
cat "$RES/machine.txt" >&2

# ---- helpers -------------------------------------------------------------------------------
as_user() { # USER CMD...  (USER: root or nobody)
    local who=$1
    shift
    if [ "$who" = nobody ]; then "${NOBODY[@]}" "$@"; else "$@"; fi
}

# bench SCENARIO USER RUNS "NAME|COMMAND"...: checks each contestant once (a failing one is
# recorded and left out), times the rest in one hyperfine invocation, then their peak RSS.
bench() {
    local scenario=$1 who=$2 runs=$3
    shift 3
    quiet "$scenario/$who"
    local args=() entry name cmd out
    for entry in "$@"; do
        name=${entry%%|*}
        cmd=${entry#*|}
        # shellcheck disable=SC2086
        if out=$(as_user "$who" $cmd 2>&1 >/dev/null); then
            args+=(-n "$name" "$cmd")
        else
            printf '%s\t%s\t%s\t%s\n' "$scenario" "$who" "$name" "failed ($?): ${out//$'\n'/ }" >>"$RES/failures.tsv"
            log "$scenario/$who: $name failed: $out"
        fi
    done
    [ ${#args[@]} -gt 0 ] || return 0
    # shellcheck disable=SC2086
    as_user "$who" hyperfine -N --style basic $HF_EXTRA --warmup "$WARMUP" --runs "$runs" \
        --export-json "$RES/$scenario-$who.json" "${args[@]}" >"$RES/$scenario-$who.txt" 2>&1 ||
        { cat "$RES/$scenario-$who.txt" >&2; return 1; }
    local i
    for ((i = 1; i < ${#args[@]}; i += 3)); do
        name=${args[i]}
        cmd=${args[i + 1]}
        local samples=()
        for ((r = 0; r < RSS_RUNS; r++)); do
            rm -f "$RES/rss.tmp"
            # shellcheck disable=SC2086
            as_user "$who" /usr/bin/time -f %M -o "$RES/rss.tmp" $cmd >/dev/null 2>&1 || true
            [ -s "$RES/rss.tmp" ] && samples+=("$(tail -1 "$RES/rss.tmp")")
        done
        rm -f "$RES/rss.tmp"
        [ ${#samples[@]} -gt 0 ] || samples=(0)
        printf '%s\t%s\t%s\t%s\n' "$scenario" "$who" "$name" "$(printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" >>"$RES/rss.tsv"
    done
    log "$scenario/$who done"
}

# The contestants of S1-S3 for one nsbox binary.
nsbox_rows() { # SCENARIO
    local b label
    for b in nsbox nsbox-static nsbox-staticexe; do
        [ -x "$BIN/$b" ] || continue
        case $b in nsbox) label="nsbox" ;; nsbox-static) label="nsbox (static stdlib)" ;; *) label="nsbox (static executable)" ;; esac
        case $1 in
        S1) echo "$label|$BIN/$b run -r true" ;;
        S2) echo "$label|$BIN/$b run -rmpf --mount-proc true" ;;
        S3) echo "$label|$BIN/$b run -rmpfniuC --mount-proc true" ;;
        esac
    done
}

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
trap cleanup EXIT

# Starts `unshare OPTIONS sleep 1000` as USER in the background; TARGET: the pid of sleep.
start_sandbox() { # USER UNSHARE-OPTIONS
    local who=$1 opts=$2 outer inner=""
    # Not through as_user: a function in the background is a subshell, and $! would be its pid.
    if [ "$who" = nobody ]; then
        # shellcheck disable=SC2086
        "${NOBODY[@]}" unshare $opts sleep 1000 >/dev/null 2>&1 &
    else
        # shellcheck disable=SC2086
        unshare $opts sleep 1000 >/dev/null 2>&1 &
    fi
    outer=$!
    PIDS+=("$outer")
    for _ in $(seq 1000); do
        inner=$(awk '{print $1}' "/proc/$outer/task/$outer/children" 2>/dev/null || true)
        if [ -n "$inner" ] && [ "$(cat "/proc/$inner/comm" 2>/dev/null)" = sleep ]; then break; fi
        inner=""
        sleep 0.01
    done
    [ -n "$inner" ] && PIDS+=("$inner")
    TARGET=$inner
}

# interleaved SCENARIO USER CMD...: the same contestants again with interleave.py, taking turns
# command by command (hyperfine times one contestant's runs in a block, so a slow drift of this
# shared VM lands on whoever runs then). The first command is the util-linux peer. S1 and S4
# also run both tools in a UTF-8 locale, as a user's shell has it: util-linux then loads its locale
# (setlocale), nsbox has none to load; everything else here runs with LC_ALL=C.
interleaved() {
    local scenario=$1 who=$2
    shift 2
    quiet "$scenario/$who interleaved"
    {
        echo "$scenario as $who ($ROUNDS rounds):"
        as_user "$who" python3 "$BIN/interleave.py" "$ROUNDS" "$@" 2>&1 || echo "failed"
        echo
    } >>"$RES/interleaved.txt"
}

# ---- S0 start-up ---------------------------------------------------------------------------
for who in root nobody; do
    rows=("C true|/bin/true" "swift hello (dynamic)|$BIN/hello-dynamic" "swift hello (static stdlib)|$BIN/hello-static-stdlib")
    [ -x "$BIN/hello-static-executable" ] && rows+=("swift hello (static executable)|$BIN/hello-static-executable")
    rows+=("nsbox id|$BIN/nsbox id" "nsbox id (static stdlib)|$BIN/nsbox-static id")
    [ -x "$BIN/nsbox-staticexe" ] && rows+=("nsbox id (static executable)|$BIN/nsbox-staticexe id")
    bench S0 "$who" "$RUNS" "${rows[@]}"
done

# ---- S1-S3 create --------------------------------------------------------------------------
# The extra forms run the build the README installs (the static executable) when it linked.
FAST="$BIN/nsbox"; FAST_NAME=""
[ -x "$BIN/nsbox-staticexe" ] && { FAST="$BIN/nsbox-staticexe"; FAST_NAME=" (static executable)"; }
for who in root nobody; do
    mapfile -t rows < <(nsbox_rows S1)
    bench S1 "$who" "$RUNS" "C reference|$BIN/reference s1" "${rows[@]}" \
        "unshare|unshare -r true" "bwrap|bwrap --unshare-user --uid 0 --ro-bind / / true"
    mapfile -t rows < <(nsbox_rows S2)
    bench S2 "$who" "$RUNS" "C reference|$BIN/reference s2" "${rows[@]}" \
        "nsbox --as-pid-1$FAST_NAME|$FAST run -rmpf --mount-proc --as-pid-1 true" \
        "unshare|unshare -Urmpf --mount-proc true" \
        "bwrap|bwrap --unshare-user --unshare-pid --ro-bind / / --proc /proc true"
    mapfile -t rows < <(nsbox_rows S3)
    bench S3 "$who" "$RUNS" "C reference|$BIN/reference s3" "${rows[@]}" \
        "nsbox --as-pid-1$FAST_NAME|$FAST run -rmpfniuC --mount-proc --as-pid-1 true" \
        "nsbox --sandbox -C$FAST_NAME|$FAST run --sandbox -C true" \
        "unshare|unshare -UrmpfniuC --mount-proc true" \
        "bwrap|bwrap --unshare-all --uid 0 --ro-bind / / --proc /proc true"
    interleaved S1 "$who" "$(command -v unshare) -r /bin/true" "$FAST run -r /bin/true" "$BIN/reference s1" \
        "LC_ALL= LANG=C.UTF-8 $(command -v unshare) -r /bin/true" "LC_ALL= LANG=C.UTF-8 $FAST run -r /bin/true"
    interleaved S2 "$who" "$(command -v unshare) -Urmpf --mount-proc /bin/true" "$FAST run -rmpf --mount-proc /bin/true" \
        "$FAST run -rmpf --mount-proc --as-pid-1 /bin/true" "$BIN/reference s2"
done

# ---- S4 enter ------------------------------------------------------------------------------
for who in root nobody; do
    # Every kind new (cgroup and time too): nsenter 2.38 -a also enters kinds that are the same
    # as ours, which uid 65534 may not (EPERM on cgroup, time).
    start_sandbox "$who" "-UrmpfniuCT --mount-proc --kill-child"
    target=$TARGET
    [ -n "$target" ] || { echo "run.sh: S4: the target sandbox did not start" >&2; exit 1; }
    echo "S4 $who target $target" >>"$RES/machine.txt"
    # uid 65534: the target's user namespace denies setgroups (an unprivileged map), and
    # nsenter 2.38 fails on setgroups when it becomes root there: every contestant keeps its
    # credentials instead.
    keep="" ckeep=""
    [ "$who" = nobody ] && keep=" --preserve-credentials" ckeep=" preserve"
    rows=("C reference|$BIN/reference s4 $target$ckeep" "nsbox|$BIN/nsbox enter$keep -t $target -a true"
        "nsbox (static stdlib)|$BIN/nsbox-static enter$keep -t $target -a true")
    [ -x "$BIN/nsbox-staticexe" ] && rows+=("nsbox (static executable)|$BIN/nsbox-staticexe enter$keep -t $target -a true")
    bench S4 "$who" "$RUNS" "${rows[@]}" "nsenter|nsenter$keep -t $target -a true"
    interleaved S4 "$who" "$(command -v nsenter)$keep -t $target -a /bin/true" "$FAST enter$keep -t $target -a /bin/true" \
        "$BIN/reference s4 $target$ckeep" "LC_ALL= LANG=C.UTF-8 $(command -v nsenter)$keep -t $target -a /bin/true" \
        "LC_ALL= LANG=C.UTF-8 $FAST enter$keep -t $target -a /bin/true"
    cleanup
done

# ---- S5 list -------------------------------------------------------------------------------
log "starting $SANDBOXES sandboxes"
for ((i = 0; i < SANDBOXES; i++)); do
    unshare -Urn sleep 1000 >/dev/null 2>&1 &
    PIDS+=("$!")
done
for _ in $(seq 500); do
    [ "$(pgrep -c -x sleep -u 0 || true)" -ge "$SANDBOXES" ] && break
    sleep 0.02
done
if "$BIN/nsbox" ls --json >/dev/null 2>&1; then
    NSBOX_LS=present
else
    NSBOX_LS="missing: $("$BIN/nsbox" ls --json 2>&1 | head -1)"
fi
echo "nsbox_ls: $NSBOX_LS" >>"$RES/machine.txt"
log "nsbox ls: $NSBOX_LS"
for who in root nobody; do
    rows=("lsns|lsns -J" "library listNamespaces() (nsthroughput list 1)|$BIN/nsthroughput list 1")
    if [ "$NSBOX_LS" = present ]; then
        rows+=("nsbox ls|$BIN/nsbox ls --json" "nsbox ls (static stdlib)|$BIN/nsbox-static ls --json")
        [ -x "$BIN/nsbox-staticexe" ] && rows+=("nsbox ls (static executable)|$BIN/nsbox-staticexe ls --json")
        {
            printf 'S5 %s namespaces: lsns %s' "$who" "$(as_user "$who" lsns -J | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["namespaces"]))')"
            printf ', nsbox ls %s\n' "$(as_user "$who" "$BIN/nsbox" ls --json | python3 -c '
import json, sys
text = sys.stdin.read()
try:
    value = json.loads(text)
    if isinstance(value, dict):
        value = next((v for v in value.values() if isinstance(v, list)), [])
    print(len(value))
except ValueError:
    print(sum(1 for line in text.splitlines() if line.strip()), "lines")')"
        } >>"$RES/machine.txt" 2>&1 || true
    fi
    # lsns exits 1 now and then when a process it reads goes away meanwhile: not fatal here.
    HF_EXTRA=--ignore-failure bench S5 "$who" "$S5_RUNS" "${rows[@]}"
done
cleanup

# ---- S6 library throughput -----------------------------------------------------------------
# loop USER NAME COMMAND...: three runs, each a `spawns ... spawns_per_s R p50_us P p99_us Q`
# line (the C loop and nsthroughput) or nsprobe churn's `key value` lines.
loop() {
    local who=$1 name=$2
    shift 2
    local r out begin end
    for r in 1 2 3; do
        begin=$(date +%s%N)
        out=$(as_user "$who" "$@" 2>&1) || { printf 'S6\t%s\t%s\t%s\n' "$who" "$name" "failed: ${out//$'\n'/ }" >>"$RES/failures.tsv"; return 0; }
        end=$(date +%s%N)
        printf '%s\t%s\t%s\t%s\n' "$who" "$name" "$(((end - begin) / 1000))" "${out//$'\n'/ }" >>"$RES/loops.tsv"
    done
}
for who in root nobody; do
    quiet "S6/$who"
    log "S6/$who"
    loop "$who" "C loop (user+mount+pid)" "$BIN/reference" loop "$LOOP_N" Ump
    loop "$who" "library (user+mount+pid)" "$BIN/nsthroughput" loop "$LOOP_N" Ump
    # All at once from a TaskGroup (awaited through pidfd readiness), and the same one by one.
    loop "$who" "library, Sandbox.run from a TaskGroup, stdout collected (user+mount+pid)" "$BIN/nsthroughput" tasks "$TASKS_N" Ump
    loop "$who" "library, Sandbox.run one after another, stdout collected (user+mount+pid)" "$BIN/nsthroughput" tasks "$TASKS_N" Ump sequential
    loop "$who" "library, init as pid 1 (user+mount+pid)" "$BIN/nsthroughput" loop "$LOOP_N" Ump 1 0 init
    loop "$who" "C loop, 8 busy threads" "$BIN/reference" loop "$BUSY_N" Ump 1 8
    loop "$who" "library, 8 busy threads" "$BIN/nsthroughput" loop "$BUSY_N" Ump 1 8
    loop "$who" "C loop, 2 spawning threads" "$BIN/reference" loop "$LOOP_N" Ump 2
    loop "$who" "library, 2 spawning threads" "$BIN/nsthroughput" loop "$LOOP_N" Ump 2
    loop "$who" "C loop (user+mount+pid+net+uts+ipc)" "$BIN/reference" loop "$LOOP_N" Umpnui
    loop "$who" "nsprobe churn (user+mount+pid+net+uts+ipc, mixed outcomes)" "$BIN/nsprobe" churn "$LOOP_N"
done

# ---- report --------------------------------------------------------------------------------
log "report"
python3 "$HERE/report.py" "$RES" | tee "$RES/report.md"
mkdir -p "$HERE/results"
rm -f "$HERE/results/"*
cp "$RES"/*.json "$RES"/*.tsv "$RES/machine.txt" "$RES/quiet.txt" "$RES/interleaved.txt" "$RES/report.md" "$HERE/results/" 2>/dev/null || true
log "done in $(($(date +%s) - START)) s; results in $RES and $HERE/results"

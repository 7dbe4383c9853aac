#!/usr/bin/env bash
# Layout/make-order.sh: remakes Layout/nsbox.order, the link order Scripts/build-nsbox.sh gives
# lld. Run as root after changes to what nsbox does at start-up; takes a few minutes.
#
# 1. Builds nsbox without an order and runs each scenario below under steptrace (one instruction
#    at a time): the functions it executes, in the order first executed, become the start of
#    the file; lld places them first in .text, next to each other.
# 2. Then, until nothing new turns up (at most 8 rounds): relinks with the order so far, runs
#    each scenario under `perf record -e page-faults -d`, and appends the variables on whose
#    pages the faults land (each round finds the first variable touched on each page).
# Names the next build no longer has are ignored by lld, so a stale order costs speed, not
# correctness.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${LAYOUT_DIR:-/tmp/nsbox-layout}
export PATH=$PATH:/usr/sbin:/sbin
export LC_ALL=C
[ "$(id -u)" = 0 ] || { echo "make-order.sh: run as root (perf, and entering a sandbox of root's)" >&2; exit 1; }
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }
rm -rf "$WORK/traces" && mkdir -p "$WORK/traces"
cc -O2 -Wall -o "$WORK/steptrace" "$HERE/steptrace.c"
ORDER=$WORK/nsbox.order
: >"$ORDER"
build() { NSBOX_ORDER_FILE=$ORDER "$ROOT/Scripts/build-nsbox.sh" --scratch-path "$WORK/build" 2>"$WORK/build.log" | tail -1; }
NSBOX=$(build)

# A sandbox with every kind of namespace to enter.
unshare -UrmpfniuCT --mount-proc --kill-child sleep 1000 >/dev/null 2>&1 &
OUTER=$!
trap 'kill -KILL $OUTER 2>/dev/null || true' EXIT
TARGET=""
for _ in $(seq 500); do
    TARGET=$(awk '{print $1}' "/proc/$OUTER/task/$OUTER/children" 2>/dev/null || true)
    [ -n "$TARGET" ] && [ "$(cat "/proc/$TARGET/comm" 2>/dev/null)" = sleep ] && break
    TARGET=""
    sleep 0.01
done
[ -n "$TARGET" ] || { echo "make-order.sh: the sandbox to enter did not start" >&2; exit 1; }

# The forms the benchmarks time, the most common first (its functions come first in the file).
SCENARIOS=(
    "run -r true"
    "run -rmpf --mount-proc true"
    "run -rmpfniuC --mount-proc true"
    "run -rmpfniuC --mount-proc --as-pid-1 true"
    "run --sandbox -C true"
    "enter -t $TARGET -a true"
    "id"
    "ls --json"
)
# The same as an ordinary user (its own paths: maps it may write, no setgroups), where it can.
UNPRIVILEGED=(
    "run -r true"
    "run -rmpf --mount-proc true"
    "run -rmpfniuC --mount-proc true"
)
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
chmod 755 "$WORK" "$WORK/steptrace"
n=0
trace() { # PREFIX-WORDS... -- NSBOX-ARGUMENTS (one string)
    local s=${*: -1}
    n=$((n + 1))
    # shellcheck disable=SC2086
    "${@:1:$#-1}" "$WORK/steptrace" "$NSBOX" $s >"$WORK/traces/$(printf %02d $n)" </dev/null
    echo "make-order.sh: ${*:1:$#-1} nsbox $s: $(wc -l <"$WORK/traces/$(printf %02d $n)") instruction addresses" >&2
}
for s in "${SCENARIOS[@]}"; do trace "$s"; done
for s in "${UNPRIVILEGED[@]}"; do trace "${AS_NOBODY[@]}" "$s"; done
python3 "$HERE/symbols.py" functions "$NSBOX" "$WORK"/traces/* >"$ORDER"
echo "make-order.sh: $(wc -l <"$ORDER") functions" >&2

for round in 1 2 3 4 5 6 7 8; do
    NSBOX=$(build)
    added=0
    for s in "${SCENARIOS[@]}"; do
        # shellcheck disable=SC2086
        added=$((added + $(python3 "$HERE/symbols.py" data "$NSBOX" "$ORDER" -- "$NSBOX" $s </dev/null)))
    done
    echo "make-order.sh: round $round: $added variables added" >&2
    [ "$added" -gt 0 ] || break
done
cp "$ORDER" "$HERE/nsbox.order"
echo "make-order.sh: wrote $HERE/nsbox.order ($(wc -l <"$ORDER") symbols)" >&2

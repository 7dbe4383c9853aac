#!/bin/bash
# Builds the fuzz targets and runs each for SECONDS (default 600), then the nsbox CLI fuzzer
# for SECONDS (half as root, half as uid 65534 when run as root), and prints a summary.
#
#   Fuzz/run.sh [SECONDS]
#
# Environment: TARGETS="fuzz-idmap fuzz-json-oci fuzz-names fuzz-filter cli" picks what runs;
# PARALLEL=2 runs two at a time; SWIFT names the swift driver; CLI_FUZZ_ARGS adds options
# to cli-fuzz.py (e.g. --skip-known, --seed N).
set -u
cd "$(dirname "$0")"
FUZZ_DIR=$(pwd)
SECONDS_EACH=${1:-600}
TARGETS=${TARGETS:-"fuzz-idmap fuzz-json-oci fuzz-names fuzz-filter cli"}
PARALLEL=${PARALLEL:-1}
SWIFT=${SWIFT:-$(command -v swift || echo /opt/swift/usr/bin/swift)}
export SWIFT_BACKTRACE=enable=no   # the Swift crash handler and ASan get in each other's way
LOGS=$FUZZ_DIR/.build/logs
mkdir -p "$LOGS" crashes

# Everything built with -sanitize=fuzzer,address, the library too, so that libFuzzer sees
# coverage inside LinuxNamespaces.
for target in $TARGETS; do
    [ "$target" = cli ] && continue
    "$SWIFT" build -c release -Xswiftc -sanitize=fuzzer,address --product "$target" || exit 1
done

run_target() {
    local target=$1
    mkdir -p ".build/work/$target"
    # The first directory collects new inputs; corpus/$target is only read.
    ".build/release/$target" -max_len=4096 -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
        -artifact_prefix="crashes/$target-" ".build/work/$target" "corpus/$target" > "$LOGS/$target.log" 2>&1
    echo $? > "$LOGS/$target.status"
}

run_cli() {
    # nsbox from the main package, built in its own scratch directory.
    "$SWIFT" build -c release --package-path .. --scratch-path ../.build-fuzz --product nsbox > "$LOGS/cli-build.log" 2>&1 \
        || { echo 1 > "$LOGS/cli.status"; return; }
    python3 cli-fuzz.py --nsbox ../.build-fuzz/release/nsbox --seconds "$SECONDS_EACH" ${CLI_FUZZ_ARGS:-} > "$LOGS/cli.log" 2>&1
    echo $? > "$LOGS/cli.status"
}

running=0
for target in $TARGETS; do
    rm -f "$LOGS/$target.status"
    echo "running $target for $SECONDS_EACH s (log: $LOGS/$target.log)"
    if [ "$target" = cli ]; then run_cli & else run_target "$target" & fi
    running=$((running + 1))
    if [ "$running" -ge "$PARALLEL" ]; then wait -n; running=$((running - 1)); fi
done
wait

echo
echo "summary ($SECONDS_EACH s each):"
failed=0
for target in $TARGETS; do
    status=$(cat "$LOGS/$target.status" 2>/dev/null || echo "?")
    if [ "$target" = cli ]; then
        line=$(grep -E '^cli-fuzz:' "$LOGS/cli.log" | tail -n 2 | tr '\n' ' ')
        echo "  cli: exit $status; $line"
    else
        execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$LOGS/$target.log" | awk '{print $2}')
        crashes=$(grep -c -E '^==[0-9]+== ERROR|Fatal error|deadly signal|SUMMARY: libFuzzer' "$LOGS/$target.log")
        cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$LOGS/$target.log" | tail -n 1)
        echo "  $target: exit $status; executions ${execs:-?}; $cov; crashes $crashes"
    fi
    [ "$status" = 0 ] || failed=1
done
ls crashes/ 2>/dev/null | sed "s/^/  saved in crashes\//"
exit $failed

#!/usr/bin/env bash
# CI: the fuzzers for a short, fixed budget, and every saved crash as a regression test. As root.
#
#   Scripts/ci-fuzz.sh [SECONDS]      (default 30 per fuzzer)
#
# 1. Fuzz/run.sh builds the libFuzzer targets (ASan + libFuzzer, release, in Fuzz/.build) and runs
#    each for SECONDS from its seed corpus; any crash fails.
# 2. Every input in Fuzz/crashes is replayed through its target (names start with the target's:
#    idmap-, json-, oci-, names-, filter-, or run.sh's own <target>-crash-): it must pass now, but for the
#    findings left open on purpose (listed in `open` below, see Fuzz/README.md, Findings).
# 3. The CLI fuzzer runs the debug nsbox for SECONDS (half as root, half as uid 65534), and the
#    saved CLI reproducers (Fuzz/crashes/cli-*.sh) run against it.
# The library-level checks of the fixed OCI findings are in the test suite (FuzzCrashTests).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
export SWIFT_BACKTRACE=enable=no   # the Swift crash handler and ASan get in each other's way
seconds=${1:-30}

TARGETS="fuzz-idmap fuzz-json-oci fuzz-names fuzz-filter" Fuzz/run.sh "$seconds"

# Findings left open on purpose: none now (finding 3's NFC/NFD env names are refused).
open=""
failed=0
for input in Fuzz/crashes/*; do
    case " $open " in *" $(basename "$input") "*) echo "ci-fuzz: $input: an open finding, not replayed"; continue ;; esac
    case "$(basename "$input")" in
        fuzz-idmap-* | idmap-*) target=fuzz-idmap ;;
        fuzz-json-oci-* | json-* | oci-*) target=fuzz-json-oci ;;
        fuzz-names-* | names-*) target=fuzz-names ;;
        fuzz-filter-* | filter-*) target=fuzz-filter ;;
        cli-*.sh) continue ;;
        *) echo "ci-fuzz: $input: no target for this name" >&2; failed=1; continue ;;
    esac
    if "Fuzz/.build/release/$target" "$input" > "Fuzz/.build/logs/replay.log" 2>&1; then
        echo "ci-fuzz: replayed $input through $target: passes"
    else
        echo "ci-fuzz: $input makes $target fail again:" >&2
        tail -n 20 Fuzz/.build/logs/replay.log >&2
        failed=1
    fi
done

swift build --product nsbox
nsbox=$(swift build --product nsbox --show-bin-path)/nsbox
out=$(mktemp -d)
python3 Fuzz/cli-fuzz.py --nsbox "$nsbox" --seconds "$seconds" --out "$out" || failed=1
ls "$out" | sed "s|^|ci-fuzz: CLI failure saved in $out/|"
for reproducer in Fuzz/crashes/cli-*.sh; do
    "$reproducer" "$nsbox" || { echo "ci-fuzz: $reproducer fails again" >&2; failed=1; }
done
exit $failed

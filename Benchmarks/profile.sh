#!/usr/bin/env bash
# Benchmarks/profile.sh: where nsbox's time goes. Run as root after Benchmarks/run.sh (it uses
# the binaries run.sh left in $NSBENCH_DIR/bin). Prints, and writes to
# Benchmarks/results/profile.txt:
#   - shared libraries of each build (ldd) and who needs FoundationEssentials
#   - dynamic loader statistics (LD_DEBUG=statistics)
#   - system calls of `nsbox run -r true` (strace -f -c)
#   - CPU time and page faults (perf stat, 100 runs) of nsbox, the C reference and unshare
#   - where the CPU time goes (perf record of 200 runs; inclusive share of the hot spots)
#   - the library loop's kernel side against the C loop's (fork of a larger address space)
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${NSBENCH_DIR:-/tmp/nsbench}
BIN=$WORK/bin
OUT=$HERE/results/profile.txt
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
[ -x "$BIN/nsbox" ] || { echo "profile.sh: run Benchmarks/run.sh first" >&2; exit 1; }
renice -n "${NICE:--20}" -p $$ >/dev/null
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }
command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; }
mkdir -p "$HERE/results"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$BIN" || exit 1

section() { printf '\n## %s\n\n' "$*"; }

{
    section "Shared libraries"
    for b in nsbox nsbox-static nsbox-staticexe hello-dynamic; do
        [ -x "$b" ] || continue
        if ldd "$b" >/dev/null 2>&1; then
            echo "$b ($(stat -c %s "$b") bytes): $(ldd "$b" | awk '{print $1}' | grep -v '^linux-vdso' | tr '\n' ' ')"
        else
            echo "$b ($(stat -c %s "$b") bytes): static, no shared libraries"
        fi
    done
    echo
    echo "nsbox NEEDED: $(readelf -d nsbox | awk '/NEEDED/ {print $5}' | tr '\n' ' ')"
    echo "FoundationEssentials imported by (in the build's checkouts and Sources):"
    grep -rln --include='*.swift' -E 'import +(FoundationEssentials|Foundation)\b' \
        "$WORK"/src/Sources "$(dirname "$HERE")"/.build-bench/checkouts/*/Sources 2>/dev/null | sed 's/^/  /'

    section "Dynamic loader statistics (LD_DEBUG=statistics; cycles)"
    for b in nsbox nsbox-static hello-dynamic; do
        echo "$b id:"
        arg=id
        [ "$b" = hello-dynamic ] && arg=""
        # shellcheck disable=SC2086
        LD_DEBUG=statistics "./$b" $arg 2>&1 >/dev/null | grep -E 'total startup|time needed for relocation|time needed to load|number of relocations:|relative relocations' | sed 's/^ *[0-9]*:\s*/  /'
    done

    section "System calls of one 'nsbox run -r true' (strace -f -c), per build"
    for b in nsbox nsbox-static nsbox-staticexe; do
        [ -x "$b" ] || continue
        strace -f -c -o "$TMP/strace" "./$b" run -r true
        echo "$b: $(awk '/total/ {print $4 " calls, " $5 " errors"}' "$TMP/strace")"
    done
    echo
    echo "nsbox (dynamic), top 12 by count:"
    strace -f -c -S calls -o "$TMP/strace" ./nsbox run -r true
    sed -n '3,14p' "$TMP/strace"
    echo
    echo "reference s1: $(strace -f -c -o "$TMP/strace" ./reference s1; awk '/total/ {print $4 " calls, " $5 " errors"}' "$TMP/strace")"
    echo "unshare -r true: $(strace -f -c -o "$TMP/strace" unshare -r true; awk '/total/ {print $4 " calls, " $5 " errors"}' "$TMP/strace")"

    section "CPU time and page faults (perf stat -r 100)"
    for c in "./reference s1" "unshare -r true" "./nsbox run -r true" "./nsbox-static run -r true" \
        "./nsbox-staticexe run -r true" "./hello-dynamic" "./hello-static-executable" "./nsbox id" \
        "./nsbox-static id" "./nsbox-staticexe id"; do
        [ -x "${c%% *}" ] || command -v "${c%% *}" >/dev/null || continue
        # shellcheck disable=SC2086
        perf stat -r 100 -e task-clock,page-faults -x, -o "$TMP/stat" $c >/dev/null 2>&1
        printf '%-32s %8s ms CPU %6s page faults\n' "$c" \
            "$(awk -F, '/task-clock/ {printf "%.2f", $1}' "$TMP/stat")" "$(awk -F, '/page-faults/ {print $1}' "$TMP/stat")"
    done

    for b in nsbox-staticexe nsbox; do
        [ -x "$b" ] || continue
        section "Where $b run -r true spends its CPU (perf record, 200 runs; inclusive % of its samples)"
        perf record -q -F 10000 -g -o "$TMP/perf.data" -- sh -c "for i in \$(seq 200); do ./$b run -r true; done" >/dev/null 2>&1
        perf report -i "$TMP/perf.data" --children --comm "$b" --sort sym --stdio 2>/dev/null |
            grep -E '^ +[0-9]' | grep -E 'nsbox_main|parseAsRoot|includesPassthroughArguments|_commandName|checkForCompletionScriptRequest|RunV3run|runToCompletion|SandboxV5spawnyAA0C7ProcessCAA0C7CommandVAA0C5ErrorVYKF$|swift_conformsToProtocolMaybeInstantiateSuperclasses$|swift_getTypeByMangledName$|MirrorV10reflecting|_dl_relocate_object|_dl_lookup_symbol_x|_dl_map_object$|\[k\] exc_page_fault|\[k\] __x64_sys_execve' |
            awk '{printf "  %7s  %s\n", $1, $NF}' | sed 's/\$s14ArgumentParser//; s/\$s5nsbox//; s/\$s15LinuxNamespaces//'
    done

    section "Library loop vs C loop (user+mount+pid), kernel side (perf record; inclusive %)"
    for c in "./reference loop 1000 Ump" "./nsthroughput loop 1000 Ump"; do
        # shellcheck disable=SC2086
        perf record -q -F 10000 -g -o "$TMP/perf.data" -- $c >"$TMP/line" 2>/dev/null
        echo "$c: $(cat "$TMP/line") (under perf)"
        perf report -i "$TMP/perf.data" --children --sort sym --stdio 2>/dev/null | grep -E '\] (dup_mmap|exit_mmap|copy_page_range|exc_page_fault|__do_sys_clone3?|__x64_sys_execve)$' |
            awk '{printf "  %7s  %s\n", $1, $NF}'
    done
    ./nsthroughput loop 3000 Ump >/dev/null &
    p=$!
    sleep 0.5
    echo "VMAs / RSS while looping: nsthroughput $(wc -l <"/proc/$p/maps") / $(awk '/VmRSS/ {print $2}' "/proc/$p/status") KiB"
    wait $p
    ./reference loop 3000 Ump >/dev/null &
    p=$!
    sleep 0.3
    echo "                          reference    $(wc -l <"/proc/$p/maps") / $(awk '/VmRSS/ {print $2}' "/proc/$p/status") KiB"
    wait $p
} 2>&1 | tee "$OUT"

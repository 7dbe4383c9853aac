#!/usr/bin/env bash
# CI: the code that runs in a child after the clone calls no libc function a sanitizer intercepts
# (Sources/CNamespaces/child_calls.h says why), at -O0 and at -O2, where the compiler may turn a
# loop or an initializer into a call to memset or strlen.
#
#   Scripts/check-child-calls.sh        (x86_64; about 10 s)
#
# Each C file is compiled with -fsanitize=thread: a function without TSan's instrumentation is in
# a CN_CHILD_CODE_BEGIN ... END region, and may call only syscall, glibc's __clone,
# __errno_location and functions of ours (cn_*, sys_*). The few functions of those regions that
# run in the caller's own process (before the clone, or in place) are named in `in_caller`.
set -euo pipefail
cd "$(dirname "$0")/.."
clang=${CLANG:-/opt/swift/usr/bin/clang}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
in_caller="cn_spawn clone_child thread_child_stack unmap_child_stack make_stack_key cn_exec_in_place fork_in_place cn_enter_in_place cn_set_up_in_place"

failed=0
for level in -O0 -O2; do
    for source in Sources/CNamespaces/*.c; do
        object="$out/$(basename "$source" .c)$level.o"
        "$clang" "$level" -fsanitize=thread -c -I Sources/CNamespaces/include "$source" -o "$object"
        # longjmp: only the failures of cn_exec_in_place, cn_enter_in_place and cn_set_up_in_place
        # take it, in the caller's own process (Sandbox.apply runs those in a single-threaded one).
        objdump -dr "$object" | awk -v in_caller=" $in_caller " -v where="$source $level" '
            /^[0-9a-f]+ <.*>:$/ { fn = substr($2, 2, length($2) - 3); next }
            / R_X86_64_(PLT32|PC32|GOTPCREL)/ {
                sym = $NF; sub(/-0x[0-9a-f]+$/, "", sym)
                if (sym ~ /^__tsan_/) instrumented[fn] = 1
                else if ($0 ~ /PLT32/) calls[fn] = calls[fn] " " sym
            }
            END {
                bad = 0
                for (fn in calls) {
                    if (fn in instrumented || index(in_caller, " " fn " ")) continue
                    n = split(calls[fn], list, " ")
                    for (i = 1; i <= n; i++) {
                        s = list[i]
                        if (s ~ /^(syscall|__clone|__errno_location|longjmp|cn_.*|sys_.*)$/) continue
                        print where ": " fn " calls " s
                        bad = 1
                    }
                }
                exit bad
            }' || failed=1
    done
done
[ "$failed" = 0 ] && echo "check-child-calls: the child calls the kernel through syscall(2) only"
exit "$failed"

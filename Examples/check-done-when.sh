#!/usr/bin/env bash
# Runs the four programs of issue 17's "done when" as root and as uid 65534 and checks what they
# print, their exit status, and that the host is left as it was:
#   run-with-output   user+pid+mount+net, stdout and stderr as strings, the termination; 1,000
#                     at once from a task group, the peak thread count at most nproc + 8 (the
#                     main thread, Swift's cooperative pool of one thread per core, the library's
#                     epoll thread, Dispatch's few); its --thread-per-wait form (a blocking wait
#                     on a thread each) must pass that bound: the negative control
#   failed-steps      a switch over SandboxError.Step tells five real failures apart
#   apply-in-place    Sandbox.apply() in place, with --pid as pid 2 under an init (exit status
#                     passed out), and refused after an await has started threads
# Usage (as root, from anywhere; CI runs it after building the examples):
#   Examples/check-done-when.sh
set -euo pipefail
cd "$(dirname "$0")"
export PATH="/opt/swift/usr/bin:$PATH"
if [ "$(id -u)" != 0 ]; then
    echo "check-done-when: must run as root (it runs each program again as uid 65534)" >&2
    exit 1
fi

swift build -q
bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/check-done-when.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$bin/run-with-output" "$bin/failed-steps" "$bin/apply-in-place" "$work/"
chmod -R a+rX "$work"
bound=$(( $(nproc) + 8 ))
failures=0

fail() { echo "check-done-when: $label: $*" >&2; failures=$((failures + 1)); }

# run USER PROGRAM [ARG...]: runs it from the copy in $work; output in $work/out, status in $status.
run() {
    local who=$1 program=$2
    shift 2
    label="$program${*:+ $*} as $who"
    local as=()
    # 65534 with a PATH it may search: a runner's PATH naming /root/... makes a missing command
    # EACCES (126, execvp's rule) instead of not found (127).
    [ "$who" = root ] || as=(setpriv --reuid=65534 --regid=65534 --clear-groups env PATH=/usr/local/bin:/usr/bin:/bin)
    status=0
    (cd "$work" && "${as[@]}" "$work/$program" "$@") > "$work/out" 2>&1 || status=$?
    echo "--- $label: exit status $status"
    cat "$work/out"
}

# expect REGEX: some whole line of the output matches (grep -E).
expect() { grep -qxE -- "$1" "$work/out" || fail "no line matching: $1"; }

# status N: the program exited N.
status_is() { [ "$status" = "$1" ] || fail "exit status $status, expected $1"; }

# peak PREFIX: the number after "PREFIX peak threads: " in the output, or -1.
peak() { sed -nE "s/^$1.*; peak threads: ([0-9]+)\$/\\1/p" "$work/out" | tail -1 | grep . || echo -1; }

# The matcher can fail: a line that is not there is missed (its negative control).
label="self-test"
printf 'exited 3\n' > "$work/out"
before=$failures
expect 'exited 4' 2>/dev/null
[ "$failures" = $((before + 1)) ] || { echo "check-done-when: expect missed nothing" >&2; exit 1; }
failures=$before

# The host as Scripts/host-snapshot.sh sees it, without its process lines (those are the test
# suite's, which may be running meanwhile); our own processes are looked for by their path.
host() { ../Scripts/host-snapshot.sh | grep -v '^process: '; }
snapshot_before=$(host)

for who in root nobody; do
    uid=0
    [ "$who" = root ] || uid=65534

    run "$who" run-with-output
    status_is 0
    expect 'exited 3 "0\\n2\\n" "oops\\n"'
    expect 'HELLO'
    expect '\["hello sandbox"\]'
    expect 'standard I/O: standard output: the command wrote more than the limit of 1048576 bytes; .*'
    expect '1000 outputs, 1000 distinct; peak threads: [0-9]+'
    threads=$(peak "1000 outputs")
    if [ "$threads" -lt 1 ] || [ "$threads" -gt "$bound" ]; then fail "peak threads $threads, bound $bound"; fi

    run "$who" run-with-output --thread-per-wait
    status_is 0
    expect 'thread per wait: 1000 ended; peak threads: [0-9]+'
    control=$(peak "thread per wait")
    [ "$control" -gt "$bound" ] || fail "a thread per wait peaked at $control threads, within the bound $bound: the bound shows nothing"
    echo "=== peak threads as $who: $threads with one epoll thread, $control with a thread per wait (bound $bound)"

    run "$who" failed-steps
    status_is 0
    expect 'a missing command: lookup: no-such-command not found \(exit status 127\)'
    expect 'a missing mount source: configuration: fix the field mounts'
    expect 'a hostname without \.uts: configuration: fix the field hostname'
    expect 'a file bound onto a directory: mount: mounts\[0\] on /mnt refused by the kernel: .+'
    expect 'a file that is not a program: execve: /tmp/failed-steps-[0-9]+ cannot be executed \(exit status 126\)'

    run "$who" apply-in-place
    status_is 0
    expect "before: pid [0-9]+, uid $uid, 1 thread"
    expect 'after: pid unchanged, uid 0, hostname in-place'
    expect 'network devices: \["lo"\], /tmp: \[\]'
    expect 'a command spawned now: hostname "in-place\\n"'

    run "$who" apply-in-place --pid
    status_is 3
    expect 'inside: pid 2, uid 0, /proc holds pids \["1", "2"\]'

    run "$who" apply-in-place --after-await
    status_is 125
    expect 'configuration: apply: this process has [0-9]+ threads; .*'
done

# Nothing left: no mount, no named namespace, no file of failed-steps, no process of ours.
label="the host"
snapshot_after=$(host)
[ "$snapshot_before" = "$snapshot_after" ] || { diff <(echo "$snapshot_before") <(echo "$snapshot_after") >&2 || true; fail "changed"; }
if compgen -G "/tmp/failed-steps-*" > /dev/null; then fail "failed-steps left $(echo /tmp/failed-steps-*)"; fi
if pgrep -f "$work/" > /dev/null; then fail "processes left: $(pgrep -a -f "$work/")"; fi

if [ "$failures" != 0 ]; then
    echo "check-done-when: $failures check(s) failed" >&2
    exit 1
fi
echo "check-done-when: the four done-when programs pass as root and as uid 65534"

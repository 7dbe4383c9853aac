#!/bin/bash
# Reproducer (found by cli-fuzz.py): when keeping a namespace on a file fails (--KIND=FILE)
# and the sandbox has a new time namespace, a child process of nsbox is left behind for good:
# reparented to init, asleep in read(2) on the persist pipe. Whoever reads nsbox's stdout or
# stderr to the end (a pipe, subprocess.run with capture_output) hangs with it.
#
#   crashes/cli-time-persist-orphan.sh [path/to/nsbox]     (root or not; exits 1 on the bug)
NSBOX=${1:-$(dirname "$0")/../../.build-fuzz/release/nsbox}
scratch=$(mktemp -d)
# A directory is not a file a namespace can be bind-mounted on: persisting fails (ENOTDIR;
# EPERM for an ordinary user). --net=FILE with -T fails the same way.
# An ordinary user needs a user namespace for the time namespace: -r.
user=$([ "$(id -u)" = 0 ] || echo -r)
"$NSBOX" run $user --time="$scratch" -- true > "$scratch.out" 2>&1 &
wait $!
echo "nsbox exited with $?: $(cat "$scratch.out")"
sleep 0.5
orphans=$(ps -eo pid=,ppid=,args= | awk -v dir="$scratch" '$2 == 1 && index($0, "--time=" dir) {print $1}')
rm -rf "$scratch" "$scratch.out"
if [ -n "$orphans" ]; then
    for pid in $orphans; do
        echo "left behind: pid $pid, $(grep State /proc/$pid/status), waiting in $(cat /proc/$pid/wchan)"
        kill -KILL "$pid"
    done
    exit 1
fi
echo "no process left behind"

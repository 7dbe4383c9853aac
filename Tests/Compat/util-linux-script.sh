#!/bin/sh
# A script as a user of util-linux 2.41+ writes it from the man pages (unshare(1), nsenter(1),
# lsns(8) of util-linux master): every documented option of the three tools at least once, in
# the spellings the man pages show, each step printing what it observed. It runs unchanged
# against util-linux's tools or against nsbox through the three shell functions of issue 18.
#
#   COMPAT_TOOLS=nsbox:/path/to/nsbox   unshare() { nsbox run "$@"; } (and enter, ls)
#   COMPAT_TOOLS=DIR                    DIR/unshare, DIR/nsenter, DIR/lsns (a util-linux build)
#   COMPAT_TOOLS unset                  the unshare, nsenter and lsns on PATH
#   COMPAT_SKIP="pending getino ..."    blocks with one of these tags are not run
#   COMPAT_ONLY=2.38                    only the blocks that Debian's util-linux 2.38 has too
# Usage: util-linux-script.sh SCRATCH   (an empty directory of the caller's; run it in a mount
# namespace of its own: it mounts there, and persists namespaces only below SCRATCH)
#
# Output: "== NAME [TAGS]" opens each block; then "NAME: LINE" for what the commands printed
# and "NAME: exit N" for their status. Scratch paths, pids and inode numbers of the run are
# printed as names ($S, $TARGET, ns:target.net, ...), so two runs compare line by line.
# Tags: 2.38 (Debian's 2.38 does it the same way), master (util-linux master), pending (an
# option another change adds to nsbox now), getino (needs util-linux master's getino), root.
set -u
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

case "${COMPAT_TOOLS:-}" in
"")
    unshare() { command unshare "$@"; }
    nsenter() { command nsenter "$@"; }
    lsns() { command lsns "$@"; }
    ;;
nsbox:*)
    NSBOX=${COMPAT_TOOLS#nsbox:}
    unshare() { "$NSBOX" run "$@"; }
    nsenter() { "$NSBOX" enter "$@"; }
    lsns() { "$NSBOX" ls "$@"; }
    ;;
*)
    unshare() { "$COMPAT_TOOLS/unshare" "$@"; }
    nsenter() { "$COMPAT_TOOLS/nsenter" "$@"; }
    lsns() { "$COMPAT_TOOLS/lsns" "$@"; }
    ;;
esac

# --- probes: run inside the namespaces (sh SELF - probe WHAT ARGS) -------------------------
probe() {
    what=$1
    shift
    case $what in
    kinds) # KIND=INODE...: is each of our namespaces that one ("same") or another ("other")?
        for pair in "$@"; do
            kind=${pair%%=*}
            now=$(stat -L -c %i "/proc/self/ns/$kind")
            [ "$now" = "${pair#*=}" ] && echo "$kind same" || echo "$kind other"
        done ;;
    ids) echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)" ;;
    maps) echo "uid_map: $(tr -s ' \n' ' ' </proc/self/uid_map)"
        echo "gid_map: $(tr -s ' \n' ' ' </proc/self/gid_map)" ;;
    setgroups) echo "setgroups: $(cat /proc/self/setgroups)" ;;
    caps) eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
        [ "$(printf %s "$eff" | tr -d 0)" = "" ] && echo "CapEff none" || echo "CapEff some" ;;
    mount) # MOUNTPOINT: its filesystem type and propagation
        awk -v m="$1" '$5 == m { t = "private"; for (i = 7; $i != "-"; i++) {
            if ($i ~ /^shared:/) t = (t == "slave" ? "shared+slave" : "shared")
            if ($i ~ /^master:/) t = (t == "shared" ? "shared+slave" : "slave") }
            for (j = i; $j != "-"; j++) ; f = $(j + 1); line = f " " t } END { print line }' /proc/self/mountinfo ;;
    prop) # MOUNTPOINT: its propagation only
        probe mount "$1" | sed 's/.* //' ;;
    time) tr -s ' ' </proc/self/timens_offsets ;;
    pidns) echo "pid $$" ;;
    esac
}
if [ "${1:-}" = - ]; then
    case $2 in
    probe) shift 2; probe "$@" ;;
    owned) # SCRATCH NAME: may this user enter NAME-user and NAME-net?
        nsenter --user="$3/$4-user" --net="$3/$4-net" true 2>/dev/null && r=may || r="may not"
        echo "$4: $(id -u) $r enter" ;;
    esac
    exit
fi
S=$(cd "$1" && pwd)
P="sh $SELF - probe"

# --- the run's names for what varies between runs ------------------------------------------
: >"$S/names.sed"
name() { # VALUE NAME: print VALUE as NAME from now on
    [ -n "$1" ] && echo "s|$1|$2|g" >>"$S/names.sed"
}
name "$S" '$S'
ours() { for k in "$@"; do printf '%s=%s ' "$k" "$(stat -L -c %i /proc/self/ns/$k)"; done; }

# --- blocks ---------------------------------------------------------------------------------
BLOCK=""
RUN=0
block() { # NAME TAGS...: open a block; RUN says whether its steps run here
    BLOCK=$1
    shift
    RUN=1
    for tag in "$@"; do
        case " ${COMPAT_SKIP:-} " in *" $tag "*) RUN=0 ;; esac
    done
    if [ "${COMPAT_ONLY:-}" = 2.38 ]; then
        case " $* " in *" 2.38 "*) ;; *) RUN=0 ;; esac
    fi
    [ $RUN = 1 ] || return 0
    echo "== $BLOCK [$*]"
    if [ "$(id -u)" != 0 ] && case " $* " in *" root "*) true ;; *) false ;; esac; then
        echo "$BLOCK: skipped: needs root"
        RUN=0
    fi
}
t() { # COMMAND...: run it, print its output and status under the block's name
    [ $RUN = 1 ] || return 0
    "$@" >"$S/out" 2>>"$S/stderr.log"
    status=$?
    # lsns exits 1 now and then when a process it reads vanishes meanwhile: ask it again.
    for again in 1 2; do
        [ "$1" = lsns ] && [ $status = 1 ] || break
        "$@" >"$S/out" 2>>"$S/stderr.log"
        status=$?
    done
    sed -f "$S/names.sed" "$S/out" | sed "s|^|$BLOCK: |"
    echo "$BLOCK: exit $status"
}
say() { [ $RUN = 1 ] && echo "$BLOCK: $*" | sed -f "$S/names.sed"; }
# The process the shell function started in the background job $1 (the function's own
# shell forks the tool): what a signal for "unshare" must reach.
child_of() { i=0; while [ -z "$(cat /proc/$1/task/$1/children 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
    set -- $(cat /proc/$1/task/$1/children 2>/dev/null); echo "${1:-}"; }
waitfor() { i=0; while [ ! -s "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; }

help_and_version() { # TOOL: -h, --help, -V and --version exit 0 and print something
    [ $RUN = 1 ] || return 0
    for option in -h --help -V --version; do
        out=$("$1" $option 2>/dev/null)
        say "$option: exit $?, $([ -n "$out" ] && echo printed || echo silent)"
    done
}

# === unshare(1) ============================================================================
HERE=$(ours cgroup ipc mnt net pid time user uts)

for spelling in -i --ipc -m --mount -n --net -u --uts -C --cgroup -T --time; do
    block "unshare $spelling" 2.38
    t unshare -r $spelling $P kinds $HERE
done
block "unshare -p/--pid with -f/--fork" 2.38
t unshare -r -p -f $P pidns
t unshare -r --pid --fork $P pidns
t unshare -rpf $P kinds $HERE
block "unshare -U/--user" 2.38
t unshare -U $P ids
t unshare --user $P ids

block "unshare --TYPE=FILE (persistent)" 2.38 root
for kind in ipc net uts cgroup time; do
    [ $RUN = 1 ] || break
    touch "$S/ns-$kind"
    file=$S/ns-$kind
    t unshare "--$kind=$file" true
    say "$kind: $(stat -f -c %T "$file"), $(stat -L -c %i "$file" | grep -qx "$(stat -L -c %i /proc/self/ns/$kind)" && echo ours || echo new)"
    name "$(stat -L -c %i "$file")" "ns:persist.$kind"
done
touch "$S/ns-pid"
t unshare --pid="$S/ns-pid" --fork true
say "pid: $(stat -f -c %T "$S/ns-pid")"
name "$(stat -L -c %i "$S/ns-pid" 2>/dev/null)" "ns:persist.pid"
block "unshare --user=FILE (persistent)" master root
if [ $RUN = 1 ]; then
    touch "$S/ns-user"
    t unshare --user="$S/ns-user" true
    say "user: $(stat -f -c %T "$S/ns-user")"
    name "$(stat -L -c %i "$S/ns-user")" "ns:persist.user"
fi
block "unshare -p FILE without --fork" master root
touch "$S/ns-pid2"
t unshare --pid="$S/ns-pid2" true
say "pid2 is $(stat -f -c %T "$S/ns-pid2" | grep -qx nsfs && echo nsfs || echo "not nsfs")"

block "unshare without -f runs the program in its own process" 2.38
if [ $RUN = 1 ]; then
    unshare -r sh -c 'echo $PPID >"$1/inplace.ppid"' sh "$S" &
    bg=$!
    wait $bg
    say "the program's parent is the caller's shell: $([ "$(cat "$S/inplace.ppid")" = $bg ] && echo yes || echo no)"
    unshare -r --fork sh -c 'echo $PPID >"$1/forked.ppid"' sh "$S" &
    bg=$!
    wait $bg
    say "with --fork: the program's parent is the caller's shell: $([ "$(cat "$S/forked.ppid")" = $bg ] && echo yes || echo no)"
fi

block "unshare --forward-signals" master
if [ $RUN = 1 ]; then
    rm -f "$S/fs.ready"
    unshare -r --forward-signals sh -c 'trap "echo got TERM; exit 3" TERM; echo >"$1/fs.ready"; while :; do sleep 0.05; done' sh "$S" >"$S/fs.out" &
    bg=$!
    waitfor "$S/fs.ready"
    kill -TERM "$(child_of $bg)"
    wait $bg
    say "status $?"
    say "$(cat "$S/fs.out")"
fi

block "unshare -f ignores SIGTERM without --forward-signals" 2.38
if [ $RUN = 1 ]; then
    rm -f "$S/ig.ready"
    unshare -r -f sh -c 'trap "exit 4" USR1; echo $$ >"$1/ig.ready"; while :; do sleep 0.05; done' sh "$S" &
    bg=$!
    waitfor "$S/ig.ready"
    kill -TERM "$(child_of $bg)"
    sleep 0.3
    say "alive after TERM: $(kill -0 "$(child_of $bg)" 2>/dev/null && echo yes || echo no)"
    kill -USR1 "$(cat "$S/ig.ready")"
    wait $bg
    say "status $?"
fi

for spelling in --kill-child --kill-child=SIGTERM --kill-child=TERM; do
    block "unshare $spelling" 2.38
    [ $RUN = 1 ] || continue
    rm -f "$S/kc.pid" "$S/kc.term"
    unshare -r $spelling sh -c 'trap "echo TERM >\"$1/kc.term\"; exit" TERM; echo $$ >"$1/kc.pid"; while :; do sleep 0.05; done' sh "$S" &
    bg=$!
    waitfor "$S/kc.pid"
    kill -KILL "$(child_of $bg)"
    wait $bg 2>/dev/null
    i=0
    while kill -0 "$(cat "$S/kc.pid")" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    say "program gone: $(kill -0 "$(cat "$S/kc.pid")" 2>/dev/null && echo no || echo yes), trap ran: $([ -s "$S/kc.term" ] && echo yes || echo no)"
done

block "unshare --keep-caps" 2.38
t unshare -U $P caps
t unshare -U --keep-caps $P caps

block "unshare --mount-proc" 2.38
t unshare -rpf --mount-proc $P mount /proc
t unshare -rpf --mount-proc sh -c 'echo "pid $$, /proc/$$ is ours: $([ -d /proc/$$ ] && echo yes)"'
mkdir -p "$S/proc"
block "unshare --mount-proc=DIR" 2.38
t unshare -rpf --mount-proc="$S/proc" $P mount "$S/proc"

block "unshare --map-user/--map-group" 2.38
t unshare --map-user=0 --map-group=0 $P ids
t unshare --map-user 1000 --map-group 1000 $P maps
block "unshare --map-user NAME" master
t unshare --map-user nobody --map-group nogroup $P maps
block "unshare --map-users/--map-groups (root)" master root
t unshare --map-users=0:100000:65536 --map-groups=0:100000:65536 $P maps
t unshare --map-users 0:100000:10 --map-users 100:200000:10 --map-groups 0:100000:10 $P maps
block "unshare --map-user with an overlapping --map-users (the hole)" master root
t unshare --map-user=0 --map-users=0:100000:65536 --map-group=0 --map-groups=0:100000:65536 $P maps
block "unshare --map-users OUTER,INNER,COUNT (deprecated form)" 2.38 root
t unshare --map-users=100000,0,65536 --map-groups=100000,0,65536 $P maps
block "unshare --map-users=auto/--map-groups=auto/--map-auto" 2.38
t unshare --map-users=auto --map-groups=auto $P maps
t unshare --map-auto $P maps
block "unshare --map-subids, --map-users/--map-groups subids or all" pending
t unshare --map-subids $P maps
t unshare --map-users=subids --map-groups=subids $P maps
t unshare --map-users=all --map-groups=all $P maps
t unshare --map-users all --map-groups all $P maps
block "unshare -r/--map-root-user" 2.38
t unshare -r $P ids
t unshare --map-root-user $P maps
t unshare --map-root-user $P setgroups
block "unshare -c/--map-current-user" 2.38
t unshare -c $P ids
t unshare --map-current-user $P setgroups

block "unshare --owner UID:GID" pending root
if [ $RUN = 1 ]; then
    touch "$S/owned-user" "$S/owned-net"
    t unshare --owner 65534:65534 -r --user="$S/owned-user" --net="$S/owned-net" true
    touch "$S/plain-user" "$S/plain-net"
    t unshare -r --user="$S/plain-user" --net="$S/plain-net" true
    t setpriv --reuid=65534 --regid=65534 --clear-groups sh "$SELF" - owned "$S" owned
    t setpriv --reuid=65534 --regid=65534 --clear-groups sh "$SELF" - owned "$S" plain
fi

block "unshare --propagation" 2.38 root
if [ $RUN = 1 ]; then
    mkdir -p "$S/shared"
    mount -t tmpfs tmpfs "$S/shared" && mount --make-shared "$S/shared"
    for value in private shared slave unchanged; do
        t unshare -m --propagation $value $P prop "$S/shared"
    done
    t unshare --mount --propagation=slave $P prop "$S/shared"
    t unshare -m $P prop "$S/shared"
fi

block "unshare --setgroups" 2.38
t unshare -U --setgroups deny $P setgroups
t unshare -U --setgroups=allow $P setgroups
t unshare --map-user=0 --setgroups allow $P setgroups
block "unshare -r --setgroups allow is refused" 2.38
if [ $RUN = 1 ]; then
    unshare -r --setgroups allow true 2>/dev/null && say accepted || say refused
fi

block "unshare -R/--root and -w/--wd" 2.38
t unshare -r -R /usr /bin/sh -c '[ -d /share ] && [ ! -d /usr ] && echo "root is /usr"; pwd'
t unshare -r --root=/usr --wd=/share /bin/sh -c 'pwd'
t unshare -r -w /tmp sh -c 'pwd'
t unshare -r -R/usr -w/share /bin/sh -c 'pwd'

block "unshare -S/--setuid and -G/--setgid" 2.38
t unshare -r --setuid 0 --setgid=0 $P ids
t unshare -r -S0 -G0 $P ids
block "unshare -S/-G with --map-users" master
t unshare --map-users=0:0:1 --map-groups=0:0:1 -U -S 0 -G 0 $P ids
block "unshare -S/-G to another user (root)" 2.38 root
t unshare -S 65534 -G 65534 $P ids
t unshare --setuid=65534 --setgid 65534 -m $P ids

block "unshare --monotonic/--boottime" 2.38
t unshare -rT --monotonic 100 --boottime 200 $P time
t unshare -r --time --monotonic=-100 --boottime=-200 $P time
block "unshare --monotonic -100 (a negative offset as its own word)" 2.38
t unshare -rT --monotonic -100 --boottime -200 $P time

block "unshare --clear-env" master
clear_env() { (export FOO=1; unshare -r --clear-env /usr/bin/env); }
t clear_env
block "unshare --whitelist-env" master
whitelist_env() { (export FOO=1 BAR=2 BAZ=3; unshare -r --whitelist-env FOO,BAZ /usr/bin/env | sort); }
whitelist_env_is() { (export FOO=1 BAR=2; unshare -r --whitelist-env=BAR /usr/bin/env); }
t whitelist_env
t whitelist_env_is

block "unshare runs SHELL without a program" 2.38
printf '#!/bin/sh\necho "SHELL ran with $# arguments"\n' >"$S/shell"
chmod 755 "$S/shell"
shell_run() { (export SHELL="$S/shell"; unshare -r); }
t shell_run
block "unshare -h/--help and -V/--version" 2.38
help_and_version unshare

block "unshare --mount-binfmt" pending
t unshare -rm --mount-binfmt $P mount /proc/sys/fs/binfmt_misc
mkdir -p "$S/binfmt"
t unshare -rm --mount-binfmt="$S/binfmt" $P mount "$S/binfmt"
block "unshare -l/--load-interp" pending
t unshare -r --load-interp ':compat:E::cmpt::/bin/true:' sh -c 'tr -s "\n" " " </proc/sys/fs/binfmt_misc/compat; echo'
t unshare -r -l ':compat2:E::cmpt2::/bin/true:' sh -c 'head -1 /proc/sys/fs/binfmt_misc/compat2'

# === nsenter(1) ============================================================================
# The target: in namespaces of its own, its hostname, a tmpfs in its mount namespace, a cwd,
# a variable in its environment and a socket on fd 7.
mkdir -p "$S/tcwd" "$S/tmnt"
rm -f "$S/target.pid"
TARGETVAR=from-target unshare -r -imnuCT --propagation private sh -c '
    hostname compat-target
    mount -t tmpfs tmpfs "$1/tmnt" && echo in-target >"$1/tmnt/file"
    cd "$1/tcwd"
    echo $$ >"$1/target.pid"
    exec /usr/bin/python3 -c "import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); os.dup2(s.fileno(), 7)
time.sleep(1000)"' sh "$S" 2>>"$S/stderr.log" &
TARGET_BG=$!
waitfor "$S/target.pid"
T=$(cat "$S/target.pid")
sleep 0.2
name "$T" '$TARGET'
[ "$(awk '{print $4}' /proc/$T/stat)" = "$TARGET_BG" ] && name "$TARGET_BG" '$TARGET_BG'
for k in cgroup ipc mnt net pid time user uts; do
    name "$(stat -L -c %i /proc/$T/ns/$k)" "ns:target.$k"
    name "$(stat -L -c %i /proc/self/ns/$k)" "ns:ours.$k"
done
THERE=$(for k in cgroup ipc mnt net time user uts; do printf '%s=%s ' $k "$(stat -L -c %i /proc/$T/ns/$k)"; done)

# nsenter -U sets uid and gid 0 and drops supplementary groups with setgroups(2), which a
# namespace made with -r refuses (setgroups deny): as 65534 it fails unless
# --preserve-credentials says to keep the credentials, so a user other than root says so.
CRED=""
[ "$(id -u)" = 0 ] || CRED=--preserve-credentials
block "nsenter -U into a setgroups-deny namespace" 2.38
t nsenter -t "$T" -U true
t nsenter -t "$T" -U --preserve-credentials true
block "nsenter -a/--all" 2.38
t nsenter $CRED -t "$T" -a $P kinds $THERE
t nsenter $CRED --target "$T" --all hostname
t nsenter $CRED --target="$T" --all cat "$S/tmnt/file"
t nsenter $CRED -t$T -a pwd
block "nsenter --all --TYPE=FILE overrides" 2.38
t nsenter $CRED -t "$T" --all --uts=/proc/self/ns/uts $P kinds $THERE

for spelling in -m --mount -u --uts -i --ipc -n --net -C --cgroup -T --time; do
    block "nsenter -U $spelling" 2.38
    t nsenter $CRED -t "$T" -U $spelling $P kinds $THERE
done
block "nsenter -U/--user" 2.38
t nsenter $CRED -t "$T" -U $P ids
t nsenter $CRED -t "$T" --user $P kinds user=$(stat -L -c %i /proc/$T/ns/user)
block "nsenter --TYPE=FILE and -TFILE" 2.38
t nsenter $CRED --user=/proc/$T/ns/user --uts=/proc/$T/ns/uts hostname
t nsenter $CRED -U/proc/$T/ns/user -n/proc/$T/ns/net $P kinds $THERE
t nsenter $CRED --user=/proc/$T/ns/user --mount=/proc/$T/ns/mnt cat "$S/tmnt/file"
t nsenter $CRED -U/proc/$T/ns/user -i/proc/$T/ns/ipc -C/proc/$T/ns/cgroup -T/proc/$T/ns/time $P kinds $THERE
block "nsenter -p/--pid" 2.38
t nsenter $CRED -t "$T" -U -p $P kinds $(ours pid)
t nsenter $CRED -t "$T" -U --pid sh -c 'readlink /proc/self/ns/pid' 
t nsenter $CRED -t "$T" -U --pid=/proc/$T/ns/pid_for_children true
block "nsenter -F/--no-fork" 2.38
t nsenter $CRED -t "$T" -U -p -F sh -c 'stat -L -c %i /proc/self/ns/pid'
t nsenter $CRED -t "$T" -U -p --no-fork sh -c 'stat -L -c %i /proc/self/ns/pid_for_children'
t nsenter $CRED -t "$T" -U -p sh -c 'stat -L -c %i /proc/self/ns/pid'
block "nsenter -t PID:INODE" getino master
if [ $RUN = 1 ]; then
    ino=$(${GETINO:-getino} "$T")
    t nsenter $CRED -t "$T:$ino" -U -u hostname
    t nsenter $CRED --target="$T:$((ino + 1))" -U -u hostname
fi
block "nsenter -N/--net-socket" master
t nsenter $CRED -t "$T" -U -N 7 $P kinds $THERE
t nsenter $CRED -t "$T" --user --net-socket=7 $P kinds $THERE
t nsenter $CRED -t "$T" -U -N7 $P kinds $THERE
block "nsenter --user-parent" master
t nsenter $CRED -t "$T" --user-parent -U $P kinds $HERE
t nsenter $CRED -t "$T" -U --user-parent -u hostname
block "nsenter -S/--setuid, -G/--setgid, follow" 2.38
t nsenter $CRED -t "$T" -U -S 0 -G 0 $P ids
t nsenter $CRED -t "$T" --user --setuid=0 --setgid=0 $P ids
t nsenter $CRED -t "$T" -U -S0 -G0 $P ids
block "nsenter -S follow/-G follow" master
t nsenter $CRED -t "$T" -U -S follow -G follow $P ids
t nsenter $CRED -t "$T" -U --setuid=follow --setgid=follow $P ids
block "nsenter --preserve-credentials" 2.38
t nsenter $CRED -t "$T" -U --preserve-credentials $P ids
block "nsenter --keep-caps" master root
if [ $RUN = 1 ]; then
    rm -f "$S/kt.pid"
    unshare --map-users=0:0:2000 --map-groups=0:0:2000 -U sh -c 'echo $$ >"$1/kt.pid"; exec sleep 1000' sh "$S" &
    KT_BG=$!
    waitfor "$S/kt.pid"
    t nsenter $CRED -t "$(cat "$S/kt.pid")" -U -S 1000 -G 1000 $P caps
    t nsenter $CRED -t "$(cat "$S/kt.pid")" -U -S 1000 -G 1000 --keep-caps $P caps
    kill "$(cat "$S/kt.pid")" $KT_BG 2>/dev/null
fi
block "nsenter -r/--root, -w/--wd, -W/--wdns" 2.38
t nsenter $CRED -t "$T" -U -m -w pwd
t nsenter $CRED -t "$T" -U -m --wd=/tmp pwd
t nsenter $CRED -t "$T" -U -m -w/proc pwd
t nsenter $CRED -t "$T" -U -m -r pwd
t nsenter $CRED -t "$T" -U -m --root=/usr /bin/sh -c 'pwd; [ -d /share ] && echo "root is /usr"'
block "nsenter -W/--wdns" master
t nsenter $CRED -t "$T" -U -m -W "$S/tmnt" cat file
t nsenter $CRED -t "$T" -U -m --wdns="$S/tmnt" pwd
t nsenter $CRED -t "$T" -U -m -r/usr -W/share pwd
block "nsenter -e/--env" master
t nsenter $CRED -t "$T" -U -e sh -c 'echo "TARGETVAR=${TARGETVAR:-unset}"'
t nsenter $CRED -t "$T" -U --env sh -c 'echo "TARGETVAR=${TARGETVAR:-unset}"'
t nsenter $CRED -t "$T" -U sh -c 'echo "TARGETVAR=${TARGETVAR:-unset}"'
block "nsenter -c/--join-cgroup" master root
t nsenter $CRED -t "$T" -c sh -c 'cat /proc/self/cgroup | sed "s|.*:||" | grep -qx "$(sed "s|.*:||" /proc/$1/cgroup)" && echo "cgroup of target"' sh "$T"
t nsenter $CRED -t "$T" --join-cgroup -U true
block "nsenter -h/--help, -V/--version" 2.38
help_and_version nsenter

# === lsns(8) ===============================================================================
# Only what this run made: the target's namespaces, picked with -p, -t, -Q and NS arguments.
UTS=$(stat -L -c %i /proc/$T/ns/uts)
NET=$(stat -L -c %i /proc/$T/ns/net)
block "lsns -p/--task, -t/--type, -o/--output" 2.38
t lsns -p "$T" -t uts -o NS,TYPE,NPROCS,PID,COMMAND
t lsns --task="$T" --type=uts --type=ipc --output=TYPE,NPROCS
t lsns -p "$T" -t net -t user -o TYPE,UID,USER
block "lsns attached short values" master
t lsns -p"$T" -tuts -oTYPE,NPROCS
block "lsns -n/--noheadings, -l/--list, -r/--raw, -u/--notruncate" 2.38
t lsns -n -p "$T" -t uts -o TYPE,NPROCS
t lsns --noheadings --list --task "$T" --type uts -o NS,COMMAND
t lsns -r -p "$T" -t uts -o NS,COMMAND
t lsns --raw --notruncate -p "$T" -t uts -o COMMAND
t lsns -u -p "$T" -t mnt -o TYPE,COMMAND
block "lsns -J/--json" 2.38
t lsns -J -p "$T" -t uts -o NS,TYPE,NPROCS,PID,COMMAND
t lsns --json -p "$T" -t uts -o TYPE,PNS,ONS
block "lsns -o +LIST" master
t lsns -p "$T" -t uts -o +PATH
block "lsns --output-all" master
t lsns --output-all -p "$T" -t uts
t lsns --output-all -J -p "$T" -t net
block "lsns NS (the processes of one namespace)" master
t lsns "$UTS"
t lsns -o NS,TYPE,PID "$UTS"
block "lsns -Q/--filter" master
t lsns -Q "NS == $UTS" -o TYPE,NPROCS
t lsns --filter "NS == $NET && NPROCS == 1" -o TYPE,NPROCS
t lsns --filter="TYPE == \"uts\" and NS == $UTS" -o TYPE
t lsns -Q "NS == $UTS || NS == $NET" -n -o TYPE
t lsns -Q "(NS == $UTS) and not (TYPE == \"net\")" -n -o TYPE,COMMAND
t lsns -Q "NS == $UTS and COMMAND =~ \"^/usr/bin/python3\"" -n -o TYPE
t lsns -Q "NS == $UTS and NPROCS >= 1 and NPROCS < 2 and PID != 0" -n -o TYPE
block "lsns -T/--tree" master
t lsns -T -p "$T" -t user -t net -o NS,TYPE
t lsns --tree=owner -Q "NS == $NET or NS == $(stat -L -c %i /proc/$T/ns/user)" -o NS,TYPE
t lsns -Tparent -Q "NS == $(stat -L -c %i /proc/$T/ns/user)" -o NS,TYPE
t lsns --tree=process -p "$T" -t uts -o NS,TYPE,PID
block "lsns -H/--list-columns" master
t lsns -H
t lsns --list-columns --raw
t lsns -H -J
block "lsns NETNSID, NSFS, -W/--nowrap and -P/--persistent" master root
if [ $RUN = 1 ]; then
    touch "$S/nsfs-a" "$S/nsfs-b"
    mount --bind /proc/$T/ns/net "$S/nsfs-a"
    mount --bind /proc/$T/ns/net "$S/nsfs-b"
    t lsns -t net -Q "NS == $NET" -o TYPE,NETNSID,NSFS
    t lsns -W -t net -Q "NS == $NET" -o TYPE,NSFS
    t lsns --nowrap -J -t net -Q "NS == $NET" -o TYPE,NSFS
    t lsns -r -t net -Q "NS == $NET" -o TYPE,NSFS
    t lsns -P -Q "NS == $(stat -L -c %i "$S/ns-net")" -o TYPE,NPROCS,NSFS
    t lsns --persistent -o TYPE,NPROCS -Q "NS == $NET"
    umount "$S/nsfs-a" "$S/nsfs-b"
fi
block "lsns a namespace held by an open fd" master
if [ $RUN = 1 ]; then
    rm -f "$S/held.pid"
    unshare -rn sh -c 'echo $$ >"$1/held.pid"; exec sleep 1000' sh "$S" &
    HELD_BG=$!
    waitfor "$S/held.pid"
    HELD=$(stat -L -c %i "/proc/$(cat "$S/held.pid")/ns/net")
    name "$HELD" "ns:held.net"
    sleep 1000 5<"/proc/$(cat "$S/held.pid")/ns/net" &
    HOLDER=$!
    sleep 0.1
    kill "$(cat "$S/held.pid")" 2>/dev/null
    wait $HELD_BG 2>/dev/null
    t lsns -t net -Q "NS == $HELD" -o NS,TYPE,NPROCS
    kill $HOLDER 2>/dev/null
fi
block "lsns -h/--help, -V/--version" 2.38
help_and_version lsns

kill "$T" $TARGET_BG 2>/dev/null
wait 2>/dev/null
umount "$S/tmnt" 2>/dev/null
for f in "$S"/ns-* "$S"/owned-* "$S"/plain-* "$S/mntdir/ns" "$S/mntdir"; do umount "$f" 2>/dev/null; done
exit 0

#!/usr/bin/env bash
# Prints what the test suite promises to leave as it found it on the host: the propagation of /,
# /etc/subuid and /etc/subgid (content and times), the mount table of this shell's mount
# namespace (mount points, options and propagation; not the ids, which are not reused), what is
# under /run/netns and /run/nsbox, and the processes the suite starts (nsbox, nsprobe, its
# per-run directories).
# `.ci/run` diffs a snapshot from before the run with ones taken during and after it.
#   Scripts/host-snapshot.sh              print a snapshot
#   Scripts/host-snapshot.sh --self-test  show that a snapshot sees a leftover mount and a touched file (the
#                                         negative control of the comparison); as root
set -euo pipefail
# The files whose content and times are compared (the self-test uses one of its own).
files=${HOST_SNAPSHOT_FILES:-/etc/subuid /etc/subgid}

snapshot() {
    echo "propagation of /: $(findmnt -no PROPAGATION /)"
    # Content and times: a touch that leaves the bytes alone is a write to /etc too.
    for file in $files; do
        if [ -e "$file" ]; then echo "$file: $(sha256sum < "$file" | cut -d' ' -f1) $(stat -c 'mtime %y ctime %z' "$file")"; else echo "$file: absent"; fi
    done
    # Fields 5.. of mountinfo: mount point, options, optional fields (propagation), fs, source.
    cut -d' ' -f5- /proc/self/mountinfo | sort
    for dir in /run/netns /run/nsbox; do
        if [ -e "$dir" ]; then find "$dir" | sort; else echo "$dir: absent"; fi
    done
    # Everything the suite starts runs one of its helpers or from its per-run directory.
    pgrep -a -f 'swift-linux-namespaces-tests|/nsbox |/nsprobe ' | grep -v -e pgrep -e host-snapshot | sed 's/^[0-9]* /process: /' || true
}

if [ "${1:-}" = --self-test ]; then
    # The mounts alone: processes of other runs may come and go meanwhile.
    mounts_only() { snapshot | grep -v '^process: '; }
    before=$(mounts_only)
    dir=$(mktemp -d)
    trap 'umount "$dir" 2>/dev/null || true; rm -rf "$dir"' EXIT
    mount -t tmpfs snapshot-self-test "$dir"
    if [ "$(mounts_only)" = "$before" ]; then
        echo "host-snapshot: a tmpfs mounted on $dir went unseen" >&2
        exit 1
    fi
    umount "$dir"
    [ "$(mounts_only)" = "$before" ] || { echo "host-snapshot: differs after the self-test's mount was removed" >&2; exit 1; }
    # A file touched with its bytes unchanged (a file of the self-test's, not /etc's).
    touch -d '2001-01-01' "$dir/subuid"
    untouched=$(files="$dir/subuid" mounts_only)
    touch "$dir/subuid"
    if [ "$(files="$dir/subuid" mounts_only)" = "$untouched" ]; then
        echo "host-snapshot: a touched file went unseen" >&2
        exit 1
    fi
    rm "$dir/subuid"
    echo "host-snapshot: self-test passed (a leftover mount and a touched file are seen)"
    exit 0
fi
snapshot

#!/usr/bin/env bash
# Runs util-linux's own regression tests for unshare, nsenter, lsns and getino with
# TS_CMD_UNSHARE/NSENTER/LSNS pointing at shims that call `nsbox run`, `nsbox enter` and
# `nsbox ls` (issue 18's "done when"). Usage, as root:
#
#     Scripts/util-linux-tests.sh UL_DIR [--util-linux]
#
# UL_DIR is a util-linux source tree (master) built in place with at least
#     ./autogen.sh && ./configure --disable-all-programs --enable-unshare --enable-nsenter \
#         --enable-lsns --enable-lsfd --enable-mount --enable-getino --enable-libsmartcols \
#         --enable-libmount --enable-libblkid --disable-nls --without-python --without-systemd
#     make unshare nsenter lsns getino lsfd mount umount test_mkfds test_sigreceive \
#         test_strerror test_sysinfo
# (the harness takes its helpers from the build tree; Debian: autoconf automake autopoint
# libtool bison gettext). None of util-linux is part of this repository.
# --util-linux runs the same tests with util-linux's own tools instead, for comparison.
# The harness runs in a private mount namespace with its own /run, so that its `ip netns`
# and mounts leave the host alone. Prints the harness's report; exits non-zero on a failure.
set -euo pipefail
ul=${1:?usage: Scripts/util-linux-tests.sh UL_DIR [--util-linux]}
ul=$(cd "$ul" && pwd)
[ -x "$ul/tests/run.sh" ] && [ -x "$ul/test_mkfds" ] || { echo "util-linux-tests.sh: $ul is not a built util-linux tree (tests/run.sh, test_mkfds)" >&2; exit 2; }
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

shims=$(mktemp -d "/tmp/nsbox-util-linux-shims.$$.XXXXXX")
trap 'rm -rf "$shims"' EXIT
if [ "${2:-}" = --util-linux ]; then
    for tool in unshare nsenter lsns; do ln -s "$ul/$tool" "$shims/$tool"; done
else
    swift build -c release --product nsbox >/dev/null
    nsbox="$(swift build -c release --show-bin-path)/nsbox"
    printf '#!/bin/sh\nexec %s run "$@"\n' "$nsbox" > "$shims/unshare"
    printf '#!/bin/sh\nexec %s enter "$@"\n' "$nsbox" > "$shims/nsenter"
    printf '#!/bin/sh\nexec %s ls "$@"\n' "$nsbox" > "$shims/lsns"
    chmod +x "$shims"/*
fi

# runuser (getino's test) is not built without PAM: the system's does the same.
unshare -m --propagation private sh -c '
    mount -t tmpfs tmpfs /run
    cd "$1"
    TS_CMD_UNSHARE="$2/unshare" TS_CMD_NSENTER="$2/nsenter" TS_CMD_LSNS="$2/lsns" \
    TS_CMD_RUNUSER="$(command -v runuser)" \
        tests/run.sh --builddir="$1" --parallel=1 unshare nsenter lsns getino
' sh "$ul" "$shims"

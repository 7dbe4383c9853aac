#!/bin/sh
# Makes util-linux-script.{root,65534}.expected from a util-linux build (its unshare, nsenter,
# lsns and getino), root and 65534, each in a mount namespace of its own with /etc/subuid and
# /etc/subgid of its own. With NSBOX, runs the script through nsbox too and prints the diff.
# Usage (as root): Tests/Compat/regenerate.sh UL_DIR [NSBOX]
set -eu
UL=$(cd "$1" && pwd)
NSBOX=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
chmod 755 "$D"
cp "$HERE/util-linux-script.sh" "$UL/getino" "$D/"
printf 'root:100000:65536\nnobody:200000:65536\n' >"$D/subuid"
printf 'root:100000:65536\nnobody:200000:65536\nnogroup:200000:65536\n' >"$D/subgid"
run() { # TOOLS USER OUT
    rm -rf "$D/work"
    mkdir "$D/work"
    chmod 777 "$D/work"
    as=""
    [ "$2" = 65534 ] && as="setpriv --reuid=65534 --regid=65534 --clear-groups"
    unshare -m --propagation private sh -c '
        mount --bind "$1/subuid" /etc/subuid && mount --bind "$1/subgid" /etc/subgid
        shift; exec "$@"' sh "$D" env COMPAT_TOOLS="$1" GETINO="$D/getino" $as sh "$D/util-linux-script.sh" "$D/work" >"$3"
}
version=$("$UL/unshare" --version)
for user in root 65534; do
    echo "# $version, $(git -C "$UL" describe --always 2>/dev/null || echo unknown), as $user: Tests/Compat/regenerate.sh" >"$D/expected"
    run "$UL" $user "$D/out"
    cat "$D/out" >>"$D/expected"
    cp "$D/expected" "$HERE/util-linux-script.$user.expected"
    if [ -n "$NSBOX" ]; then
        run "nsbox:$NSBOX" $user "$D/nsbox.$user"
        echo "### as $user: util-linux (<) and nsbox (>)"
        diff "$D/out" "$D/nsbox.$user" || true
    fi
done

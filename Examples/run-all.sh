#!/bin/sh
# Builds every example and runs it as the current user and, when that is root, again as
# uid 65534 (nobody) from a copy in /tmp, which the unprivileged user can execute.
# Usage: ./run-all.sh [EXAMPLE...]     (from the Examples directory)
set -e
cd "$(dirname "$0")"
examples=${*:-spawn-sandbox closure-in-namespaces per-thread-socket named-netns list-namespaces run-oci-config id-maps run-with-output failed-steps apply-in-place}
swift build
bin=$(swift build --show-bin-path)
for example in $examples; do
    echo "=== $example (uid $(id -u))"
    # Line-buffered, so that our lines and the sandboxed commands' lines keep their order.
    stdbuf -oL "$bin/$example" || echo "(exit status $?)"
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        copy=$(mktemp -d /tmp/examples.XXXXXX)
        cp "$bin/$example" "$copy/" && cp -r bundle "$copy/" && chmod -R a+rX "$copy"
        echo "=== $example (uid 65534)"
        (cd "$copy" && stdbuf -oL setpriv --reuid=65534 --regid=65534 --clear-groups "./$example") || echo "(exit status $?)"
        rm -rf "$copy"
    fi
done

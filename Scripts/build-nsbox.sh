#!/usr/bin/env bash
# Scripts/build-nsbox.sh [SWIFT-BUILD-OPTIONS...]: builds the nsbox to install, and prints its path.
#
# A static executable (no shared libraries to load and relocate at each start), linked by lld
# with the functions and variables nsbox uses at start-up laid out next to each other
# (Layout/nsbox.order, made by Layout/make-order.sh): a start then touches fewer pages of the
# 30 MB file, and the command's execve has fewer of them to unmap. BENCHMARKS.md has the
# numbers. Options are passed on to `swift build` (for example --scratch-path DIR).
# NSBOX_ORDER_FILE names another order file (make-order.sh starts from an empty one).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ORDER=${NSBOX_ORDER_FILE:-$ROOT/Layout/nsbox.order}
[ -f "$ORDER" ] || { echo "build-nsbox.sh: no order file $ORDER" >&2; exit 1; }
options=(-c release --package-path "$ROOT" --product nsbox -Xswiftc -static-executable)
# lld comes with the Swift toolchains of swift.org; without it, the linker's own order.
toolchain=$(dirname "$(readlink -f "$(command -v swift)")")
if [ -x "$toolchain/ld.lld" ] || command -v ld.lld >/dev/null; then
    options+=(-Xswiftc -use-ld=lld
        -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xcc -fdata-sections
        -Xlinker --symbol-ordering-file="$ORDER" -Xlinker --no-warn-symbol-ordering)
else
    echo "build-nsbox.sh: no ld.lld next to swift or on PATH: linking without the start-up order (slower start)" >&2
fi
options+=("$@")
binary=$(swift build "${options[@]}" --show-bin-path)/nsbox
# swift build does not know the order file is an input of the link.
if [ -e "$binary" ] && [ "$ORDER" -nt "$binary" ]; then rm -f "$binary"; fi
swift build "${options[@]}" >&2
echo "$binary"

#!/usr/bin/env bash
# The documentation builds and is complete: DocC builds the LinuxNamespaces catalogue with
# warnings as errors (offline: swift-docc-plugin is a plugin, nothing of it is linked), every
# public symbol has a doc comment of its own, and every API name in the README's Library
# section is a public symbol (Scripts/check-docs.py; its --self-test shows it sees a miss).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
python3 Scripts/check-docs.py --self-test
swift package dump-symbol-graph --minimum-access-level public > /dev/null
graphs=$(find .build -path '*/symbolgraph/LinuxNamespaces*.symbols.json')
# shellcheck disable=SC2086
python3 Scripts/check-docs.py --readme README.md $graphs
swift package --disable-sandbox generate-documentation --target LinuxNamespaces --warnings-as-errors > /dev/null
echo "check-docs: the LinuxNamespaces documentation builds"

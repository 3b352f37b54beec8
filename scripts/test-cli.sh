#!/usr/bin/env bash
# End-to-end checks of the `roost` command line against a real data directory.
set -euo pipefail
bin="$(swift build --show-bin-path)/roost"
"$bin" --help >/dev/null
echo "test-cli: ok"

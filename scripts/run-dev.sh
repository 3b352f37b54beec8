#!/usr/bin/env bash
# `make run`: the development profile (DESIGN.md): loopback ports, .roost-dev/, demo account.
set -euo pipefail
data="${1:-.roost-dev}"
bin="$(swift build --show-bin-path)/roost"
exec "$bin" serve --dev --data "$data"

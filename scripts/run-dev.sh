#!/usr/bin/env bash
# `make run`: the most useful thing Roost can do so far, against the development data directory.
set -euo pipefail
data="${1:-.roost-dev}"
bin="$(swift build --show-bin-path)/roost"
"$bin" journal demo --data "$data"
"$bin" journal stats --data "$data"
"$bin" journal verify --data "$data"
"$bin" rebuild --data "$data"

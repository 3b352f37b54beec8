#!/usr/bin/env bash
# End to end, QRESYNC (RFC 7162) across a restart and a rebuild, against a real `roost serve`:
# a client saves its mailbox state (UIDVALIDITY, HIGHESTMODSEQ, UIDs), another session changes
# flags and expunges, and the client's QRESYNC SELECT and UID FETCH (CHANGEDSINCE … VANISHED)
# answers are recorded. After SIGTERM and a restart, and again after `roost rebuild`, the same
# commands must give the same answers byte for byte: same MODSEQs, same VANISHED (EARLIER).
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test-qresync
. scripts/test-lib.sh

echo "s3cret-alice" > "$tmp/pw"
"$bin" init --domain example.org --user alice --password-file "$tmp/pw" --config "$tmp/roost.toml" --data "$tmp/data" > /dev/null \
  || fail "init"
imaps_port=$(free_port)
python3 scripts/test_config.py "$tmp/roost.toml" "imaps:$imaps_port:implicit" <<TOML
[metrics]
address = "127.0.0.1"
port = $(free_port)
TOML
cat > "$tmp/fixture.json" <<EOJ
{"implicit_port": $imaps_port, "cafile": "$tmp/data/tls/cert.pem", "user": "alice@example.org", "password": "s3cret-alice"}
EOJ

start_roost
python3 scripts/test-imap-resync.py prepare "$tmp/fixture.json" "$tmp/state.json" || fail "prepare"
stop_roost
start_roost
python3 scripts/test-imap-resync.py check "$tmp/fixture.json" "$tmp/state.json" || fail "after a restart"
stop_roost
"$bin" rebuild --data "$tmp/data" | grep -q "rebuilt .*projections.sqlite" || fail "rebuild"
start_roost
python3 scripts/test-imap-resync.py check "$tmp/fixture.json" "$tmp/state.json" || fail "after roost rebuild"
# The same server, the extensions of RFC 6855 (UTF8=ACCEPT) and RFC 5258 (RECURSIVEMATCH, CHILDINFO).
python3 scripts/test-imap-ext.py "$tmp/fixture.json" || fail "UTF8=ACCEPT and LIST-EXTENDED"
stop_roost
echo "test-qresync: ok"

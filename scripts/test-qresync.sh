#!/usr/bin/env bash
# End to end, QRESYNC (RFC 7162) across a restart and a rebuild, against a real `roost serve`:
# a client saves its mailbox state (UIDVALIDITY, HIGHESTMODSEQ, UIDs), another session changes
# flags and expunges, and the client's QRESYNC SELECT and UID FETCH (CHANGEDSINCE … VANISHED)
# answers are recorded. After SIGTERM and a restart, and again after `roost rebuild`, the same
# commands must give the same answers byte for byte: same MODSEQs, same VANISHED (EARLIER).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build --show-bin-path)/roost"
tmp="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "test-qresync: FAIL: $*" >&2; [ -f "$tmp/serve.log" ] && tail -20 "$tmp/serve.log" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # file pattern seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

echo "s3cret-alice" > "$tmp/pw"
"$bin" init --domain example.org --user alice --password-file "$tmp/pw" --config "$tmp/roost.toml" --data "$tmp/data" > /dev/null \
  || fail "init"
imaps_port=$(free_port)
python3 - "$tmp/roost.toml" "$imaps_port" "$(free_port)" <<'PY'
import sys
path, imaps, metrics = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
text = text[:text.index("\n[[listeners]]") + 1] + f'''[[listeners]]
protocol = "imaps"
address = "127.0.0.1"
port = {imaps}
tls = "implicit"

[metrics]
address = "127.0.0.1"
port = {metrics}
'''
open(path, "w").write(text)
PY
cat > "$tmp/fixture.json" <<EOJ
{"implicit_port": $imaps_port, "cafile": "$tmp/data/tls/cert.pem", "user": "alice@example.org", "password": "s3cret-alice"}
EOJ

start() {
  : > "$tmp/serve.log"
  "$bin" serve --config "$tmp/roost.toml" > "$tmp/serve.out" 2> "$tmp/serve.log" &
  server=$!
  wait_for "$tmp/serve.log" "roost is running" 60 || fail "serve did not start"
}
stop() {
  kill -TERM "$server"
  set +e; wait "$server"; rc=$?; set -e
  server=""
  [ $rc -eq 0 ] || fail "serve exited $rc after SIGTERM"
}

start
python3 scripts/test-imap-resync.py prepare "$tmp/fixture.json" "$tmp/state.json" || fail "prepare"
stop
start
python3 scripts/test-imap-resync.py check "$tmp/fixture.json" "$tmp/state.json" || fail "after a restart"
stop
"$bin" rebuild --data "$tmp/data" | grep -q "rebuilt .*projections.sqlite" || fail "rebuild"
start
python3 scripts/test-imap-resync.py check "$tmp/fixture.json" "$tmp/state.json" || fail "after roost rebuild"
# The same server, the extensions of RFC 6855 (UTF8=ACCEPT) and RFC 5258 (RECURSIVEMATCH, CHILDINFO).
python3 scripts/test-imap-ext.py "$tmp/fixture.json" || fail "UTF8=ACCEPT and LIST-EXTENDED"
stop
echo "test-qresync: ok"

#!/usr/bin/env bash
# End to end over a real `roost serve`: messages arrive over SMTP and are read by real clients.
# getmail6 downloads the INBOX over POP3 (keep, then delete; byte-identical; a second run fetches
# nothing new), an IMAP session in IDLE sees an SMTP delivery within 1 s, and a 21 MiB message
# comes back byte-identical over IMAP FETCH and POP3 RETR with the server's memory bounded.
# The scenarios are in scripts/test-mailflow.py.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build --show-bin-path)/roost"
tmp="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "test-mailflow: FAIL: $*" >&2; [ -f "$tmp/serve.log" ] && tail -30 "$tmp/serve.log" >&2; exit 1; }
for tool in getmail python3; do command -v $tool >/dev/null || fail "$tool is not installed (scripts/install-deps.sh)"; done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "alice-pw-1" > "$tmp/pw-alice"
"$bin" init --domain example.org --user alice --password-file "$tmp/pw-alice" --config "$tmp/roost.toml" --data "$tmp/data" >/dev/null \
  || fail "init"
mx=$(free_port); pop3s=$(free_port); imaps=$(free_port)
python3 - "$tmp/roost.toml" "$mx" "$pop3s" "$imaps" <<'PY'
import sys
path, mx, pop3s, imaps = sys.argv[1:]
text = open(path).read()
text = text[:text.index("\n[[listeners]]") + 1]
for proto, port, tls in [("smtp", mx, "starttls"), ("pop3s", pop3s, "implicit"), ("imaps", imaps, "implicit")]:
    text += f'[[listeners]]\nprotocol = "{proto}"\naddress = "127.0.0.1"\nport = {port}\ntls = "{tls}"\n\n'
text += '[limits]\nmessage_size = 41943040\n\n[metrics]\nenabled = false\n'
open(path, "w").write(text)
PY
# A fixed glibc mmap threshold: large buffers are mapped and unmapped, never kept by malloc for
# reuse, so the server's RssAnon is its live memory and the `large` scenario's measure is exact.
MALLOC_MMAP_THRESHOLD_=131072 "$bin" serve --config "$tmp/roost.toml" > "$tmp/serve.out" 2> "$tmp/serve.log" &
server=$!
for _ in $(seq 1 600); do grep -q "roost is running" "$tmp/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q "roost is running" "$tmp/serve.log" || fail "serve did not start"

cat > "$tmp/fixture.json" <<JSON
{"mx": $mx, "pop3s": $pop3s, "imaps": $imaps, "cafile": "$tmp/data/tls/cert.pem", "server_pid": $server,
 "user": "alice@example.org", "password": "$(cat "$tmp/pw-alice")", "work": "$tmp"}
JSON
for scenario in ${MAILFLOW_SCENARIOS:-getmail fetchmail idle-smtp large}; do
  python3 scripts/test-mailflow.py "$scenario" "$tmp/fixture.json" || fail "scenario $scenario"
done
kill -TERM "$server"; wait "$server" || fail "serve exited non-zero"; server=""
echo "test-mailflow: ok"

#!/usr/bin/env bash
# Smoke test of the load generator (Benchmarks/Tools/RoostLoad, issue 15) against a real
# `roost serve`, so it cannot rot: 20 SMTP messages (all must become visible over IMAP STATUS), a
# 2-second IMAP mix on 2 users, and a POP3 download of 2 maildrops. Every figure it prints is
# checked to be what the generator was asked for. A few seconds once built.
set -euo pipefail
cd "$(dirname "$0")/.."
# LOADGEN_CONFIGURATION=release reuses release builds (make test uses debug, like the rest).
conf="${LOADGEN_CONFIGURATION:-debug}"
swift build -c "$conf" --product roost >/dev/null
(cd Benchmarks && swift build -c "$conf" --product RoostLoad >/dev/null)
roost="$(swift build -c "$conf" --show-bin-path)/roost"
load="$(cd Benchmarks && swift build -c "$conf" --show-bin-path)/RoostLoad"

tmp="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && { kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null; }; rm -rf "$tmp"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
smtp=$(free_port); imap=$(free_port); pop3=$(free_port)
echo secret > "$tmp/pw"
"$roost" init --domain example.test --user alice --password-file "$tmp/pw" --config "$tmp/init.toml" --data "$tmp/data" >/dev/null
python3 Benchmarks/Tools/roost_bench.py "$tmp/data" "smtp:$smtp:none" "imap:$imap:none" "pop3:$pop3:none" > "$tmp/roost.toml" <<'TOML'
[limits]
connections_per_ip = 100
smtp_messages_per_minute = 0

[metrics]
enabled = false
TOML
hash="$(openssl passwd -6 -salt smoke secret)"
for i in 1 2 3 4; do echo "user$i@example.test:{SHA512-CRYPT}$hash"; done > "$tmp/users"
"$roost" user import --config "$tmp/roost.toml" "$tmp/users" >/dev/null
"$roost" serve --config "$tmp/roost.toml" >/dev/null 2>"$tmp/serve.log" &
server=$!
for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$pop3) 2>/dev/null && break; sleep 0.1; done

fail() { echo "test-loadgen: $*" >&2; cat "$tmp/serve.log" >&2; exit 1; }
# field JSON KEY -> value of a top-level key of the RESULT line
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

out="$(timeout 60 "$load" smtp --port "$smtp" --imap-port "$imap" --messages 20 --sessions 4 --recipients 2 --server-pid "$server" --label roost)" \
  || fail "smtp run failed: $out"
json="$(echo "$out" | sed -n 's/^RESULT //p')"
[[ "$(field "$json" messages)" == 20 ]] || fail "smtp: not 20 messages accepted: $out"
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["visible_seconds"] > 0 and r["server_cpu_seconds"] > 0 and r["p99_ms"] > 0, r' "$json" \
  || fail "smtp: figures missing: $out"
# The messages really are there: 10 per recipient, each of 4096 bytes.
out2="$(timeout 30 python3 - "$imap" <<'PY'
import imaplib, sys
for user in ("user1@example.test", "user2@example.test"):
    m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
    m.login(user, "secret")
    m.select("INBOX")
    typ, data = m.fetch("1:*", "(RFC822.SIZE)")
    sizes = [int(d.split(b"RFC822.SIZE ")[1].rstrip(b")")) for d in data]
    assert len(sizes) == 10, (user, sizes)
    print(user, len(sizes), "messages")
    m.logout()
PY
)" || fail "smtp: mailbox check: $out2"

out="$(timeout 60 "$load" imap --port "$imap" --users 2 --populate 15 --seconds 2 --first-user 3 --server-pid "$server" --label roost)" \
  || fail "imap run failed: $out"
json="$(echo "$out" | sed -n 's/^RESULT //p')"
python3 -c '
import json, sys
r = json.loads(sys.argv[1])
assert r["operations"] > 20, r
done = [k for k, v in r["per_command"].items() if v["ops"] > 0]
assert len(done) >= 6, done
' "$json" || fail "imap: too few operations or commands: $out"

out="$(timeout 60 "$load" pop3 --port "$pop3" --imap-port "$imap" --users 2 --messages 12 --rounds 1 --first-user 1 --server-pid "$server" --label roost)" \
  || fail "pop3 run failed: $out"
json="$(echo "$out" | sed -n 's/^RESULT //p')"
# user1 and user2 hold the 10 SMTP messages each, filled up to 12 over IMAP: 24 downloaded.
[[ "$(field "$json" messages)" == 24 ]] || fail "pop3: not 24 messages downloaded: $out"

# And a server that refuses is a failure, not a result: a wrong password.
if timeout 30 "$load" pop3 --port "$pop3" --users 1 --messages 1 --rounds 1 --password wrong >/dev/null 2>&1; then
  fail "pop3 with a wrong password did not fail"
fi

# The big-mailbox benchmark (Benchmarks/Tools/big-mailbox.sh), small and Roost only: it checks the
# counts it times (EXISTS, one FETCH per message, SEARCH hits), so a broken run fails here.
big="$(CONFIGURATION="$conf" SKIP_BUILD=1 SKIP_DOVECOT=1 MESSAGES=300 ROUNDS=1 ROOST_IMAP_PORT="$(free_port)" \
  timeout 300 Benchmarks/Tools/big-mailbox.sh 2>&1)" || fail "big-mailbox run failed: $big"
python3 -c '
import json, sys
r = json.loads([l for l in sys.argv[1].splitlines() if l.startswith("RESULT ")][0][7:])
assert r["messages"] == 300 and len(r["best_seconds"]) == 7, r
# sender7@sender7 is message n with n % 997 == 7 and n % 31 == 7: n = 7 only, below 300.
assert r["hits"]["UID SEARCH FROM"] == 1, r
assert r["hits"]["UID SEARCH SUBJECT"] == len([n for n in range(300) if n % 16 == 0]), r
assert r["hits"]["UID SEARCH UNSEEN"] == 100, r
assert r["hits"]["UID SEARCH BODY"] == 1, r  # "of message 242:" is in message 242 only
' "$big" || fail "big-mailbox: unexpected result: $big"
echo "test-loadgen: smtp, imap and pop3 load and the big-mailbox benchmark against roost serve OK"

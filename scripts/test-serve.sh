#!/usr/bin/env bash
# End to end: `roost init`, `roost serve`, accounts through the admin socket and directly,
# SIGTERM drains and exits 0, restart keeps accounts, a second server is refused, passwords made
# by other tools (mkpasswd, passlib) verify, and `make run` on a fresh data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test-serve
. scripts/test-lib.sh
pids=()
on_exit 'for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done'

# --- roost init
echo "s3cret-alice" > "$tmp/pw"
"$bin" init --domain example.org --user alice --password-file "$tmp/pw" --config "$tmp/roost.toml" --data "$tmp/data" > "$tmp/init.out" \
  || fail "init"
grep -q "Roost is set up" "$tmp/init.out" || fail "init prints next steps"
grep -q "MX   10 mail.example.org." "$tmp/init.out" || fail "init prints the MX record"
[ -s "$tmp/data/tls/cert.pem" ] && [ "$(stat -c %a "$tmp/data/tls/key.pem")" = 600 ] || fail "init made a certificate with a 0600 key"
if "$bin" init --domain example.org --user alice --password-file "$tmp/pw" --config "$tmp/roost.toml" --data "$tmp/data" 2>"$tmp/err"; then
  fail "a second init without --force succeeded"
fi
grep -q "exists already; use --force" "$tmp/err" || fail "init refusal message: $(cat "$tmp/err")"

# Use free loopback ports for this test (the init template uses the standard ones).
metrics_port=$(free_port)
pop3_port=$(free_port)
python3 scripts/test_config.py "$tmp/roost.toml" "smtp:$(free_port):starttls" "pop3:$pop3_port:starttls" <<TOML
# A short idle timeout, so the test sees [limits] idle_timeout applied to POP3.
[limits]
idle_timeout = 5

[metrics]
address = "127.0.0.1"
port = $metrics_port
TOML

start() {
  "$bin" serve --config "$tmp/roost.toml" > "$tmp/serve.out" 2> "$tmp/serve.log" &
  pids+=($!)
  server=$!
  wait_for "$tmp/serve.log" "roost is running" 60 || fail "serve did not start"
  wait_for "$tmp/serve.log" "admin socket listening" 30 || fail "admin socket not listening"
}

# --- serve; accounts through the admin socket
start
[ "$(stat -c %a "$tmp/data/admin.sock")" = 600 ] || fail "admin socket is not 0600"
[ "$(grep -c 'listening.*protocol=pop3' "$tmp/serve.log")" = 1 ] || fail "POP3 'listening' not logged exactly once: $(grep listening "$tmp/serve.log")"
# [limits] idle_timeout = 5 reaches the POP3 listener: an idle session is closed after ~5 s.
python3 - "$pop3_port" <<'PY' || fail "POP3 idle timeout from the config"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
assert s.recv(512).startswith(b"+OK")
start = time.monotonic()
data = b""
while True:
    chunk = s.recv(512)
    if not chunk: break
    data += chunk
took = time.monotonic() - start
assert 4 <= took <= 20, f"closed after {took:.1f}s"
PY
echo "s3cret-bob" > "$tmp/pw-bob"
"$bin" user add bob@example.org --password-file "$tmp/pw-bob" --config "$tmp/roost.toml" | grep -q "added bob@example.org" || fail "user add via socket"
grep -q 'admin request .*user add bob@example.org' "$tmp/serve.log" || fail "the server did not log the socket request"
# Metrics: the journal commit for bob's events shows up, and the projector lag gauge exists.
metric() { curl -sf "http://127.0.0.1:$metrics_port/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }
events_before=$(metric roost_journal_appended_events_total)
[ -n "$events_before" ] && [ "$events_before" -gt 0 ] || fail "metrics: no journal appends counted ($events_before)"
curl -sf "http://127.0.0.1:$metrics_port/metrics" | grep -q '^roost_journal_fsync_seconds_count' || fail "metrics: no fsync histogram"
"$bin" domain add other.example --config "$tmp/roost.toml" >/dev/null || fail "domain add"
[ "$(metric roost_journal_appended_events_total)" -gt "$events_before" ] || fail "metrics: journal appends did not move"
"$bin" user list --config "$tmp/roost.toml" > "$tmp/users"
grep -qx "alice@example.org" "$tmp/users" && grep -qx "bob@example.org" "$tmp/users" || fail "user list: $(cat "$tmp/users")"
"$bin" alias add postmaster@example.org alice@example.org --config "$tmp/roost.toml" >/dev/null || fail "alias add"
"$bin" alias list --config "$tmp/roost.toml" | grep -q "postmaster@example.org -> alice@example.org" || fail "alias list"
"$bin" domain list --config "$tmp/roost.toml" | grep -qx "example.org" || fail "domain list"
"$bin" domain del other.example --config "$tmp/roost.toml" | grep -q "removed domain other.example" || fail "domain del"
"$bin" user test bob@example.org --password-file "$tmp/pw-bob" --config "$tmp/roost.toml" | grep -q "password matches" || fail "user test"
if "$bin" user test bob@example.org --password-file "$tmp/pw" --config "$tmp/roost.toml" >/dev/null; then fail "a wrong password matched"; fi
if "$bin" user add bob@example.org --password-file "$tmp/pw-bob" --config "$tmp/roost.toml" >/dev/null; then fail "a duplicate user was added"; fi
if grep -q "s3cret" "$tmp/serve.log"; then fail "a password reached the log"; fi

# --- a second server on the same data directory is refused
if "$bin" serve --config "$tmp/roost.toml" > /dev/null 2> "$tmp/second.log"; then fail "a second serve started"; fi
grep -q "another Roost is running on the data directory" "$tmp/second.log" || fail "second serve message: $(cat "$tmp/second.log")"

# --- SIGTERM drains and exits 0
kill -TERM "$server"
set +e; wait "$server"; rc=$?; set -e
[ $rc -eq 0 ] || fail "serve exited $rc after SIGTERM"
grep -q "roost stopped cleanly" "$tmp/serve.log" || fail "no clean-stop line"
[ ! -e "$tmp/data/admin.sock" ] || fail "admin socket left behind"

# --- without a server: the CLI opens the journal itself
echo "s3cret-carol" > "$tmp/pw-carol"
"$bin" user add carol@example.org --password-file "$tmp/pw-carol" --config "$tmp/roost.toml" | grep -q "added carol" || fail "user add without a server"

# --- passwords made by other tools verify; wrong ones don't
mk_sha=$(mkpasswd -m sha-512 'from-mkpasswd')
mk_yes=$(mkpasswd -m yescrypt 'from-mkpasswd')
pl_sha=$(python3 -c 'from passlib.hash import sha512_crypt; print(sha512_crypt.hash("from-passlib"))')
pl_bcrypt=$(python3 -c 'from passlib.hash import bcrypt; print(bcrypt.using(rounds=5).hash("from-passlib"))')
cat > "$tmp/passwd" <<EOP
# a Dovecot passwd-file
dora@example.org:{SHA512-CRYPT}$mk_sha::::::
yann@example.org:$mk_yes
paul@example.org:{CRYPT}$pl_sha
bea@example.org:{BLF-CRYPT}$pl_bcrypt
EOP
"$bin" user import "$tmp/passwd" --config "$tmp/roost.toml" > "$tmp/import.out" || fail "import: $(cat "$tmp/import.out")"
echo from-mkpasswd > "$tmp/p1"; echo from-passlib > "$tmp/p2"
for u in dora yann; do "$bin" user test $u@example.org --password-file "$tmp/p1" --config "$tmp/roost.toml" >/dev/null || fail "$u's mkpasswd hash"; done
for u in paul bea; do "$bin" user test $u@example.org --password-file "$tmp/p2" --config "$tmp/roost.toml" >/dev/null || fail "$u's passlib hash"; done
if "$bin" user test dora@example.org --password-file "$tmp/p2" --config "$tmp/roost.toml" >/dev/null; then fail "wrong password verified"; fi

# --- restart keeps every account
start
"$bin" user list --config "$tmp/roost.toml" > "$tmp/users"
for u in alice bob carol dora yann paul bea; do grep -qx "$u@example.org" "$tmp/users" || fail "$u lost across restart"; done
grep -q "projections caught up" "$tmp/serve.log" || fail "no catch-up line"
kill -TERM "$server"; wait "$server" || fail "second stop"

# --- a broken config is refused with file and line
printf 'hostname = "x.example"\n[limits]\nmessage_sise = 5\n' > "$tmp/bad.toml"
set +e; "$bin" serve --config "$tmp/bad.toml" 2> "$tmp/bad.log"; rc=$?; set -e
[ $rc -eq 78 ] || fail "bad config exit $rc"
grep -q "bad.toml:3: limits.message_sise: unknown key" "$tmp/bad.log" || fail "bad config message: $(cat "$tmp/bad.log")"

# --- make run on a fresh data directory: the demo account line, then a clean stop
make -s run DEV_DATA="$tmp/dev" > "$tmp/run.out" 2> "$tmp/serve.log" &
pids+=($!)
runner=$!
wait_for "$tmp/run.out" "^demo account: demo@roost.test password: " 120 || fail "make run printed no demo account line"
wait_for "$tmp/serve.log" "roost is running" 30 || fail "make run: server not running"
password=$(sed -n 's/^demo account: demo@roost.test password: //p' "$tmp/run.out")
echo "$password" > "$tmp/demo-pw"
"$bin" user test demo@roost.test --password-file "$tmp/demo-pw" --data "$tmp/dev" | grep -q matches || fail "the printed demo password does not work"
[ -s "$tmp/dev/tls/cert.pem" ] || fail "dev profile made no certificate"
curl -sf http://127.0.0.1:9464/metrics | grep -q '^roost_journal_commits_total' || fail "dev metrics port 9464 does not answer"
# The dev POP3 ports answer: 1110 (plaintext allowed on loopback in dev, and STLS) and 1995 (TLS).
python3 - "$password" <<'PY' || fail "dev POP3 ports"
import poplib, ssl, sys
password = sys.argv[1]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3("127.0.0.1", 1110, timeout=20)
assert "STLS" in p.capa(), p.capa()
p.user("demo@roost.test"); p.pass_(password)
assert p.stat()[0] >= 0
p.quit()
s = poplib.POP3_SSL("127.0.0.1", 1995, context=ctx, timeout=20)
s.user("demo@roost.test"); s.pass_(password)
s.quit()
PY
# The dev SMTP ports answer: MX 2525, submission 2587 (STARTTLS) and 2465 (TLS), AUTH in dev.
python3 - "$password" <<'PY' || fail "dev SMTP ports"
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
mx = smtplib.SMTP("127.0.0.1", 2525, timeout=20)
assert mx.ehlo()[0] == 250
assert mx.mail("someone@example.net")[0] == 250 and mx.rcpt("demo@roost.test")[0] == 250
mx.quit()
sub = smtplib.SMTP("127.0.0.1", 2587, timeout=20)
sub.starttls(context=ctx); sub.login("demo@roost.test", sys.argv[1]); sub.quit()
tls = smtplib.SMTP_SSL("127.0.0.1", 2465, context=ctx, timeout=20)
tls.login("demo@roost.test", sys.argv[1]); tls.quit()
PY
# The dev IMAP ports answer: 1143 (plaintext LOGIN allowed on loopback in dev, and STARTTLS) and 1993 (TLS).
python3 - "$password" <<'PY' || fail "dev IMAP ports"
import imaplib, ssl, sys
password = sys.argv[1]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4("127.0.0.1", 1143, timeout=20)
assert "STARTTLS" in m.capabilities and "LOGINDISABLED" not in m.capabilities, m.capabilities
m.login("demo@roost.test", password)
assert m.select("INBOX")[0] == "OK"
m.logout()
s = imaplib.IMAP4_SSL("127.0.0.1", 1993, ssl_context=ctx, timeout=20)
s.login("demo@roost.test", password)
assert s.list()[0] == "OK"
s.logout()
PY
# POP3 and IMAP agree on one account (issue 12).
python3 scripts/test-pop3-imap.py "$password" || fail "POP3 and IMAP interplay"
# The dev ManageSieve port answers, and allows PLAIN without TLS (loopback dev profile only).
python3 - "$password" <<'PY' || fail "dev ManageSieve port 4190"
import base64, socket, sys
s = socket.create_connection(("127.0.0.1", 4190), timeout=20)
f = s.makefile("rb")
def response():
    lines = []
    while True:
        line = f.readline()
        assert line, lines
        lines.append(line)
        if line[:2] in (b"OK", b"NO", b"BY"): return lines
greeting = response()
assert b'"SASL" "PLAIN LOGIN"\r\n' in greeting and b'"STARTTLS"\r\n' in greeting, greeting
token = base64.b64encode(b"\0demo@roost.test\0" + sys.argv[1].encode())
s.sendall(b'AUTHENTICATE "PLAIN" "' + token + b'"\r\nLISTSCRIPTS\r\nLOGOUT\r\n')
assert response()[-1].startswith(b"OK"), "auth"
assert response()[-1].startswith(b"OK"), "listscripts"
assert response()[-1].startswith(b"OK"), "logout"
PY
pkill -TERM -f "roost serve --dev --data $tmp/dev" || true
wait "$runner" || fail "make run did not stop cleanly"
# The password is kept: the next start prints the same one.
"$bin" serve --dev --data "$tmp/dev" > "$tmp/run2.out" 2> "$tmp/serve.log" &
pids+=($!)
server=$!
wait_for "$tmp/run2.out" "^demo account:" 60 || fail "second dev start"
grep -q "password: $password\$" "$tmp/run2.out" || fail "demo password changed between starts"
wait_for "$tmp/serve.log" "roost is running" 60 || fail "second dev start: not running"
kill -TERM "$server"; wait "$server" || fail "dev stop"

echo "test-serve: ok"

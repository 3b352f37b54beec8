#!/usr/bin/env bash
# End to end for SMTP: a real `roost serve` with MX, submission (STARTTLS) and submissions
# (implicit TLS) listeners, driven by Python's smtplib and raw sockets (scripts/test-smtp.py),
# swaks and msmtp; messages read back through POP3; the per-client rate limit; and SIGKILL
# during a load run (every message that got 250 is there after restart, exactly once).
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test-smtp
. scripts/test-lib.sh
for tool in swaks msmtp; do command -v $tool >/dev/null || fail "$tool is not installed (scripts/install-deps.sh)"; done

echo "alice-pw-1" > "$tmp/pw-alice"
echo "bob-pw-2" > "$tmp/pw-bob"
"$bin" init --domain example.org --user alice --password-file "$tmp/pw-alice" --config "$tmp/roost.toml" --data "$tmp/data" >/dev/null \
  || fail "init"
mx=$(free_port); sub=$(free_port); subs=$(free_port); pop=$(free_port)
write_config() { # messages-per-minute
  python3 scripts/test_config.py "$tmp/roost.toml" "smtp:$mx:starttls" "submission:$sub:starttls" \
    "submissions:$subs:implicit" "pop3:$pop:starttls" <<TOML
[limits]
message_size = 200000
smtp_idle_timeout = 3
smtp_line_timeout = 2
smtp_messages_per_minute = $1
auth_failures_per_ip = 1000

[metrics]
enabled = false
TOML
}
# Each run's log on its own, so the checks below read only the latest start.
stop() { stop_roost; : > "$tmp/serve.log"; }

write_config 100000
start_roost
"$bin" user add bob@example.org --password-file "$tmp/pw-bob" --config "$tmp/roost.toml" >/dev/null || fail "user add bob"
"$bin" alias add team@example.org alice@example.org bob@example.org --config "$tmp/roost.toml" >/dev/null || fail "alias add"

fixture="$tmp/fixture.json"
cat > "$fixture" <<JSON
{"mx": $mx, "submission": $sub, "submissions": $subs, "pop3": $pop, "cafile": "$tmp/data/tls/cert.pem",
 "alice": "alice@example.org", "alice_password": "$(cat "$tmp/pw-alice")",
 "bob": "bob@example.org", "bob_password": "$(cat "$tmp/pw-bob")", "message_size": 200000, "line_timeout": 2, "idle_timeout": 3,
 "sent": "$tmp/sent.json"}
JSON
python3 scripts/test-smtp.py clients "$fixture" || fail "smtplib and raw-socket scenarios"

# --- swaks: plain MX, STARTTLS + AUTH PLAIN on submission, implicit TLS + AUTH LOGIN
swaks --server 127.0.0.1 --port "$mx" --from sender@example.com --to alice@example.org --helo swaks.example \
  --header "X-Test-Id: swaks-plain" --body "via swaks" > "$tmp/swaks1" 2>&1 || fail "swaks plain: $(tail -5 "$tmp/swaks1")"
swaks --server 127.0.0.1 --port "$sub" -tls --auth PLAIN --auth-user alice@example.org --auth-password "$(cat "$tmp/pw-alice")" \
  --from alice@example.org --to bob@example.org --header "X-Test-Id: swaks-starttls" > "$tmp/swaks2" 2>&1 \
  || fail "swaks STARTTLS: $(tail -5 "$tmp/swaks2")"
swaks --server 127.0.0.1 --port "$subs" --tlsc --auth LOGIN --auth-user alice@example.org --auth-password "$(cat "$tmp/pw-alice")" \
  --from alice@example.org --to alice@example.org --header "X-Test-Id: swaks-tls" --pipeline > "$tmp/swaks3" 2>&1 \
  || fail "swaks implicit TLS: $(tail -5 "$tmp/swaks3")"
# swaks relaying through the MX without authentication is refused.
if swaks --server 127.0.0.1 --port "$mx" --from a@example.com --to victim@elsewhere.example > "$tmp/swaks4" 2>&1; then fail "swaks relayed"; fi
grep -q "550 5.7.1" "$tmp/swaks4" || fail "swaks relay refusal: $(tail -5 "$tmp/swaks4")"

# --- msmtp over STARTTLS and implicit TLS with AUTH
cat > "$tmp/msmtprc" <<RC
defaults
auth on
user alice@example.org
password $(cat "$tmp/pw-alice")
tls on
tls_trust_file $tmp/data/tls/cert.pem
tls_certcheck off
host 127.0.0.1
from alice@example.org

account starttls
port $sub
tls_starttls on

account implicit
port $subs
tls_starttls off
RC
chmod 600 "$tmp/msmtprc"
printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: msmtp\r\nX-Test-Id: msmtp-starttls\r\n\r\nhello from msmtp\r\n' \
  | msmtp -C "$tmp/msmtprc" -a starttls bob@example.org || fail "msmtp STARTTLS"
printf 'From: alice@example.org\r\nTo: alice@example.org\r\nSubject: msmtp\r\nX-Test-Id: msmtp-tls\r\n\r\nhello again\r\n' \
  | msmtp -C "$tmp/msmtprc" -a implicit alice@example.org || fail "msmtp implicit TLS"
python3 scripts/test-smtp.py tools "$fixture" || fail "messages from swaks and msmtp"

# --- the journal: outbound-queued for remote recipients, filter decisions for refused checks
"$bin" journal dump --data "$tmp/data" > "$tmp/dump"
grep -q 'outbound-queued' "$tmp/dump" || fail "no outbound-queued event"
grep -q 'stage="smtp-helo"' "$tmp/dump" || fail "no filter decision for the invalid HELO: $(grep filter "$tmp/dump" | head -3)"
grep -q 'stage="sender" verdict="reject"' "$tmp/dump" || fail "no filter decision for the non-FQDN sender"
if grep -q "alice-pw-1" "$tmp/serve.log"; then fail "a password reached the log"; fi
stop

# --- the per-client rate limit: 3 messages a minute, the 4th MAIL gets 450 4.7.1, recorded once
write_config 3
start_roost
python3 scripts/test-smtp.py ratelimit "$fixture" || fail "rate limit"
"$bin" journal dump --data "$tmp/data" > "$tmp/dump"
[ "$(grep -c 'stage="smtp-rate"' "$tmp/dump")" -eq 1 ] || fail "rate-limit decisions: $(grep -c 'stage="smtp-rate"' "$tmp/dump")"
stop

# --- SIGKILL during a load run: every message that got 250 is there after restart, exactly once
write_config 0
start_roost
python3 scripts/test-smtp.py load "$fixture" > "$tmp/load.out" 2>&1 &
loader=$!
sleep 4
kill -9 "$server"; wait "$server" 2>/dev/null || true; server=""
wait "$loader" || fail "load: $(tail -5 "$tmp/load.out")"
start_roost
grep -q "journal recovered\|journal open" "$tmp/serve.log" || fail "restart"
python3 scripts/test-smtp.py verify-load "$fixture" || fail "messages acknowledged before SIGKILL"
stop
echo "test-smtp: ok"

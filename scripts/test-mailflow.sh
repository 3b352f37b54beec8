#!/usr/bin/env bash
# End to end over a real `roost serve`: messages arrive over SMTP and are read by real clients.
# getmail6 downloads the INBOX over POP3 (keep, then delete; byte-identical; a second run fetches
# nothing new), an IMAP session in IDLE sees an SMTP delivery within 1 s, and a 21 MiB message
# comes back byte-identical over IMAP FETCH and POP3 RETR with the server's memory bounded.
# The scenarios are in scripts/test-mailflow.py.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test-mailflow
. scripts/test-lib.sh
command -v getmail >/dev/null || fail "getmail is not installed (scripts/install-deps.sh)"

echo "alice-pw-1" > "$tmp/pw-alice"
"$bin" init --domain example.org --user alice --password-file "$tmp/pw-alice" --config "$tmp/roost.toml" --data "$tmp/data" >/dev/null \
  || fail "init"
mx=$(free_port); pop3s=$(free_port); imaps=$(free_port)
python3 scripts/test_config.py "$tmp/roost.toml" "smtp:$mx:starttls" "pop3s:$pop3s:implicit" "imaps:$imaps:implicit" <<'TOML'
[limits]
message_size = 41943040

[metrics]
enabled = false
TOML
# A fixed glibc mmap threshold: large buffers are mapped and unmapped, never kept by malloc for
# reuse, so the server's RssAnon is its live memory and the `large` scenario's measure is exact.
MALLOC_MMAP_THRESHOLD_=131072 start_roost

cat > "$tmp/fixture.json" <<JSON
{"mx": $mx, "pop3s": $pop3s, "imaps": $imaps, "cafile": "$tmp/data/tls/cert.pem", "server_pid": $server,
 "user": "alice@example.org", "password": "$(cat "$tmp/pw-alice")", "work": "$tmp"}
JSON
for scenario in ${MAILFLOW_SCENARIOS:-getmail fetchmail idle-smtp large}; do
  python3 scripts/test-mailflow.py "$scenario" "$tmp/fixture.json" || fail "scenario $scenario"
done
stop_roost
echo "test-mailflow: ok"

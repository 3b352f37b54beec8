#!/usr/bin/env bash
# End to end for DKIM, DMARC and Authentication-Results (docs/pipeline.md): messages signed
# just now by dkimpy and OpenDKIM (scripts/make-dkim-fixtures.py, fresh keys in a dkim.test
# zone) are served by the Knot test server (scripts/dns-test-server.sh); a real `roost serve`
# checks them after DATA; Python smtplib sends, imaplib reads the delivered headers
# (scripts/test-dmarc.py); `roost audit --rejected` shows the DMARC refusal.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build --show-bin-path)/roost"
tmp="$(mktemp -d)"
server=""
dns=""
cleanup() {
  [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
  [ -n "$dns" ] && scripts/dns-test-server.sh stop "$dns" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "test-dmarc: FAIL: $*" >&2; [ -f "$tmp/serve.log" ] && tail -30 "$tmp/serve.log" >&2; exit 1; }
command -v python3 >/dev/null || fail "python3 is not installed"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

python3 scripts/make-dkim-fixtures.py "$tmp/signed" > "$tmp/sign.log" 2>&1 || { cat "$tmp/sign.log" >&2; fail "signing the test messages"; }
dns=$(free_port)
ROOST_DNS_OWNER_PID=$$ ROOST_DNS_EXTRA_ZONES="$tmp/signed/dns" scripts/dns-test-server.sh start "$dns" > "$tmp/dns.log" 2>&1 \
  || { cat "$tmp/dns.log" >&2; fail "DNS test server"; }

echo "alice-pw-1" > "$tmp/pw-alice"
"$bin" init --domain example.org --hostname mx.example.org --user alice --password-file "$tmp/pw-alice" \
  --config "$tmp/roost.toml" --data "$tmp/data" >/dev/null || fail "init"
mx=$(free_port); imap=$(free_port)
python3 - "$tmp/roost.toml" "$mx" "$imap" "$dns" <<'PY'
import sys
path, mx, imap, ns = sys.argv[1:]
text = open(path).read()
text = text[:text.index("\n[[listeners]]") + 1]
for proto, port in [("smtp", mx), ("imap", imap)]:
    text += f'[[listeners]]\nprotocol = "{proto}"\naddress = "127.0.0.1"\nport = {port}\ntls = "starttls"\n\n'
text += f'''[limits]
smtp_messages_per_minute = 0

[metrics]
enabled = false

[dns]
nameservers = ["127.0.0.1:{ns}"]
timeout = 0.5
attempts = 1

[pipeline]
stages = ["sender", "spf", "dkim", "dmarc"]
trusted_networks = []

[policy]
"spf.fail" = "accept"
"dmarc.reject" = "reject"
"dmarc.quarantine" = "junk"
'''
open(path, "w").write(text)
PY
"$bin" serve --config "$tmp/roost.toml" > "$tmp/serve.out" 2> "$tmp/serve.log" &
server=$!
for _ in $(seq 1 600); do grep -q "roost is running" "$tmp/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q "roost is running" "$tmp/serve.log" || fail "serve did not start"

cat > "$tmp/fixture.json" <<JSON
{"mx": $mx, "imap": $imap, "cafile": "$tmp/data/tls/cert.pem", "alice": "alice@example.org",
 "alice_password": "$(cat "$tmp/pw-alice")", "signed": "$tmp/signed/dkim", "authserv": "mx.example.org"}
JSON
python3 scripts/test-dmarc.py "$tmp/fixture.json" || fail "SMTP/IMAP scenarios"

"$bin" audit --data "$tmp/data" --rejected > "$tmp/audit-rejected.txt" || fail "audit --rejected"
cat "$tmp/audit-rejected.txt"
for want in "MAIL FROM:<bounce@other.test>" "dkim: accept (none)" "dmarc: reject" "dmarc.reject → reject" "header.from=dkim.test" \
            "no aligned SPF or DKIM pass" "dkim: accept (fail)" "body hash mismatch"; do
  grep -qF "$want" "$tmp/audit-rejected.txt" || fail "audit --rejected lacks '$want'"
done
kill -TERM "$server"; wait "$server" || fail "serve exited non-zero"; server=""
echo "test-dmarc: ok"

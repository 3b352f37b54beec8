#!/usr/bin/env bash
# End to end for the inbound pipeline (docs/pipeline.md): a local authoritative DNS server
# (scripts/dns-test-server.sh, Knot) serves SPF, PTR and a DNSBL zone from Tests/Fixtures/dns;
# a real `roost serve` with [dns] pointed at it; Python smtplib clients from several loopback
# addresses (scripts/test-pipeline.py); `roost audit` (text and --json) on the results, while
# the server runs and after it stopped; and a nameserver that never answers gives 4xx.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test-pipeline
. scripts/test-lib.sh
dns=""
on_exit '[ -n "$dns" ] && scripts/dns-test-server.sh stop "$dns" >/dev/null 2>&1'

# Two consecutive free UDP/TCP ports: the DNS server and its never-answering neighbour.
free_pair() { python3 - <<'PY'
import socket
for _ in range(200):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p > 65000: continue
    ok = True
    for port in (p, p + 1):
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            t = socket.socket(socket.AF_INET, kind)
            try: t.bind(("127.0.0.1", port))
            except OSError: ok = False
            finally: t.close()
    if ok: print(p); break
PY
}

dns=$(free_pair)
[ -n "$dns" ] || fail "no free port pair for the DNS server"
ROOST_DNS_OWNER_PID=$$ scripts/dns-test-server.sh start "$dns" > "$tmp/dns.log" 2>&1 || { cat "$tmp/dns.log" >&2; fail "DNS test server"; }

echo "alice-pw-1" > "$tmp/pw-alice"
"$bin" init --domain example.org --user alice --password-file "$tmp/pw-alice" --config "$tmp/roost.toml" --data "$tmp/data" >/dev/null \
  || fail "init"
mx=$(free_port); imap=$(free_port)
write_config() { # nameserver-port policy-softfail
  python3 scripts/mx-test-config.py "$tmp/roost.toml" "$mx" "$imap" "$1" <<'TOML'
[pipeline]
stages = ["sender", "sender-domain", "spf", "rdns", "dnsbl"]
trusted_networks = []
junk_score = 5

[[pipeline.dnsbl]]
zone = "dnsbl.test"
score = 4
codes = { "127.0.0.2" = "listed for testing" }

[policy]
"spf.fail" = "reject"
"spf.softfail" = "junk"
rdns.none = "score 1.5"
"dnsbl.listed" = "reject"
TOML
}

write_config "$dns"
start_roost
grep -q 'inbound checks.*stages=sender,sender-domain,spf,rdns,dnsbl' "$tmp/serve.log" || fail "the pipeline was not configured: $(grep inbound "$tmp/serve.log")"
fixture="$tmp/fixture.json"
cat > "$fixture" <<JSON
{"mx": $mx, "imap": $imap, "cafile": "$tmp/data/tls/cert.pem", "alice": "alice@example.org", "alice_password": "$(cat "$tmp/pw-alice")", "out": "$tmp/sent.json"}
JSON
python3 scripts/test-pipeline.py send "$fixture" || fail "SMTP scenarios"

# --- roost audit while the server runs (read-only journal access)
"$bin" audit --data "$tmp/data" --message-id "<pass-1@pipeline.test>" > "$tmp/audit-pass.txt" || fail "audit by Message-ID"
cat "$tmp/audit-pass.txt"
for want in "MAIL FROM:<ann@pass.pipeline.test>" "RCPT TO:<alice@example.org>" "client: 127.0.0.10" "HELO mail.pipeline.test" \
            "sender: accept (valid)" "SENDER_FQDN" "sender-domain: accept (pass)" "MX pass.pipeline.test: 10 mail.pipeline.test" \
            "spf: accept (pass)" "rdns: accept (confirmed)" "127.0.0.10 has PTR mail.pipeline.test, which has A 127.0.0.10" \
            "dnsbl: accept (none)" "127.0.0.10 not listed in dnsbl.test" "policy: accept" "delivered to alice@example.org INBOX"; do
  grep -qF "$want" "$tmp/audit-pass.txt" || fail "audit output lacks '$want'"
done
seq=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pass"])' "$tmp/sent.json")
"$bin" audit --data "$tmp/data" --sequence "$seq" --json > "$tmp/audit-pass.json" || fail "audit --sequence --json"
"$bin" audit --data "$tmp/data" --user alice@example.org --mailbox INBOX --uid 2 --json > "$tmp/audit-junk.json" || fail "audit --user --mailbox --uid"
"$bin" audit --data "$tmp/data" --rejected --since 1h > "$tmp/audit-rejected.txt" || fail "audit --rejected"
"$bin" audit --data "$tmp/data" --rejected --json > "$tmp/audit-rejected.json" || fail "audit --rejected --json"
python3 scripts/test-pipeline.py audit "$fixture" "$tmp/audit-pass.json" "$tmp/audit-junk.json" "$tmp/audit-rejected.json" \
  || fail "audit JSON: $(head -c 3000 "$tmp/audit-junk.json")"
grep -q "MAIL FROM:<eve@fail.pipeline.test>" "$tmp/audit-rejected.txt" || fail "rejected list lacks the SPF-failing sender: $(cat "$tmp/audit-rejected.txt")"
grep -q "spf: reject (fail)" "$tmp/audit-rejected.txt" || fail "rejected list lacks the SPF decision"
grep -q "dnsbl: reject (listed)" "$tmp/audit-rejected.txt" || fail "rejected list lacks the DNSBL decision"
grep -q "spf: tempfail (temperror)" "$tmp/audit-rejected.txt" || fail "rejected list lacks the SERVFAIL tempfail"
set +e; "$bin" audit --data "$tmp/data" --message-id "<nothing@pipeline.test>" 2> "$tmp/audit-none.err"; rc=$?; set -e
[ $rc -ne 0 ] && grep -q "no message with Message-ID" "$tmp/audit-none.err" || fail "audit of an unknown Message-ID: rc=$rc $(cat "$tmp/audit-none.err")"
stop_roost

# --- the same with the server stopped, and the later flag change and move are in the story
"$bin" audit --data "$tmp/data" --message-id "soft-1@pipeline.test" > "$tmp/audit-soft.txt" || fail "audit with the server stopped"
cat "$tmp/audit-soft.txt"
for want in "spf: junk (softfail)" "policy: junk" "delivered to alice@example.org Junk" 'flags +\Seen in alice@example.org Junk' \
            "moved from alice@example.org Junk to alice@example.org INBOX" "by alice@example.org via imap"; do
  grep -qF "$want" "$tmp/audit-soft.txt" || fail "audit of the junked message lacks '$want'"
done

# --- a nameserver that never answers: every check times out, the client gets 4xx, never 2xx or 5xx
write_config "$((dns + 1))"
start_roost
python3 scripts/test-pipeline.py timeout "$fixture" || fail "DNS timeout scenario"
stop_roost
echo "test-pipeline: ok"

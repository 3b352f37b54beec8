#!/usr/bin/env bash
# End to end for DKIM, DMARC and Authentication-Results (docs/pipeline.md): messages signed
# just now by dkimpy and OpenDKIM (scripts/make-dkim-fixtures.py, fresh keys in a dkim.test
# zone) are served by the Knot test server (scripts/dns-test-server.sh); a real `roost serve`
# checks them after DATA; Python smtplib sends, imaplib reads the delivered headers
# (scripts/test-dmarc.py); `roost audit --rejected` shows the DMARC refusal; `roost replay` re-runs
# the checks and, after a policy change, lists exactly the message whose decision changes.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST_NAME=test-dmarc
. scripts/test-lib.sh
dns=""
on_exit '[ -n "$dns" ] && scripts/dns-test-server.sh stop "$dns" >/dev/null 2>&1'

python3 scripts/make-dkim-fixtures.py "$tmp/signed" > "$tmp/sign.log" 2>&1 || { cat "$tmp/sign.log" >&2; fail "signing the test messages"; }
dns=$(free_port)
ROOST_DNS_OWNER_PID=$$ ROOST_DNS_EXTRA_ZONES="$tmp/signed/dns" scripts/dns-test-server.sh start "$dns" > "$tmp/dns.log" 2>&1 \
  || { cat "$tmp/dns.log" >&2; fail "DNS test server"; }

echo "alice-pw-1" > "$tmp/pw-alice"
"$bin" init --domain example.org --hostname mx.example.org --user alice --password-file "$tmp/pw-alice" \
  --config "$tmp/roost.toml" --data "$tmp/data" >/dev/null || fail "init"
mx=$(free_port); imap=$(free_port)
python3 scripts/mx-test-config.py "$tmp/roost.toml" "$mx" "$imap" "$dns" <<'TOML'
[pipeline]
stages = ["sender", "spf", "dkim", "dmarc"]
trusted_networks = []

[policy]
"spf.fail" = "accept"
"dmarc.reject" = "reject"
"dmarc.quarantine" = "junk"
TOML
start_roost

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
stop_roost

# --- roost replay: the same config decides the same; a changed policy lists exactly the message it changes
"$bin" replay --config "$tmp/roost.toml" --from 1 --dry-run > "$tmp/replay-same.txt" || fail "replay: $(cat "$tmp/replay-same.txt")"
grep -qx "replay: 4 messages re-run, 0 would change (dry run)" "$tmp/replay-same.txt" || fail "replay with the same config: $(cat "$tmp/replay-same.txt")"
sed -i 's/^"dmarc.quarantine" = "junk"$/"dmarc.quarantine" = "accept"/' "$tmp/roost.toml"
"$bin" replay --config "$tmp/roost.toml" --from 1h > "$tmp/replay-changed.txt" || fail "replay --from 1h"
cat "$tmp/replay-changed.txt"
grep -qx "replay: 4 messages re-run, 1 would change (dry run)" "$tmp/replay-changed.txt" || fail "replay after the policy change"
grep -q "^#[0-9]* <sale-1@shop.dkim.test> from <bounce@other.test>:$" "$tmp/replay-changed.txt" || fail "replay names the changed message"
grep -qF "  dmarc: junk (quarantine) → accept (quarantine)" "$tmp/replay-changed.txt" || fail "replay shows the dmarc change"
grep -qF "  policy: junk → accept" "$tmp/replay-changed.txt" || fail "replay shows the policy change"
"$bin" replay --config "$tmp/roost.toml" --from 1 --apply > "$tmp/replay-apply.txt" || fail "replay --apply: $(cat "$tmp/replay-apply.txt")"
grep -q "^replay: appended [0-9]* decisions" "$tmp/replay-apply.txt" || fail "replay --apply: $(cat "$tmp/replay-apply.txt")"
# The consequence follows the new policy: the message no longer judged junk leaves Junk.
grep -qx "replay: moved 1 message from Junk to INBOX" "$tmp/replay-apply.txt" || fail "replay --apply moves the message back: $(cat "$tmp/replay-apply.txt")"
"$bin" replay --config "$tmp/roost.toml" --from 1 > "$tmp/replay-after.txt" || fail "replay after --apply"
grep -qx "replay: 4 messages re-run, 0 would change (dry run)" "$tmp/replay-after.txt" || fail "after --apply the new decisions are the recorded ones: $(cat "$tmp/replay-after.txt")"
"$bin" audit --data "$tmp/data" --message-id "sale-1@shop.dkim.test" > "$tmp/audit-sale.txt" || fail "audit of the replayed message"
grep -qF "re-run of #" "$tmp/audit-sale.txt" || fail "audit shows the replayed decisions: $(cat "$tmp/audit-sale.txt")"
grep -qF "moved from alice@example.org Junk to alice@example.org INBOX (by replay" "$tmp/audit-sale.txt" || fail "audit shows the replay's move: $(cat "$tmp/audit-sale.txt")"
# And back: with the old policy again the message is junk once more and returns to Junk.
sed -i 's/^"dmarc.quarantine" = "accept"$/"dmarc.quarantine" = "junk"/' "$tmp/roost.toml"
"$bin" replay --config "$tmp/roost.toml" --from 1 --apply > "$tmp/replay-back.txt" || fail "replay --apply back: $(cat "$tmp/replay-back.txt")"
grep -qx "replay: moved 1 message from INBOX to Junk" "$tmp/replay-back.txt" || fail "replay --apply moves the message to Junk: $(cat "$tmp/replay-back.txt")"
echo "test-dmarc: ok"

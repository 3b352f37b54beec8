#!/usr/bin/env bash
# Cross-checks SEARCH (RFC 9051 §6.4.4) against a real Dovecot: the same messages are appended
# to both (same bytes, flags and internal dates), a generated set of UID SEARCH commands runs on
# both, and every answer must be the same (scripts/compare_search_dovecot.py).
#
# Messages: the repository's fixtures always, and a sample of the shared corpus when present.
# Installs dovecot-imapd if missing (as scripts/compare-dovecot.sh does); Roost runs as a real
# `roost serve`. Env: CORPUS=/work/shared/corpus  SEARCH_SAMPLE=80  KEEP_TMP=1
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/throwaway-dovecot.sh
CORPUS="${CORPUS:-/work/shared/corpus}"
SEARCH_SAMPLE="${SEARCH_SAMPLE:-80}"

if ! dpkg-query -W -f='${Status}' dovecot-imapd 2>/dev/null | grep -q "install ok installed"; then
  echo "compare-search-dovecot: installing dovecot-imapd"
  apt-get update </dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd </dev/null
fi
DOVECOT="$(command -v dovecot || echo /usr/sbin/dovecot)"
bin="$(swift build --show-bin-path)/roost"

TMP="$(mktemp -d /tmp/roost-search.XXXXXX)"
chmod 0755 "$TMP"  # Dovecot's mail processes run as nobody
DOVECOT_PID="" SERVER=""
cleanup() {
  [[ -n "$SERVER" ]] && kill -9 "$SERVER" 2>/dev/null || true
  if [[ -n "$DOVECOT_PID" ]] && kill -0 "$DOVECOT_PID" 2>/dev/null; then kill "$DOVECOT_PID" 2>/dev/null || true; wait "$DOVECOT_PID" 2>/dev/null || true; fi
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then echo "compare-search-dovecot: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
fail() { echo "compare-search-dovecot: FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 200); do python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# --- messages
MSGS=(Tests/MailMessageTests/IMAP/Fixtures/*.eml)
if [[ -d "$CORPUS/mime" ]]; then
  while read -r f; do MSGS+=("$f"); done < <(find "$CORPUS/mime" "$CORPUS/spam-ham" -name '*.eml' 2>/dev/null | sort |
    awk -v n="$SEARCH_SAMPLE" 'NR % 7 == 1 && c < n { print; c++ }')
else
  echo "compare-search-dovecot: $CORPUS is missing: searching the repository fixtures only"
fi

# --- a throwaway Dovecot with an empty maildir
DPORT="$(free_port)"
throwaway_dovecot_config "$TMP" "$DPORT" "roost-search-$DPORT"
chown -R nobody:nogroup "$TMP/mail"
"$DOVECOT" -c "$TMP/dovecot.conf" -F </dev/null >"$TMP/dovecot.out" 2>&1 &
DOVECOT_PID=$!
wait_port "$DPORT" || { cat "$TMP/dovecot.out" "$TMP/dovecot.log" >&2 2>/dev/null; fail "Dovecot did not start"; }

# --- a real roost serve with one IMAPS listener
echo "s3cret-alice" > "$TMP/pw"
"$bin" init --domain example.org --user alice --password-file "$TMP/pw" --config "$TMP/roost.toml" --data "$TMP/data" > /dev/null || fail "init"
RPORT="$(free_port)"
python3 scripts/test_config.py "$TMP/roost.toml" "imaps:$RPORT:implicit" <<TOML
[metrics]
address = "127.0.0.1"
port = $(free_port)
TOML
"$bin" serve --config "$TMP/roost.toml" > "$TMP/serve.out" 2> "$TMP/serve.log" &
SERVER=$!
wait_port "$RPORT" || { tail -20 "$TMP/serve.log" >&2; fail "roost serve did not start"; }

python3 scripts/compare_search_dovecot.py --roost-port "$RPORT" --cafile "$TMP/data/tls/cert.pem" \
  --roost-user alice@example.org --roost-password s3cret-alice \
  --dovecot-port "$DPORT" --dovecot-user roost --dovecot-password secret \
  --differences scripts/search-dovecot-differences.txt "${MSGS[@]}"

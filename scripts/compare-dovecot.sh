#!/usr/bin/env bash
# Compares Roost's IMAP views of messages (ENVELOPE, BODYSTRUCTURE, BODY, sections, BINARY)
# with what a real Dovecot returns for the same files, byte for byte after normalising only
# what RFC 9051 leaves open (see scripts/compare_dovecot.py).
#
# Installs dovecot-imapd if missing, starts a throwaway Dovecot on 127.0.0.1 (free port) with a
# maildir in a temp dir holding the repository's fixtures and, when /work/shared is there, the
# shared corpus (all of mime/, a sample of spam-ham/). Nothing is copied into the repository.
# Run as root (CI): apt-get needs it, and Dovecot's mail processes run as `nobody`.
#
# Env: CORPUS=/work/shared/corpus   SPAMHAM_SAMPLE=150   KEEP_TMP=1 (keep the temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/throwaway-dovecot.sh
ROOT="$(pwd)"
CORPUS="${CORPUS:-/work/shared/corpus}"
SPAMHAM_SAMPLE="${SPAMHAM_SAMPLE:-150}"

if ! dpkg-query -W -f='${Status}' dovecot-imapd 2>/dev/null | grep -q "install ok installed"; then
  echo "compare-dovecot: installing dovecot-imapd"
  apt-get update </dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd </dev/null
fi
DOVECOT="$(command -v dovecot || echo /usr/sbin/dovecot)"

swift build --product imap-views >/dev/null
VIEWS="$(swift build --show-bin-path)/imap-views"

TMP="$(mktemp -d /tmp/roost-dovecot.XXXXXX)"
chmod 0755 "$TMP"  # Dovecot's auth and mail processes run as other users
DOVECOT_PID=""
cleanup() {
  if [[ -n "$DOVECOT_PID" ]] && kill -0 "$DOVECOT_PID" 2>/dev/null; then
    kill "$DOVECOT_PID" 2>/dev/null || true
    wait "$DOVECOT_PID" 2>/dev/null || true
  fi
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then echo "compare-dovecot: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# --- messages: fixtures always, corpus when present -------------------------------------
MSGS="$TMP/messages"
mkdir -p "$MSGS"
cp Tests/MailMessageTests/IMAP/Fixtures/*.eml "$MSGS/"
if [[ -d "$CORPUS/mime" ]]; then
  cp "$CORPUS"/mime/*.eml "$MSGS/"
  # A deterministic sample of spam-ham (LF line endings, 8-bit headers, broken MIME).
  if [[ -d "$CORPUS/spam-ham" ]]; then
    find "$CORPUS/spam-ham" -name '*.eml' | sort | awk -v n="$SPAMHAM_SAMPLE" 'NR % 23 == 1 && c < n { print; c++ }' |
      while read -r f; do cp "$f" "$MSGS/$(basename "$(dirname "$f")")-$(basename "$f")"; done
  fi
else
  echo "compare-dovecot: $CORPUS is missing: comparing the repository fixtures only"
fi

# --- a throwaway Dovecot ----------------------------------------------------------------
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MAILDIR="$TMP/mail/roost"
throwaway_dovecot_config "$TMP" "$PORT" "roost-compare-$PORT"
i=0
for f in "$MSGS"/*; do
  i=$((i + 1))
  # The original file name rides along in the maildir name so the driver can map UIDs back.
  cp "$f" "$MAILDIR/new/$(printf '%06d' "$i").$(basename "$f" | tr -c 'A-Za-z0-9._\n-' '_')"
done
chown -R nobody:nogroup "$TMP/mail"
"$DOVECOT" -c "$TMP/dovecot.conf" -F </dev/null >"$TMP/dovecot.out" 2>&1 &
DOVECOT_PID=$!
for _ in $(seq 1 100); do
  if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$PORT)))" 2>/dev/null; then break; fi
  if ! kill -0 "$DOVECOT_PID" 2>/dev/null; then cat "$TMP/dovecot.out" "$TMP/dovecot.log" 2>/dev/null >&2; exit 1; fi
  sleep 0.1
done

python3 scripts/compare_dovecot.py \
  --port "$PORT" --user roost --password secret \
  --views "$VIEWS" --maildir "$MAILDIR" \
  --differences Tests/MailMessageTests/IMAP/dovecot-differences.txt ${COMPARE_ARGS:-}

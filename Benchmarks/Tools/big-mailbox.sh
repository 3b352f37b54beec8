#!/usr/bin/env bash
# A 100 000-message mailbox, Roost against Dovecot in the same run (issue 11): SELECT,
# UID FETCH 1:* (FLAGS), FETCH 1:* ENVELOPE and header SEARCHes, timed over IMAP on loopback.
#
#   flock /tmp/roost-classic.lock Benchmarks/Tools/big-mailbox.sh
#
# Roost: a release `roost serve` on a fresh data directory (or DATA=dir, kept between runs: it is
# populated once), user100@example.test, the messages APPENDed over 8 connections. Dovecot: the
# peer of ../shared/bench/setup-peers.sh (set up unless SKIP_PEERS_SETUP=1), the same messages
# written as maildir files into /var/vmail/example.test/user100 and indexed by an untimed first
# SELECT + FETCH. Then big-mailbox.py times each command (best of ROUNDS after a warm-up).
# Knobs: MESSAGES (100000), ROUNDS (3), DATA (fresh temporary directory), SKIP_BUILD=1,
# SKIP_PEERS_SETUP=1, SKIP_DOVECOT=1, CONFIGURATION (release), ROOST_IMAP_PORT (11143). Needs root
# for the peer. scripts/test-loadgen.sh runs it small, Roost only, so that it cannot rot.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. Benchmarks/Tools/bench-lib.sh
shared="${ROOST_SHARED:-$root/../shared}"
MESSAGES="${MESSAGES:-100000}"; ROUNDS="${ROUNDS:-3}"
R_IMAP="${ROOST_IMAP_PORT:-11143}"; D_IMAP=1243; conf="${CONFIGURATION:-release}"
tool="$root/Benchmarks/Tools/big-mailbox.py"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then swift build -c "$conf" --product roost; fi
roost="$(swift build -c "$conf" --show-bin-path)/roost"

tmp="$(mktemp -d /tmp/roost-big.XXXXXX)"
data="${DATA:-$tmp/data}"
server=""
cleanup() {
  [[ -n "$server" ]] && { kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null; } || true
  rm -rf "$tmp"
}
trap cleanup EXIT
echo secret > "$tmp/pw"
fresh=0
if [[ ! -d "$data/journal" ]]; then
  fresh=1
  "$roost" init --domain example.test --user user100 --password-file "$tmp/pw" --config "$tmp/init.toml" \
    --data "$data" --hostname mx.roost.test >/dev/null
fi
python3 Benchmarks/Tools/roost_bench.py "$data" "imap:$R_IMAP:none" > "$tmp/roost.toml" <<'TOML'
[limits]
connections_per_ip = 1000

[metrics]
enabled = false
TOML
bench_serve "$roost" "$tmp/roost.toml" $R_IMAP "$tmp/serve.log"
if [[ $fresh == 1 ]]; then python3 "$tool" populate-roost $R_IMAP user100@example.test secret "$MESSAGES"; fi

if [[ "${SKIP_DOVECOT:-0}" != 1 ]]; then
  [[ $(id -u) == 0 ]] || { echo "big-mailbox.sh: run as root for the Dovecot peer (or SKIP_DOVECOT=1)" >&2; exit 1; }
  if [[ "${SKIP_PEERS_SETUP:-0}" != 1 ]]; then
    bash "$shared/bench/setup-peers.sh" >"$tmp/peers.log" 2>&1 || { cat "$tmp/peers.log"; exit 1; }
  fi
  box=/var/vmail/example.test/user100
  doveadm kick user100@example.test >/dev/null 2>&1 || true
  rm -rf "$box"
  python3 "$tool" populate-maildir "$box" "$MESSAGES"
  chown -R vmail:vmail /var/vmail/example.test
fi

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$tool" time roost $R_IMAP user100@example.test secret "$MESSAGES" "$ROUNDS" | tee "$tmp/roost.out"
[[ "${SKIP_DOVECOT:-0}" == 1 ]] || python3 "$tool" time dovecot $D_IMAP user100@example.test secret "$MESSAGES" "$ROUNDS" | tee "$tmp/dovecot.out"
echo "load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; Roost $(git describe --always --dirty), RSS of roost serve $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status) (peak)"

#!/usr/bin/env bash
# Roost against the classic stack, same run, same machine, loopback only (issue 15).
#
#   Benchmarks/Tools/compare-classic.sh            # or: make bench-compare
#
# Sets up Postfix -> Dovecot LMTP and Dovecot IMAP/POP3 with ../shared/bench/setup-peers.sh, starts a
# release `roost serve` on a fresh data directory with the same users, runs RoostLoad against each
# (Roost first, then the peer, for every case), samples the servers' CPU time from /proc (all of the
# peers' processes, Postfix's and Dovecot's children included) and RSS/PSS with rss-sample.py, and
# prints a Markdown table for BENCHMARKS.md (also written to $OUT).
#
# Knobs (environment): SMTP_MESSAGES (3000), SMTP_SESSIONS (32), SMTP_SIZE (4096), IMAP_USERS ("10 50"),
# IMAP_SECONDS (15), IMAP_POPULATE (100), POP3_USERS (10), POP3_MESSAGES (100), POP3_ROUNDS (10),
# REPEAT (1: how often the whole set is run), CASES ("smtp imap pop3"), OUT (/tmp/roost-compare.md),
# SKIP_BUILD=1, SKIP_PEERS_SETUP=1 (peers already running).
# Needs root (the peers' setup installs and starts Postfix and Dovecot).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. Benchmarks/Tools/bench-lib.sh
shared="${ROOST_SHARED:-$root/../shared}"
SMTP_MESSAGES="${SMTP_MESSAGES:-3000}"; SMTP_SESSIONS="${SMTP_SESSIONS:-32}"; SMTP_SIZE="${SMTP_SIZE:-4096}"
IMAP_USERS="${IMAP_USERS:-10 50}"; IMAP_SECONDS="${IMAP_SECONDS:-15}"; IMAP_POPULATE="${IMAP_POPULATE:-100}"
POP3_USERS="${POP3_USERS:-10}"; POP3_MESSAGES="${POP3_MESSAGES:-100}"; POP3_ROUNDS="${POP3_ROUNDS:-10}"
REPEAT="${REPEAT:-1}"; CASES="${CASES:-smtp imap pop3}"; OUT="${OUT:-/tmp/roost-compare.md}"
# Roost's ports (the peers use 2625, 1243, 1210).
R_SMTP=12525; R_IMAP=11143; R_POP3=11110

[[ $(id -u) == 0 ]] || { echo "compare-classic.sh: run as root (the peers' setup needs it)" >&2; exit 1; }
[[ -x "$shared/bench/setup-peers.sh" || -f "$shared/bench/setup-peers.sh" ]] || { echo "no $shared/bench/setup-peers.sh" >&2; exit 1; }

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  swift build -c release --product roost
  (cd Benchmarks && swift build -c release --product RoostLoad)
fi
roost="$(swift build -c release --show-bin-path)/roost"
load="$(cd Benchmarks && swift build -c release --show-bin-path)/RoostLoad"

# --- the peers: fresh mailboxes, full durability as configured by setup-peers.sh -------------
if [[ "${SKIP_PEERS_SETUP:-0}" != 1 ]]; then
  postfix stop >/dev/null 2>&1 || true
  doveadm stop >/dev/null 2>&1 || true
  rm -rf /var/vmail/example.test
  bash "$shared/bench/setup-peers.sh" >/tmp/roost-compare-peers.log 2>&1 || { cat /tmp/roost-compare-peers.log; exit 1; }
fi
peer_cpu=(--server-exe /usr/lib/postfix/ --server-exe /usr/sbin/postfix --server-exe /usr/sbin/dovecot --server-exe /usr/lib/dovecot/)

# --- Roost: fresh data directory, the same users (SHA512-CRYPT, as Dovecot setups commonly use) -
tmp="$(mktemp -d /tmp/roost-compare.XXXXXX)"
server=""; sampler=""
cleanup() {
  [[ -n "$sampler" ]] && kill "$sampler" 2>/dev/null || true
  [[ -n "$server" ]] && { kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null; } || true
  rm -rf "$tmp"
}
trap cleanup EXIT
# The peers run without TLS on loopback; so does Roost here, for the same work per command.
bench_accounts "$roost" "$tmp" "smtp:$R_SMTP:none" "imap:$R_IMAP:none" "pop3:$R_POP3:none"
bench_serve "$roost" "$tmp/roost.toml" $R_POP3 "$tmp/serve.log"

results="$tmp/results.jsonl"
: > "$results"
# run LABEL CASE -- RoostLoad arguments: one generator run with RSS/PSS sampled alongside.
run() {
  local label="$1" case="$2"; shift 3
  rm -f "$tmp/stop"
  python3 "$shared/bench/rss-sample.py" --secs 3600 --interval 0.5 --stop-file "$tmp/stop" --match roost \
    --label "$label" > "$tmp/rss.txt" &
  sampler=$!
  local out
  out="$("$load" "$@" --label "$label" 2>&1)" || { echo "$out" >&2; touch "$tmp/stop"; wait "$sampler"; sampler=""; return 1; }
  touch "$tmp/stop"; wait "$sampler"; sampler=""
  echo "$out" | grep -v '^RESULT '
  RESULT_JSON="$(echo "$out" | grep '^RESULT ' | sed 's/^RESULT //')" \
  python3 - "$case" "$label" "$results" "$tmp/rss.txt" <<'PY'
import json, os, sys
case, label, path, rss_path = sys.argv[1:]
result = json.loads(os.environ["RESULT_JSON"])
groups = {}
for line in open(rss_path):
    if line.startswith("RSSJSON "):
        groups = json.loads(line[8:])["groups"]
# [procs, max RSS of one, max summed RSS, max summed PSS] per program; only this server's programs.
mine = {g: v for g, v in groups.items() if (g == "roost") == (label == "roost") and g != "TOTAL"}
result["case"] = case
result["rss_kib"] = sum(v[2] for v in mine.values())
result["pss_kib"] = sum(v[3] for v in mine.values())
result["processes"] = sum(v[0] for v in mine.values())
open(path, "a").write(json.dumps(result) + "\n")
PY
}

roost_pid=(--server-pid "$server")
load_avg_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started_at="$(date -u '+%Y-%m-%d %H:%M UTC')"
for round in $(seq 1 "$REPEAT"); do
  for c in $CASES; do
    case "$c" in
      smtp)
        common=(smtp --messages "$SMTP_MESSAGES" --sessions "$SMTP_SESSIONS" --size "$SMTP_SIZE" --recipients 10 --first-user 91)
        run roost "smtp" -- "${common[@]}" --port $R_SMTP --imap-port $R_IMAP "${roost_pid[@]}"
        run postfix+dovecot "smtp" -- "${common[@]}" --port 2625 --imap-port 1243 "${peer_cpu[@]}"
        ;;
      imap)
        for u in $IMAP_USERS; do
          common=(imap --users "$u" --seconds "$IMAP_SECONDS" --populate "$IMAP_POPULATE" --first-user 1)
          run roost "imap-$u" -- "${common[@]}" --port $R_IMAP "${roost_pid[@]}"
          run dovecot "imap-$u" -- "${common[@]}" --port 1243 "${peer_cpu[@]}"
        done
        ;;
      pop3)
        common=(pop3 --users "$POP3_USERS" --messages "$POP3_MESSAGES" --rounds "$POP3_ROUNDS" --first-user 61)
        run roost "pop3" -- "${common[@]}" --port $R_POP3 --imap-port $R_IMAP "${roost_pid[@]}"
        run dovecot "pop3" -- "${common[@]}" --port 1210 --imap-port 1243 "${peer_cpu[@]}"
        ;;
      *) echo "unknown case $c" >&2; exit 2 ;;
    esac
  done
done
load_avg_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- the table ---------------------------------------------------------------------------------
{
  echo "#### $started_at, \`make bench-compare\` (Benchmarks/Tools/compare-classic.sh), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(uname -sr), load average $load_avg_start at the start, $load_avg_end at the end (other sessions' builds share the cores)."
  echo "Versions: Roost $(git describe --always --dirty 2>/dev/null || echo '?') ($(swift --version 2>/dev/null | head -1 | sed 's/^.*Swift version /Swift /; s/ (.*//')), Postfix $(postconf -h mail_version 2>/dev/null), Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1) (mail_location $(doveconf -h mail_location 2>/dev/null), mail_fsync $(doveconf -h mail_fsync 2>/dev/null))."
  echo "Client: RoostLoad (SwiftNIO, 1 event-loop thread) on the same machine."
  echo
  python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def f(x, d=0):
    return f"{x:,.{d}f}".replace(",", " ")
def mem(r):
    return f"{f(r['rss_kib']/1024, 0)} / {f(r['pss_kib']/1024, 0)}"
smtp = [r for r in rows if r["case"] == "smtp"]
if smtp:
    print("| SMTP 4 KiB | sessions | messages | accepted/s | final 250 p50 / p99 ms | all visible after | delivered/s | server CPU / message | RSS / PSS MiB (procs) | client CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in smtp:
        print(f"| {r['label']} | {r['sessions']} | {r['messages']} | **{f(r['accepted_per_second'])}** | {f(r['p50_ms'],1)} / {f(r['p99_ms'],1)} | "
              f"{f(r.get('visible_seconds',0),2)} s | {f(r.get('delivered_per_second',0))} | **{f(r.get('server_cpu_ms_per_message',0),2)} ms** | "
              f"{mem(r)} ({r['processes']}) | {f(r['client_cpu_seconds'],1)} s |")
    print()
imap = [r for r in rows if r["case"].startswith("imap")]
if imap:
    ops = ["SELECT", "FETCH FLAGS ENVELOPE", "FETCH BODY[]", "STORE", "SEARCH", "APPEND", "EXPUNGE", "IDLE"]
    print("| IMAP mix | users | ops/s | " + " | ".join(f"{o} ops/s (p50/p99 ms)" for o in ops) + " | server CPU / op | RSS / PSS MiB (procs) |")
    print("|---|---|---|" + "---|" * len(ops) + "---|---|")
    for r in imap:
        cells = []
        for o in ops:
            c = r["per_command"][o]
            cells.append(f"{f(c['per_second'])} ({f(c['p50_ms'],1)}/{f(c['p99_ms'],1)})")
        print(f"| {r['label']} | {r['users']} | **{f(r['ops_per_second'])}** | " + " | ".join(cells) +
              f" | {f(r.get('server_cpu_ms_per_operation',0),2)} ms | {mem(r)} ({r['processes']}) |")
    print()
pop3 = [r for r in rows if r["case"] == "pop3"]
if pop3:
    print("| POP3 download | users × messages × rounds | messages/s | MB/s | RETR p50 / p99 ms | download per user p50 / max ms | server CPU / message | RSS / PSS MiB (procs) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in pop3:
        per = r['messages'] // max(1, r['users'] * r['rounds'])
        print(f"| {r['label']} | {r['users']} × {per} × {r['rounds']} | **{f(r['messages_per_second'])}** | {f(r['mb_per_second'],1)} | "
              f"{f(r['retr_p50_ms'],2)} / {f(r['retr_p99_ms'],2)} | {f(r['download_p50_ms'])} / {f(r['download_max_ms'])} | "
              f"{f(r.get('server_cpu_ms_per_message',0),3)} ms | {mem(r)} ({r['processes']}) |")
    print()
# Ratios within this run.
def pair(case, key):
    rs = [r for r in rows if r["case"] == case]
    a = [r[key] for r in rs if r["label"] == "roost"]
    b = [r[key] for r in rs if r["label"] != "roost"]
    return (sum(a) / len(a), sum(b) / len(b)) if a and b and sum(b) else None
notes = []
p = pair("smtp", "accepted_per_second")
if p: notes.append(f"SMTP accepted/s Roost ÷ peer = **{p[0]/p[1]:.1f}×**")
p = pair("smtp", "delivered_per_second")
if p: notes.append(f"delivered/s **{p[0]/p[1]:.1f}×**")
for case in sorted({r["case"] for r in imap}):
    p = pair(case, "ops_per_second")
    if p: notes.append(f"{case} ops/s **{p[0]/p[1]:.2f}×**")
p = pair("pop3", "messages_per_second")
if p: notes.append(f"POP3 messages/s **{p[0]/p[1]:.2f}×**")
if notes: print("Same-run ratios: " + "; ".join(notes) + ".")
PY
} | tee "$OUT"

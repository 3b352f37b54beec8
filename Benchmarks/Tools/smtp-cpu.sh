#!/usr/bin/env bash
# Roost's server CPU per accepted-and-delivered SMTP message, Roost alone (issue 9): no peers, own
# ports, so it needs neither root nor the classic-stack lock.
#
#   Benchmarks/Tools/smtp-cpu.sh                      # RoostLoad against a release `roost serve`
#   PROFILE=callgrind Benchmarks/Tools/smtp-cpu.sh    # instructions per message (reproducible under load)
#   PROFILE=perf Benchmarks/Tools/smtp-cpu.sh         # perf record -g of the server during the run
#
# Knobs: MESSAGES (3000; callgrind 400), SESSIONS (32), SIZE (4096), WARMUP (200 messages before the
# measured run), PORT_BASE (32500: SMTP PORT_BASE+25, IMAP PORT_BASE+43), SKIP_BUILD=1, KEEP=1 (keep
# the data directory and profiles; their path is printed), ROOST and LOAD (binaries to use instead
# of the release builds, e.g. Benchmarks/.build/release/roost).
#
# The server is configured as compare-classic.sh configures it (plaintext on loopback, the
# default MX pipeline, default log level), with the same 101 users. The CPU figure is RoostLoad's
# (utime + stime of the server from /proc, from the first connect until every message is visible
# over IMAP STATUS); callgrind counts every instruction of the server from the start of the measured
# run (counters zeroed after the warm-up) to the last `250`, which comes only after the message is
# durable and applied, so nothing of it is left out.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. Benchmarks/Tools/bench-lib.sh
PROFILE="${PROFILE:-none}"
if [[ "$PROFILE" == callgrind ]]; then MESSAGES="${MESSAGES:-400}"; else MESSAGES="${MESSAGES:-3000}"; fi
SESSIONS="${SESSIONS:-32}"; SIZE="${SIZE:-4096}"; WARMUP="${WARMUP:-200}"
PORT_BASE="${PORT_BASE:-32500}"
smtp_port=$((PORT_BASE + 25)); imap_port=$((PORT_BASE + 43))

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  swift build -c release --product roost
  (cd Benchmarks && swift build -c release --product RoostLoad)
fi
roost="${ROOST:-$(swift build -c release --show-bin-path)/roost}"
load="${LOAD:-$(cd Benchmarks && swift build -c release --show-bin-path)/RoostLoad}"

tmp="$(mktemp -d /tmp/roost-smtp-cpu.XXXXXX)"
server=""; perf_pid=""
cleanup() {
  [[ -n "$perf_pid" ]] && { kill -INT "$perf_pid" 2>/dev/null; wait "$perf_pid" 2>/dev/null; } || true
  [[ -n "$server" ]] && { kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null; } || true
  if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
bench_accounts "$roost" "$tmp" "smtp:$smtp_port:none" "imap:$imap_port:none"

case "$PROFILE" in
  callgrind)
    # Valgrind 3.19 gives up on the Swift 6 binary's DWARF 5; the symbol table is enough here.
    strip --strip-debug -o "$tmp/roost" "$roost"
    valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out" \
      "$tmp/roost" serve --config "$tmp/roost.toml" >/dev/null 2>"$tmp/serve.log" &
    ;;
  *) "$roost" serve --config "$tmp/roost.toml" >/dev/null 2>"$tmp/serve.log" & ;;
esac
server=$!
bench_wait_for $imap_port "$tmp/serve.log"

common=(smtp --size "$SIZE" --sessions "$SESSIONS" --recipients 10 --first-user 91 --port "$smtp_port" --label roost)
# Warm-up: connections, caches, SQLite pages, the journal's first segment.
"$load" "${common[@]}" --messages "$WARMUP" --imap-port 0 | grep -v '^RESULT ' | sed 's/^/warm-up: /'

case "$PROFILE" in
  callgrind)
    callgrind_control -z "$server" >/dev/null
    "$load" "${common[@]}" --messages "$MESSAGES" --imap-port 0 | grep -v '^RESULT '
    callgrind_control -d "$server" >/dev/null
    dump="$(ls -t "$tmp"/callgrind.out.* | head -1)"
    total="$(grep -m1 '^totals:' "$dump" | awk '{print $2}')"
    python3 -c "import sys; t=int(sys.argv[1]); n=int(sys.argv[2]); print(f'callgrind: {t:,} instructions for {n} messages = {t/n:,.0f} per message')" "$total" "$MESSAGES"
    callgrind_annotate --inclusive=no "$dump" 2>/dev/null | sed -n '1,60p' > "$tmp/callgrind-top.txt" || true
    echo "top functions (self): $tmp/callgrind-top.txt (KEEP=1 to keep; full dump $dump)"
    [[ "${KEEP:-0}" == 1 ]] || sed -n '1,45p' "$tmp/callgrind-top.txt"
    ;;
  perf)
    perf record -g -o "$tmp/perf.data" -p "$server" >/dev/null 2>&1 &
    perf_pid=$!
    sleep 1
    "$load" "${common[@]}" --messages "$MESSAGES" --imap-port "$imap_port" --server-pid "$server" | grep -v '^RESULT '
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; perf_pid=""
    perf report -i "$tmp/perf.data" --no-children --percent-limit 0.7 --stdio 2>/dev/null | grep -v '^$' | grep '%' | head -60 > "$tmp/perf-top.txt" || true
    echo "perf profile: $tmp/perf.data (KEEP=1 to keep), top: $tmp/perf-top.txt"
    [[ "${KEEP:-0}" == 1 ]] || cat "$tmp/perf-top.txt"
    ;;
  *)
    "$load" "${common[@]}" --messages "$MESSAGES" --imap-port "$imap_port" --server-pid "$server" | grep -v '^RESULT '
    ;;
esac

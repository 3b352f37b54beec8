#!/usr/bin/env bash
# A local authoritative DNS server for tests: Knot DNS (apt: knot) on 127.0.0.1:<port>, UDP and TCP,
# serving every Tests/Fixtures/dns/<zone>.zone as the zone <zone>. Also:
#   - servfail.test: a zone whose file does not load, so every query in it answers SERVFAIL;
#   - 127.0.0.1:<port+1>: a UDP "nameserver" that takes queries and never answers (timeouts).
# Usage: scripts/dns-test-server.sh start <port> | stop <port> | status <port>
# With ROOST_DNS_OWNER_PID=<pid>, the server also stops by itself once that process is gone
# (tests start it this way so a crashed test run leaves nothing behind). Runs as root or not,
# without systemd and without standard input.
set -euo pipefail
# Close every descriptor the caller left open beyond 0-2 (bash's own script descriptor, 255, aside):
# a test process that spawns this script has sockets of its own servers and clients open, and
# Knot, the blackhole and the watchdog below outlive the spawn. Holding a copy of a test's
# listening socket kept connections to it in a backlog nobody accepts (a client waiting for its
# greeting forever), so the daemons must hold nothing of the caller's.
for fd in /proc/$$/fd/*; do
  fd="${fd##*/}"
  if [[ "$fd" =~ ^[0-9]+$ ]] && (( fd > 2 && fd != 255 )); then eval "exec $fd>&-" 2>/dev/null || true; fi
done

cmd="${1:-}"; port="${2:-}"
if [[ -z "$cmd" || ! "$port" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 start|stop|status <port>" >&2; exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
zones="$root/Tests/Fixtures/dns"
run="${TMPDIR:-/tmp}/roost-dns-test-$port"
blackhole_port=$((port + 1))

stop() {
  for f in "$run/watchdog.pid" "$run/blackhole.pid" "$run/knot.pid"; do
    if [[ -f "$f" ]]; then
      pid="$(cat "$f")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$f"
    fi
  done
}

case "$cmd" in
stop)
  stop; rm -rf "$run"; echo "dns-test-server: stopped on port $port"; exit 0 ;;
status)
  [[ -f "$run/knot.pid" ]] && kill -0 "$(cat "$run/knot.pid")" 2>/dev/null && { echo "running"; exit 0; }
  echo "not running"; exit 1 ;;
start) ;;
*) echo "usage: $0 start|stop|status <port>" >&2; exit 2 ;;
esac

knotd="$(command -v knotd || true)"
[[ -z "$knotd" && -x /usr/sbin/knotd ]] && knotd=/usr/sbin/knotd
if [[ -z "$knotd" ]]; then
  echo "dns-test-server: knotd not found: install the 'knot' package (scripts/install-deps.sh does)" >&2
  exit 1
fi

stop
rm -rf "$run"; mkdir -p "$run/db" "$run/zones"
# Copies, so Knot never writes next to the fixtures (and a read-only checkout works).
cp "$zones"/*.zone "$run/zones/"
# ROOST_DNS_EXTRA_ZONES=<dir>: zones a test wrote itself (fresh DKIM keys), replacing same-named ones.
if [[ -n "${ROOST_DNS_EXTRA_ZONES:-}" ]]; then cp "$ROOST_DNS_EXTRA_ZONES"/*.zone "$run/zones/"; fi
# Not a zone file: Knot refuses to load it, and answers SERVFAIL for the zone.
printf 'this is not a zone file (\n' > "$run/zones/servfail.test.zone"

{
  echo "server:"
  echo "    rundir: \"$run\""
  echo "    pidfile: \"$run/knot.pid\""
  echo "    listen: 127.0.0.1@$port"
  echo "    udp-workers: 1"
  echo "    tcp-workers: 1"
  echo "    background-workers: 1"
  echo "database:"
  echo "    storage: \"$run/db\""
  echo "log:"
  echo "  - target: \"$run/knot.log\""
  echo "    any: info"
  echo "template:"
  echo "  - id: default"
  echo "    storage: \"$run/zones\""
  echo "    file: \"%s.zone\""
  echo "    zonefile-sync: -1"
  echo "    zonefile-load: whole"
  echo "    journal-content: none"
  echo "    semantic-checks: off"
  echo "zone:"
  for f in "$run"/zones/*.zone; do
    echo "  - domain: \"$(basename "$f" .zone).\""
  done
} > "$run/knot.conf"

"$knotd" -c "$run/knot.conf" -d </dev/null >"$run/knotd.out" 2>&1 || {
  echo "dns-test-server: knotd failed to start:" >&2; cat "$run/knotd.out" "$run/knot.log" >&2 2>/dev/null; exit 1; }

# The never-answering nameserver: a bound UDP socket nobody reads.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()
while True: time.sleep(3600)
' "$blackhole_port" "$run/blackhole.ready" </dev/null >/dev/null 2>&1 &
echo $! > "$run/blackhole.pid"

if [[ -n "${ROOST_DNS_OWNER_PID:-}" ]]; then
  owner="$ROOST_DNS_OWNER_PID"
  nohup bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" stop "$3"' \
    watchdog "$owner" "$root/scripts/dns-test-server.sh" "$port" </dev/null >/dev/null 2>&1 &
  echo $! > "$run/watchdog.pid"
fi

# Ready when the pid file exists and every fixture zone is loaded (answers its SOA).
for _ in $(seq 100); do
  if [[ -s "$run/knot.pid" && -f "$run/blackhole.ready" ]] && grep -q "loaded" "$run/knot.log" 2>/dev/null; then
    ready=1
    for f in "$zones"/*.zone; do
      z="$(basename "$f" .zone)"
      grep -q "\[$z\.\] loaded" "$run/knot.log" || { ready=0; break; }
    done
    [[ $ready == 1 ]] && { echo "dns-test-server: knot on 127.0.0.1:$port, silent server on 127.0.0.1:$blackhole_port"; exit 0; }
  fi
  sleep 0.1
done
echo "dns-test-server: zones did not load in 10 s:" >&2; cat "$run/knot.log" >&2
stop; exit 1

# Sourced by the benchmark scripts (compare-classic.sh, smtp-cpu.sh, big-mailbox.sh): the Roost
# side's set-up, written once.

# bench_accounts ROOST TMP LISTENER...: a fresh data directory TMP/data (domain example.test) with
# user0…user100@example.test, password "secret" as SHA512-CRYPT (as Dovecot set-ups commonly store
# it), and TMP/roost.toml serving LISTENERs (kind:port:tls, roost_bench.py's form) on loopback,
# with limits high enough for the load generators.
bench_accounts() {
  local roost="$1" tmp="$2"; shift 2
  echo secret > "$tmp/pw"
  "$roost" init --domain example.test --user alice --password-file "$tmp/pw" --config "$tmp/init.toml" \
    --data "$tmp/data" --hostname mx.roost.test >/dev/null
  python3 "$(dirname "${BASH_SOURCE[0]}")/roost_bench.py" "$tmp/data" "$@" > "$tmp/roost.toml" <<'TOML'
[limits]
connections_total = 2000
connections_per_ip = 1000
smtp_messages_per_minute = 0

[metrics]
enabled = false
TOML
  local hash i
  hash="$(openssl passwd -6 -salt roostbench secret)"
  for i in $(seq 0 100); do echo "user$i@example.test:{SHA512-CRYPT}$hash"; done > "$tmp/users"
  "$roost" user import --config "$tmp/roost.toml" "$tmp/users" >/dev/null
}

# bench_wait_for PORT LOG: waits (up to 60 s) until 127.0.0.1:PORT accepts; if the server ($server)
# has exited, prints LOG and exits.
bench_wait_for() {
  local port="$1" log="$2" _
  for _ in $(seq 1 600); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
    kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  echo "roost serve did not listen on $port within 60 s" >&2; cat "$log" >&2; exit 1
}

# bench_serve ROOST CONFIG PORT LOG: starts `roost serve` in the background (its pid in $server,
# its standard error in LOG) and waits until PORT accepts.
bench_serve() {
  "$1" serve --config "$2" >/dev/null 2>"$4" &
  server=$!
  bench_wait_for "$3" "$4"
}

# Sourced by the end-to-end scripts, so each starts, waits for and stops `roost serve` the same way:
#
#   TEST_NAME=test-x
#   . scripts/test-lib.sh
#
# Gives the debug build's `roost` as $bin, a temporary directory $tmp (removed on exit), and:
#   fail MSG              print "TEST_NAME: FAIL: MSG" and the server log's tail, exit 1
#   free_port             a free TCP port on 127.0.0.1
#   wait_for FILE PATTERN SECONDS
#   start_roost           `roost serve --config $tmp/roost.toml`, stderr appended to $tmp/serve.log;
#                         returns once a *new* "roost is running" line appears (so it also works
#                         after a SIGKILL, when the log still holds the previous start's line)
#   stop_roost            SIGTERM; the server must drain and exit 0
#   on_exit CMD           more teardown, run before $tmp is removed
# Variable assignments before start_roost reach the server (bash exports them to the function's
# commands), e.g. `MALLOC_MMAP_THRESHOLD_=131072 start_roost`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${TEST_NAME:?set TEST_NAME before sourcing scripts/test-lib.sh}"
bin="$(swift build --show-bin-path)/roost"
tmp="$(mktemp -d)"
server=""
_exit_hooks=()
on_exit() { _exit_hooks+=("$1"); }
_teardown() {
  [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
  local hook
  for hook in "${_exit_hooks[@]:-}"; do [ -n "$hook" ] && eval "$hook" || true; done
  rm -rf "$tmp"
}
trap _teardown EXIT

fail() {
  echo "$TEST_NAME: FAIL: $*" >&2
  [ -f "$tmp/serve.log" ] && tail -30 "$tmp/serve.log" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 is not installed (scripts/install-deps.sh)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() { # file pattern seconds
  local _
  for _ in $(seq 1 $(( $3 * 10 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

start_roost() {
  local before _
  before=$(grep -c "roost is running" "$tmp/serve.log" 2>/dev/null || true)
  "$bin" serve --config "$tmp/roost.toml" > "$tmp/serve.out" 2>> "$tmp/serve.log" &
  server=$!
  for _ in $(seq 1 600); do
    [ "$(grep -c "roost is running" "$tmp/serve.log" 2>/dev/null || true)" -gt "${before:-0}" ] && return 0
    kill -0 "$server" 2>/dev/null || fail "serve exited while starting"
    sleep 0.1
  done
  fail "serve did not start"
}

stop_roost() {
  local rc
  kill -TERM "$server"
  set +e; wait "$server"; rc=$?; set -e
  server=""
  [ "$rc" -eq 0 ] || fail "serve exited $rc after SIGTERM"
}

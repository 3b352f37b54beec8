#!/usr/bin/env bash
# TLS, reload and metrics checks with real clients (openssl s_client, curl, python3) against
# shared-test-listener, which serves the shared tests' toy SMTP-like protocol with the shared
# server, TLS, SASL and metrics code: STARTTLS and implicit TLS, TLS 1.2 floor, STARTTLS
# injection, certificate reload on SIGHUP and on file change without a restart, metrics moving.
set -euo pipefail
fail() { echo "test-tls: FAIL: $*" >&2; exit 1; }

# The clients this script drives; a missing one is installed, never skipped.
need=()
for p in openssl curl python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" </dev/null
fi

bin="$(swift build --show-bin-path)/shared-test-listener"
[ -x "$bin" ] || fail "$bin not built (swift build --build-tests)"
tmp="$(mktemp -d)"
pid=""
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap 'stop; rm -rf "$tmp"' EXIT

for name in a b; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 2 -nodes \
    -subj "/CN=roost-tls-$name" -keyout "$tmp/$name.key" -out "$tmp/$name.crt" 2>/dev/null
done
serial_of() { openssl x509 -in "$1" -noout -serial; }
# Replace the served files the way certbot does: write aside, rename into place.
install_cert() {
  cp "$tmp/$1.key" "$tmp/key.pem.new"; cp "$tmp/$1.crt" "$tmp/cert.pem.new"
  mv "$tmp/key.pem.new" "$tmp/key.pem"; mv "$tmp/cert.pem.new" "$tmp/cert.pem"
}

start() {  # start POLL_SECONDS
  rm -f "$tmp/ready"
  "$bin" --cert "$tmp/cert.pem" --key "$tmp/key.pem" --ready "$tmp/ready" --poll "$1" \
    --user "demo@roost.test:secret" >"$tmp/listener.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.1; done
  [ -s "$tmp/ready" ] || { cat "$tmp/listener.log" >&2; fail "listener did not start"; }
  read -r st im me <"$tmp/ready"
  starttls=${st#starttls=}; implicit=${im#implicit=}; metrics=${me#metrics=}
}

served_starttls() { openssl s_client -starttls smtp -connect "127.0.0.1:$starttls" </dev/null 2>/dev/null | openssl x509 -noout -serial; }
served_implicit() { openssl s_client -connect "127.0.0.1:$implicit" </dev/null 2>/dev/null | openssl x509 -noout -serial; }
metric() { curl -sf "http://127.0.0.1:$metrics/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }

install_cert a
start 3600

# STARTTLS (openssl speaks the SMTP dialogue: greeting, EHLO, STARTTLS) and implicit TLS.
out="$(printf 'WHOAMI\r\nQUIT\r\n' | timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$starttls" -ign_eof -quiet 2>/dev/null || true)"
echo "$out" | grep -q '^250 anonymous TLSv1\.3' || fail "STARTTLS session: $out"
echo "$out" | grep -q '^221 ' || fail "QUIT after STARTTLS: $out"
out="$(printf 'WHOAMI\r\nQUIT\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$implicit" -ign_eof -quiet 2>/dev/null || true)"
echo "$out" | grep -q '^220 toy' || fail "implicit TLS greeting: $out"
echo "$out" | grep -q '^250 anonymous TLSv1\.3' || fail "implicit TLS session: $out"
[ "$(served_starttls)" = "$(serial_of "$tmp/a.crt")" ] || fail "STARTTLS serves the configured certificate"
[ "$(served_implicit)" = "$(serial_of "$tmp/a.crt")" ] || fail "implicit TLS serves the configured certificate"

# TLS 1.2 is accepted, older versions are not.
printf 'QUIT\r\n' | timeout 20 openssl s_client -tls1_2 -connect "127.0.0.1:$implicit" -ign_eof -quiet 2>/dev/null \
  | grep -q '^221 ' || fail "TLS 1.2 refused"
if printf 'QUIT\r\n' | timeout 20 openssl s_client -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -connect "127.0.0.1:$implicit" -ign_eof -quiet 2>/dev/null | grep -q '^221 '; then
  fail "TLS 1.1 accepted"
fi

# AUTH without TLS is refused outside the dev profile; over TLS it works.
python3 - "$starttls" <<'PY' || fail "AUTH dialogue"
import base64, socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
assert f.readline().startswith(b"220 ")
plain = base64.b64encode(b"\0demo@roost.test\0secret").decode()
s.sendall(f"AUTH PLAIN {plain}\r\n".encode())
line = f.readline()
assert line.startswith(b"538 5.7.11"), line
s.sendall(b"STARTTLS\r\n")
assert f.readline().startswith(b"220 2.0.0"), "go-ahead"
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s); g = t.makefile("rb")
t.sendall(f"AUTH PLAIN {plain}\r\n".encode())
line = g.readline()
assert line.startswith(b"235 "), line
PY

# STARTTLS injection: a command in the same write as STARTTLS is never executed and the
# connection is closed without the go-ahead.
python3 - "$starttls" <<'PY' || fail "STARTTLS injection was not refused"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
assert f.readline().startswith(b"220 ")
s.sendall(b"STARTTLS\r\nEVIL\r\n")
rest = f.read()
assert rest == b"", rest
PY
sleep 0.3
[ -z "$(metric 'roost_commands_total{protocol="toy",command="EVIL"}')" ] || fail "EVIL was executed"
[ "$(metric 'roost_connections_closed_by_server_total{protocol="toy",reason="input_after_starttls"}')" = "1" ] \
  || fail "injection not counted"

# Metrics move: one more connection, one more command.
before="$(metric 'roost_connections_total{protocol="toy"}')"
cmds="$(metric 'roost_commands_total{protocol="toy",command="WHOAMI"}')"
printf 'WHOAMI\r\nQUIT\r\n' | timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$starttls" -ign_eof -quiet >/dev/null 2>&1
sleep 0.3
after="$(metric 'roost_connections_total{protocol="toy"}')"
[ "$after" -eq $((before + 1)) ] || fail "roost_connections_total did not move ($before -> $after)"
[ "$(metric 'roost_commands_total{protocol="toy",command="WHOAMI"}')" -eq $((cmds + 1)) ] || fail "commands did not move"
[ -n "$(metric 'roost_tls_handshakes_total{protocol="toy",result="ok"}')" ] || fail "no TLS handshake count"
curl -sf "http://127.0.0.1:$metrics/metrics" >/dev/null || fail "metrics endpoint"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics/other")" = "404" ] || fail "metrics 404"

# Reload on SIGHUP (the poll is an hour here), with a connection open across it.
cat >"$tmp/longlived.py" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30))
f = t.makefile("rb")
print(f.readline().decode().strip(), flush=True)
sys.stdin.readline()
t.sendall(b"NOOP\r\n")
print(f.readline().decode().strip(), flush=True)
PY
coproc OLD { python3 -u "$tmp/longlived.py" "$implicit"; }
read -r greeting <&"${OLD[0]}"
[[ "$greeting" == 220* ]] || fail "long-lived connection: $greeting"
install_cert b
sleep 0.5
[ "$(served_implicit)" = "$(serial_of "$tmp/a.crt")" ] || fail "reloaded without SIGHUP while the poll is an hour"
kill -HUP "$pid"
sleep 0.5
[ "$(served_implicit)" = "$(serial_of "$tmp/b.crt")" ] || fail "SIGHUP did not reload (implicit)"
[ "$(served_starttls)" = "$(serial_of "$tmp/b.crt")" ] || fail "SIGHUP did not reload (STARTTLS)"
echo >&"${OLD[1]}"
read -r reply <&"${OLD[0]}"
[[ "$reply" == "250 2.0.0 OK" ]] || fail "the connection open across the reload: $reply"
wait "$OLD_PID" 2>/dev/null || true
kill -0 "$pid" || fail "listener died on SIGHUP"
stop

# Reload by noticing the files changed (poll every second), no signal.
install_cert a
start 1
[ "$(served_implicit)" = "$(serial_of "$tmp/a.crt")" ] || fail "restart serves a"
install_cert b
sleep 3
[ "$(served_implicit)" = "$(serial_of "$tmp/b.crt")" ] || fail "file change not picked up by the poll"
# A broken file is refused; the last good certificate stays in service.
echo "garbage" >"$tmp/cert.pem"
sleep 3
[ "$(served_implicit)" = "$(serial_of "$tmp/b.crt")" ] || fail "broken certificate file replaced the good one"
grep -q "reload failed" "$tmp/listener.log" || fail "failed reload not logged"
stop

echo "test-tls: ok"

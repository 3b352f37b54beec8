#!/usr/bin/env bash
# Starts a release `roost serve` on a fresh data directory with an MX listener and runs
# smtp-load.py against it. Usage (from the repository root):
#   swift build -c release --product roost && Benchmarks/Tools/SMTPLoad/smtp-load.sh [SESSIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../../.."
bin="$(swift build -c release --show-bin-path)/roost"
tmp="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill -9 "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
echo "bench-pw" > "$tmp/pw"
"$bin" init --domain example.org --user alice --password-file "$tmp/pw" --config "$tmp/roost.toml" --data "$tmp/data" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$tmp/roost.toml" "$port" <<'PY'
import sys
path, port = sys.argv[1:]
text = open(path).read()
text = text[:text.index("\n[[listeners]]") + 1]
text += f'[[listeners]]\nprotocol = "smtp"\naddress = "127.0.0.1"\nport = {port}\ntls = "none"\n\n'
text += '[limits]\nsmtp_messages_per_minute = 0\nconnections_per_ip = 1000\n\n[metrics]\nenabled = false\n'
open(path, "w").write(text)
PY
"$bin" serve --config "$tmp/roost.toml" > /dev/null 2> "$tmp/serve.log" &
server=$!
for _ in $(seq 1 300); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break; sleep 0.1; done
python3 Benchmarks/Tools/SMTPLoad/smtp-load.py "$server" "$port" alice@example.org "${1:-32}" "${2:-20}"

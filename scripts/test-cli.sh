#!/usr/bin/env bash
# End-to-end checks of the `roost` command line against a real data directory on disk.
set -euo pipefail
bin="$(swift build --show-bin-path)/roost"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-cli: FAIL: $*" >&2; exit 1; }

"$bin" --help | grep -q "journal" || fail "--help does not list journal"

# A journal with sample events, read back three ways.
"$bin" journal demo --data "$tmp/d" | grep -q "appended events 1…8" || fail "demo"
"$bin" journal demo --data "$tmp/d" | grep -q "appended events 9…16" || fail "demo continues the sequence"
dump="$("$bin" journal dump --data "$tmp/d")"
[ "$(echo "$dump" | wc -l)" -eq 16 ] || fail "dump prints one line per event"
echo "$dump" | grep -q '^5 .* message-received .*<[0-9]* bytes "Return-Path' || fail "dump abbreviates bodies"
"$bin" journal dump --data "$tmp/d" --from 15 --bodies | head -1 | grep -q '^15 ' || fail "dump --from"
"$bin" journal dump --data "$tmp/d" --bodies | grep -q 'Every change to this mailbox' || fail "dump --bodies"
stats="$("$bin" journal stats --data "$tmp/d")"
echo "$stats" | grep -q '^events: 16' || fail "stats count"
echo "$stats" | grep -q 'message-received *2 ' || fail "stats per type"
echo "$stats" | grep -q 'compression ratio' || fail "stats ratio"
"$bin" journal verify --data "$tmp/d" | grep -q '^ok: every record' || fail "verify healthy"

# Rebuild of the projections: a database appears; a running writer (holding the lock) blocks it.
"$bin" rebuild --data "$tmp/d" | grep -q 'rebuilt .*projections.sqlite from 16 events' || fail "rebuild"
[ -s "$tmp/d/projections.sqlite" ] || fail "rebuild made no database"
python3 - "$tmp/d/journal/LOCK" "$bin" "$tmp/d" <<'PY' || fail "rebuild while the journal is locked"
import fcntl, subprocess, sys
with open(sys.argv[1], "r+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    r = subprocess.run([sys.argv[2], "rebuild", "--data", sys.argv[3]], capture_output=True, text=True)
    assert r.returncode != 0, r
    assert "locked by another writer" in r.stderr, r.stderr
PY

# Damage in the middle: verify names segment and offset and exits 2; dump refuses.
seg="$tmp/d/journal/00000000000000000001.seg"
# Every bit of the byte flipped: writing a fixed 0xff left the record intact whenever the byte
# (inside the first record's payload, which holds random ids) already was 0xff.
python3 - "$seg" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(60)
    byte = f.read(1)[0]
    f.seek(60)
    f.write(bytes([byte ^ 0xFF]))
PY
set +e
out="$("$bin" journal verify --data "$tmp/d")"; rc=$?
set -e
[ $rc -eq 2 ] || fail "verify of a damaged journal exits $rc, not 2"
echo "$out" | grep -q 'problem: 00000000000000000001.seg offset 16: CRC32C mismatch' || fail "verify names the damage: $out"
echo "$out" | grep -q 'DAMAGED' || fail "verify says damaged"
if "$bin" journal dump --data "$tmp/d" >/dev/null 2>"$tmp/err"; then fail "dump of a damaged journal succeeded"; fi
grep -q 'segment 00000000000000000001.seg at offset 16' "$tmp/err" || fail "dump error names segment and offset"

# A missing data directory is a clear error, not a crash.
if "$bin" journal stats --data "$tmp/nothing-here" 2>"$tmp/err"; then fail "stats of a missing directory succeeded"; fi
grep -qi 'no such file' "$tmp/err" || fail "missing directory error: $(cat "$tmp/err")"

echo "test-cli: ok"

#!/usr/bin/env python3
"""Server memory per idle, authenticated IMAP connection (issue 11: <= 64 KiB each).

    Benchmarks/Tools/idle-connections.py [--connections 1000] [--roost PATH]

Starts a release `roost serve` (default: `swift build -c release --show-bin-path`/roost) on a fresh
data directory with one user, raises its file limit, and:
  1. warms it up (a few connections log in and leave, so that caches, the TLS context and the
     SQLite statements exist), then reads its VmRSS;
  2. opens N plaintext connections on 127.0.0.1 (plaintext_auth_on_loopback), LOGIN on each,
     leaves them idle (not selected) for a few seconds, reads VmRSS again: (after - before) / N;
  3. with those still open, does the same with N implicit-TLS connections (port 993 style);
  4. checks every connection still answers NOOP, then logs out.
Prints one Markdown table row per kind of connection; RssAnon (heap) is shown beside VmRSS.
"""
import argparse
import os
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from roost_bench import loopback_config, stop_server

ap = argparse.ArgumentParser()
ap.add_argument("--connections", type=int, default=1000)
ap.add_argument("--roost")
ap.add_argument("--settle", type=float, default=3.0, help="seconds idle before reading RSS")
ap.add_argument("--select", action="store_true", help="also SELECT INBOX (10 messages) on each connection")
args = ap.parse_args()
N = args.connections
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
roost = args.roost or os.path.join(
    subprocess.check_output(["swift", "build", "-c", "release", "--show-bin-path"], cwd=root, text=True).strip(), "roost")

# The client holds 2N sockets too.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = min(hard, 4 * N + 256) if hard != resource.RLIM_INFINITY else 4 * N + 256
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def status(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "Threads"):
            out[key] = int(value.split()[0])
    return out


tmp = tempfile.mkdtemp(prefix="roost-idle.")
server = None
try:
    with open(f"{tmp}/pw", "w") as f:
        f.write("secret\n")
    subprocess.run([roost, "init", "--domain", "example.test", "--user", "alice", "--password-file", f"{tmp}/pw",
                    "--config", f"{tmp}/init.toml", "--data", f"{tmp}/data", "--hostname", "mx.roost.test"],
                   check=True, stdout=subprocess.DEVNULL)
    imap, imaps = free_port(), free_port()
    with open(f"{tmp}/roost.toml", "w") as f:
        f.write(loopback_config(f"{tmp}/data", [("imap", imap, "none"), ("imaps", imaps, "implicit")], f'''[limits]
connections_total = {4 * N + 100}
connections_per_ip = {4 * N + 100}

[metrics]
enabled = false
'''))
    # A cheap password hash (as the classic comparison uses), so N logins do not take minutes.
    digest = subprocess.check_output(["openssl", "passwd", "-6", "-salt", "roostidle", "secret"], text=True).strip()
    with open(f"{tmp}/users", "w") as f:
        f.write(f"bob@example.test:{{SHA512-CRYPT}}{digest}\n")
    subprocess.run([roost, "user", "import", "--config", f"{tmp}/roost.toml", f"{tmp}/users"], check=True, stdout=subprocess.DEVNULL)

    def raise_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))

    server = subprocess.Popen([roost, "serve", "--config", f"{tmp}/roost.toml"], stdout=subprocess.DEVNULL,
                              stderr=open(f"{tmp}/serve.log", "w"), preexec_fn=raise_limit)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", imap), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None:
                sys.exit(open(f"{tmp}/serve.log").read())
            time.sleep(0.1)

    tls = ssl.create_default_context(cafile=f"{tmp}/data/tls/cert.pem")
    tls.check_hostname = False

    def read_until(sock, tag):
        """Reads until the tagged reply line has arrived."""
        buf = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError(buf)
            buf += chunk
            if buf.endswith(b"\r\n") and any(line.startswith(tag + b" ") for line in buf.split(b"\r\n")):
                return buf

    def connect(secure):
        s = socket.create_connection(("127.0.0.1", imaps if secure else imap), timeout=30)
        if secure:
            s = tls.wrap_socket(s)
        greeting = b""
        while not greeting.endswith(b"\r\n"):
            greeting += s.recv(4096)
        s.sendall(b"a LOGIN bob@example.test secret\r\n")
        reply = read_until(s, b"a")
        if b"a OK" not in reply:
            raise RuntimeError(reply)
        if args.select:
            s.sendall(b"b SELECT INBOX\r\n")
            reply = read_until(s, b"b")
            if b"b OK" not in reply:
                raise RuntimeError(reply)
        return s

    if args.select:
        # Ten messages in bob's INBOX, so a selected session has a mailbox to hold.
        s = socket.create_connection(("127.0.0.1", imap), timeout=30)
        s.recv(4096)
        s.sendall(b"a LOGIN bob@example.test secret\r\n")
        read_until(s, b"a")
        for i in range(10):
            body = f"From: ann@example.net\r\nTo: bob@example.test\r\nSubject: idle {i}\r\n\r\nbody {i}\r\n".encode()
            s.sendall(b"p APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
            if b"p OK" not in read_until(s, b"p"):
                raise RuntimeError("APPEND failed")
        s.close()
    # 1. Warm-up: the first connections build what every later one shares.
    for secure in (False, True):
        for s in [connect(secure) for _ in range(8)]:
            s.sendall(b"z LOGOUT\r\n")
            s.close()
    time.sleep(args.settle)
    rows = []
    held = []
    state = "LOGIN, SELECT INBOX" if args.select else "LOGIN"
    for label, secure in ((f"plaintext (IMAP, {state})", False), (f"implicit TLS (IMAPS, {state})", True)):
        before = status(server.pid)
        start = time.time()
        opened = [connect(secure) for _ in range(N)]
        took = time.time() - start
        held += opened
        time.sleep(args.settle)
        after = status(server.pid)
        per = (after["VmRSS"] - before["VmRSS"]) / N
        anon = (after["RssAnon"] - before["RssAnon"]) / N
        rows.append(f"| {label} | {N} | {before['VmRSS'] / 1024:.1f} → {after['VmRSS'] / 1024:.1f} MiB | "
                    f"**{per:.1f} KiB** | {anon:.1f} KiB | {after['Threads']} | {took:.1f} s |")
    # 4. They are all still there and answer.
    for s in held:
        s.sendall(b"n NOOP\r\n")
    for s in held:
        reply = read_until(s, b"n")
        if b"n OK" not in reply:
            raise RuntimeError(reply)
    for s in held:
        s.sendall(b"z LOGOUT\r\n")
        s.close()
    print("| connections | N | server VmRSS before → after | VmRSS per connection | RssAnon per connection | server threads | N logins took |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
finally:
    stop_server(server)
    shutil.rmtree(tmp, ignore_errors=True)

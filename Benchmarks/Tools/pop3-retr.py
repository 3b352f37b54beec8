#!/usr/bin/env python3
"""How RETR goes out of `roost serve`: socket writes per RETR (strace) and RETR latency (issue 15).

    Benchmarks/Tools/pop3-retr.py --roost PATH [--messages 100] [--rounds 5] [--strace]

Starts the given `roost serve` on a fresh data directory with one user, fills the INBOX over IMAP
APPEND (4 KiB messages), then downloads it over POP3 `--rounds` times on one connection (RETR 1..N,
each waiting for its answer) and prints the RETR latency p50 / p90 / p99. With `--strace`, the
server is traced during the RETR rounds only and the write syscalls (write, writev, sendmsg,
sendto) per RETR are printed: one per RETR means the status line and the message left together.
KEEP_TRACE=FILE keeps the strace output. Compare two binaries in the same run (A/B) rather than
across runs; the machine is noisy.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from roost_bench import loopback_config, stop_server

ap = argparse.ArgumentParser()
ap.add_argument("--roost", required=True)
ap.add_argument("--messages", type=int, default=100)
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--strace", action="store_true")
args = ap.parse_args()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Lines:
    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def until(self, end):
        while end not in self.buf:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        i = self.buf.index(end) + len(end)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out


tmp = tempfile.mkdtemp(prefix="roost-retr.")
server = tracer = None
try:
    open(f"{tmp}/pw", "w").write("secret\n")
    subprocess.run([args.roost, "init", "--domain", "example.test", "--user", "alice", "--password-file", f"{tmp}/pw",
                    "--config", f"{tmp}/init.toml", "--data", f"{tmp}/data", "--hostname", "mx.roost.test"],
                   check=True, stdout=subprocess.DEVNULL)
    imap, pop3 = free_port(), free_port()
    open(f"{tmp}/roost.toml", "w").write(loopback_config(f"{tmp}/data", [("imap", imap, "none"), ("pop3", pop3, "none")], f'''[metrics]
enabled = false
'''))
    digest = subprocess.check_output(["openssl", "passwd", "-6", "-salt", "roostretr", "secret"], text=True).strip()
    open(f"{tmp}/users", "w").write(f"bob@example.test:{{SHA512-CRYPT}}{digest}\n")
    subprocess.run([args.roost, "user", "import", "--config", f"{tmp}/roost.toml", f"{tmp}/users"], check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen([args.roost, "serve", "--config", f"{tmp}/roost.toml"], stdout=subprocess.DEVNULL,
                              stderr=open(f"{tmp}/serve.log", "w"))
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", pop3), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                sys.exit(open(f"{tmp}/serve.log").read())
            time.sleep(0.1)

    # The INBOX: N messages of about 4 KiB.
    s = socket.create_connection(("127.0.0.1", imap), timeout=30)
    r = Lines(s)
    r.until(b"\r\n")
    s.sendall(b"a LOGIN bob@example.test secret\r\n")
    r.until(b"a OK")
    r.until(b"\r\n")
    line = "x" * 76 + "\r\n"
    for i in range(args.messages):
        body = (f"From: ann@example.net\r\nTo: bob@example.test\r\nSubject: retr {i}\r\n\r\n" + line * 52).encode()
        s.sendall(b"p APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
        r.until(b"p OK")
        r.until(b"\r\n")
    s.close()

    s = socket.create_connection(("127.0.0.1", pop3), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    r = Lines(s)
    r.until(b"\r\n")
    s.sendall(b"USER bob@example.test\r\n")
    r.until(b"\r\n")
    s.sendall(b"PASS secret\r\n")
    if not r.until(b"\r\n").startswith(b"+OK"):
        sys.exit("PASS failed")
    if args.strace:
        tracer = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=write,writev,sendmsg,sendto", "-o", f"{tmp}/strace",
                                   "-p", str(server.pid)], stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    latencies = []
    for _ in range(args.rounds):
        for n in range(1, args.messages + 1):
            start = time.perf_counter()
            s.sendall(b"RETR %d\r\n" % n)
            reply = r.until(b"\r\n.\r\n")
            latencies.append(time.perf_counter() - start)
            if not reply.startswith(b"+OK"):
                sys.exit(reply[:200])
    if tracer:
        time.sleep(0.5)
        tracer.terminate()
        tracer.wait()
    s.sendall(b"QUIT\r\n")
    s.close()
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
    retrs = len(latencies)
    print(f"{os.path.basename(args.roost)}: {retrs} RETRs of {len(body)} octets: latency ms p50 {q(0.5):.3f} p90 {q(0.9):.3f} p99 {q(0.99):.3f}")
    if tracer:
        # Writes to fds 1 and 2 are logs; 8-byte writes of 1 are event-loop wakeups (eventfd).
        calls = [l for l in open(f"{tmp}/strace") if re.search(r"\b(write|writev|sendmsg|sendto)\(", l) and " = " in l]
        if os.environ.get("KEEP_TRACE"):
            shutil.copy(f"{tmp}/strace", os.environ["KEEP_TRACE"])
        wakeups = [l for l in calls if '"\\1\\0\\0\\0\\0\\0\\0\\0", 8)' in l]
        sends = [l for l in calls if l not in wakeups and not re.search(r"\b(write|writev)\((1|2),", l)]
        print(f"  server socket writes during the RETRs: {len(sends)} ({len(sends) / retrs:.2f} per RETR); "
              f"event-loop wakeups: {len(wakeups)} ({len(wakeups) / retrs:.2f} per RETR)")
finally:
    if tracer and tracer.poll() is None:
        tracer.kill()
    stop_server(server)
    shutil.rmtree(tmp, ignore_errors=True)

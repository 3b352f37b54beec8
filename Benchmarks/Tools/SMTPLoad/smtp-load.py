#!/usr/bin/env python3
"""SMTP load generator: N sessions send 4 KiB messages over the MX listener for S seconds, each
waiting for its 250 (so every counted message is durable and applied), and reports throughput and
the server's CPU time per message from /proc/PID/stat (utime + stime of the whole process).

Usage: smtp-load.py PID PORT RECIPIENT [SESSIONS=32] [SECONDS=20] [SIZE=4096]
"""
import os
import smtplib
import sys
import threading
import time

pid, port, recipient = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sessions = int(sys.argv[4]) if len(sys.argv) > 4 else 32
seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 20
size = int(sys.argv[6]) if len(sys.argv) > 6 else 4096
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


def message(n):
    head = (f"From: load@example.com\r\nTo: {recipient}\r\nSubject: load {n}\r\n"
            f"Message-ID: <load-{n}@example.com>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\n").encode()
    line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
    body = (line * (size // len(line) + 1))[: size - len(head)]
    return head + body


counts = [0] * sessions
stop = time.monotonic() + seconds
errors = []


def worker(k):
    try:
        s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        s.ehlo("load.example")
        n = 0
        while time.monotonic() < stop:
            s.sendmail("load@example.com", [recipient], message(f"{k}-{n}"))
            n += 1
            counts[k] = n
        s.quit()
    except Exception as e:  # reported below; the run is then not valid
        errors.append(repr(e))


threads = [threading.Thread(target=worker, args=(k,)) for k in range(sessions)]
cpu0, wall0 = cpu_seconds(), time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
cpu1, wall1 = cpu_seconds(), time.monotonic()
total = sum(counts)
if errors or total == 0:
    print("errors:", errors[:5], file=sys.stderr)
    sys.exit(1)
print(f"sessions={sessions} size={size} messages={total} wall={wall1 - wall0:.1f}s "
      f"throughput={total / (wall1 - wall0):.0f}/s server_cpu={cpu1 - cpu0:.2f}s "
      f"cpu_per_message={(cpu1 - cpu0) / total * 1000:.3f}ms")

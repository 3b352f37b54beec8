#!/usr/bin/env python3
"""A 100 000-message mailbox over IMAP, Roost against Dovecot in the same run (issue 11).

    big-mailbox.py populate-roost PORT USER PASSWORD MESSAGES   APPEND the generated messages
    big-mailbox.py populate-maildir DIR MESSAGES                write them as maildir files (Dovecot)
    big-mailbox.py time LABEL PORT USER PASSWORD MESSAGES [ROUNDS]
                                                                time the commands; prints a RESULT line

Both servers get the same generated messages (same bytes, same \\Seen flags). The timing client is
a plain socket that only counts bytes until the tagged reply, so it costs little next to the
servers; the figure is from writing the command to reading its tagged OK. Each command runs
ROUNDS times (3) after one untimed warm-up of the whole set: the first (cold) time is printed
too, the RESULT line has the best. Run by big-mailbox.sh, which sets the servers up.
"""
import json
import os
import socket
import sys
import threading
import time

WORDS = ["kiwi", "mango", "quartz", "harbour", "violet", "ledger", "comet", "granite", "meadow", "falcon",
         "pepper", "tundra", "saffron", "lantern", "orchid", "glacier"]


def message(n):
    """Message n: From one of 997 senders, a subject with a running number and a word, 1–3 KiB."""
    sender = f"sender{n % 997}@sender{n % 31}.example.org"
    word = WORDS[n % len(WORDS)]
    day = 1 + n % 28
    body_lines = 20 + (n * 7919) % 40
    body = "".join(f"Line {k} of message {n}: the {WORDS[(n + k) % len(WORDS)]} report continues here.\r\n"
                   for k in range(body_lines))
    text = (f"From: Sender {n % 997} <{sender}>\r\n"
            f"To: Big Mailbox <user100@example.test>\r\n"
            f"Subject: Report {n} on the {word} project\r\n"
            f"Date: {day} Dec 2025 10:{n % 60:02d}:00 +0000\r\n"
            f"Message-ID: <big-{n}@sender{n % 31}.example.org>\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n"
            f"\r\n" + body)
    return text.encode()


def seen(n):
    return n % 3 != 0


# The timed commands: (name, command, what to count in the reply).
def commands(messages):
    return [
        ("SELECT", "SELECT INBOX", None),
        ("UID FETCH 1:* (FLAGS)", "UID FETCH 1:* (FLAGS)", messages),
        ("FETCH 1:* ENVELOPE", "FETCH 1:* ENVELOPE", messages),
        ("UID SEARCH FROM", "UID SEARCH FROM sender7@sender7.example.org", None),
        ("UID SEARCH SUBJECT", "UID SEARCH SUBJECT \"the kiwi project\"", None),
        ("UID SEARCH UNSEEN", "UID SEARCH UNSEEN", None),
        # A body search: no index on either side (Dovecot without FTS), every message is read.
        ("UID SEARCH BODY", "UID SEARCH BODY \"of message 242:\"", None),
    ]


# Hits a search must find, where the generator makes them exact.
EXPECTED_HITS = {"UID SEARCH BODY": lambda messages: 1 if messages > 242 else 0,
                 "UID SEARCH UNSEEN": lambda messages: len(range(0, messages, 3))}


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.counter = 0
        self.pending = bytearray()
        self.read_line()

    def read_line(self):
        while b"\r\n" not in self.pending:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed")
            self.pending += chunk
        line, _, rest = self.pending.partition(b"\r\n")
        self.pending = bytearray(rest)
        return bytes(line)

    def command(self, text, literal=None):
        """Sends a command and reads to its tagged reply; returns (seconds, reply bytes, tagged line)."""
        self.counter += 1
        tag = f"t{self.counter}".encode()
        started = time.perf_counter()
        if literal is None:
            self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        else:
            # LITERAL+ would save the round trip, but not every server has it; wait for the "+".
            self.sock.sendall(tag + b" " + text.encode() + b" {" + str(len(literal)).encode() + b"}\r\n")
            while not self.read_line().startswith(b"+"):
                pass
            self.sock.sendall(literal + b"\r\n")
        buf = self.pending
        self.pending = bytearray()
        while True:
            # Done when the last complete line is the tagged one.
            if buf.endswith(b"\r\n"):
                start = buf.rfind(b"\r\n", 0, len(buf) - 2) + 2 if len(buf) > 2 else 0
                if start == 1:
                    start = 0
                if buf.startswith(tag + b" ", start):
                    break
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed")
            buf += chunk
        seconds = time.perf_counter() - started
        tagged = bytes(buf[start:]).rstrip(b"\r\n")
        if tagged.split(b" ")[1:2] != [b"OK"]:
            raise RuntimeError(f"{text}: {tagged!r}")
        return seconds, buf, tagged

    def login(self, user, password):
        self.command(f"LOGIN {user} {password}")


def populate_roost(port, user, password, messages, connections=8):
    """APPENDs over several connections (the journal shares one fdatasync between them)."""
    errors = []

    def worker(k):
        try:
            c = Client(port)
            c.login(user, password)
            for n in range(k, messages, connections):
                flags = "(\\Seen) " if seen(n) else ""
                date = f"\"{1 + n % 28:02d}-Dec-2025 10:{n % 60:02d}:00 +0000\" "
                c.command(f"APPEND INBOX {flags}{date}".rstrip(), literal=message(n))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    # APPEND order decides UIDs; one writer per residue class keeps them interleaved but complete.
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    print(f"appended {messages} messages in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def populate_maildir(directory, messages):
    cur = os.path.join(directory, "cur")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(directory, sub), exist_ok=True)
    base = 1764583200  # 2025-12-01 10:00 UTC
    for n in range(messages):
        data = message(n)
        name = f"{base + n}.M{n}P1.bench,S={len(data)}:2,{'S' if seen(n) else ''}"
        path = os.path.join(cur, name)
        with open(path, "wb") as f:
            f.write(data)
        when = base + (n % 28) * 86400 + (n % 60) * 60
        os.utime(path, (when, when))


def timed(label, port, user, password, messages, rounds):
    c = Client(port)
    c.login(user, password)
    results = {}
    cold = {}
    for round_ in range(rounds + 1):
        for name, text, expected in commands(messages):
            seconds, buf, _ = c.command(text)
            if expected is not None:
                found = buf.count(b" FETCH (")
                if found != expected:
                    raise RuntimeError(f"{label} {name}: {found} FETCH responses, expected {expected}")
            if name.startswith("UID SEARCH"):
                line = next(l for l in bytes(buf).split(b"\r\n") if l.startswith(b"* SEARCH") or l.startswith(b"* ESEARCH"))
                hits = len(line.split()) - 2
                if name in EXPECTED_HITS and hits != EXPECTED_HITS[name](messages):
                    raise RuntimeError(f"{label} {name}: {hits} hits, expected {EXPECTED_HITS[name](messages)}")
                results.setdefault(name + " hits", hits)
            if round_ == 0:
                cold[name] = seconds
            else:
                results[name] = min(results.get(name, seconds), seconds)
            if name == "SELECT":
                exists = [l for l in bytes(buf).split(b"\r\n") if l.endswith(b" EXISTS")]
                if not exists or int(exists[0].split()[1]) != messages:
                    raise RuntimeError(f"{label}: SELECT says {exists}, expected {messages} messages")
    for name, _, _ in commands(messages):
        print(f"{label:8} {name:24} cold {cold[name] * 1000:9.1f} ms   best of {rounds} {results[name] * 1000:9.1f} ms")
    print("RESULT " + json.dumps({"label": label, "messages": messages, "best_seconds": {k: v for k, v in results.items() if not k.endswith(" hits")},
                                  "cold_seconds": cold, "hits": {k[:-5]: v for k, v in results.items() if k.endswith(" hits")}}))


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    what = sys.argv[1]
    if what == "populate-roost":
        populate_roost(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif what == "populate-maildir":
        populate_maildir(sys.argv[2], int(sys.argv[3]))
    elif what == "time":
        timed(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]),
              int(sys.argv[7]) if len(sys.argv) > 7 else 3)
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()

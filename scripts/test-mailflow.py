#!/usr/bin/env python3
"""Messages arrive over SMTP at a real `roost serve` and are read by real clients.

Usage: test-mailflow.py SCENARIO FIXTURE.json   (scripts/test-mailflow.sh starts the server)
Scenarios:
  getmail    getmail6 (SimplePOP3SSLRetriever, Maildir) downloads the INBOX with keep and then
             with delete; every stored file is byte-identical to what Roost serves; a second run
             of each fetches nothing new.
  fetchmail  fetchmail (implicit TLS, certificate checked, UIDL, one file per message through an
             MDA) downloads the INBOX with keep and then with delete; byte-identical as for getmail;
             a second run of each fetches nothing new.
  idle-smtp  two IMAP sessions on the INBOX, one in IDLE: a message delivered over SMTP shows up
             as an untagged EXISTS in the idling session within 1 s of the SMTP 250.
  large      a 21 MiB message delivered over SMTP comes back byte-identical through IMAP FETCH
             BODY[] / BODY[TEXT] / RFC822 / a partial and POP3 RETR, and the server's anonymous
             memory (RssAnon, sampled every 2 ms) rises by at most 1.5x the message while each
             is served (MAILFLOW_PEAK_FACTOR overrides the factor).
Exits non-zero with a traceback on the first mismatch.
"""
import atexit
import glob
import imaplib
import json
import os
import poplib
import pwd
import shutil
import tempfile
import re
import smtplib
import socket
import subprocess
import sys
import threading
import time

from roost_client import expect, tls_context

scenario, fixture_path = sys.argv[1], sys.argv[2]
F = json.load(open(fixture_path))
HOST = "127.0.0.1"
poplib._MAXLINE = 100_000
imaplib._MAXLINE = 100_000


def context():
    return tls_context(F["cafile"])


def deliver(message, sender="sender@example.com"):
    """Sends over the MX listener; returns the monotonic time just after the final 250."""
    with smtplib.SMTP(HOST, F["mx"], timeout=60) as s:
        s.ehlo("mailflow.example")
        code, _ = s.mail(sender)
        expect(code == 250, f"MAIL FROM: {code}")
        code, _ = s.rcpt(F["user"])
        expect(code == 250, f"RCPT TO: {code}")
        code, reply = s.data(message)
        at = time.monotonic()
        expect(code == 250, f"DATA: {code} {reply!r}")
        return at


def imap():
    m = imaplib.IMAP4_SSL(HOST, F["imaps"], ssl_context=context(), timeout=60)
    m.login(F["user"], F["password"])
    return m


def stored_messages():
    """INBOX messages exactly as Roost stores and serves them (IMAP BODY.PEEK[] is a literal, so
    these are the exact octets), keyed by Message-ID."""
    m = imap()
    m.select("INBOX", readonly=True)
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
    expect(typ == "OK", data)
    out = {}
    for item in data:
        if isinstance(item, tuple):
            found = re.search(rb"^Message-ID: (<[^>]+>)", item[1], re.M | re.I)
            expect(found, f"no Message-ID in {item[1][:300]!r}")
            out[found.group(1).decode()] = item[1]
    m.logout()
    return out


def pop3_count():
    p = poplib.POP3_SSL(HOST, F["pop3s"], context=context(), timeout=60)
    p.user(F["user"])
    p.pass_(F["password"])
    count = p.stat()[0]
    p.quit()
    return count


# --- getmail


def mail_message(n, body, client="getmail"):
    return (f"From: Sender {n} <sender@example.com>\r\nTo: alice@example.org\r\nSubject: {client} test {n}\r\n"
            f"Message-ID: <{client}-{n}@example.com>\r\nDate: Tue, 1 Dec 2026 10:00:0{n} +0000\r\n").encode() + body


GETMAIL_BODIES = [
    b"\r\nplain text\r\n.leading dot\r\n..two dots\r\n.\r\nFrom the start of a line\r\n",
    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    + "Grüße aus Zürich — 8-bit UTF-8\r\n".encode(),
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n"
    b"Content-Type: text/plain\r\n\r\nfirst part\r\n--b1\r\nContent-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n" + b"QUJD" * 19 + b"\r\n" + b"REVG" * 19 + b"\r\n--b1--\r\n",
    b"\r\n" + b"a line of text that is repeated\r\n" * 2000,
]


def getmail(name, delete):
    """Runs getmail once with its own state directory `name`; returns (stdout, new files)."""
    state = f"{F['work']}/{name}"
    os.makedirs(state, exist_ok=True)
    # getmail refuses to deliver as root (CI runs as root): it then delivers as `nobody`, into a
    # Maildir nobody owns, outside the 0700 temporary directory.
    maildir = MAILDIRS.get(name) or MAILDIRS.setdefault(name, tempfile.mkdtemp(prefix=f"roost-getmail-{name}-"))
    as_root = os.geteuid() == 0
    for d in ("", "/cur", "/new", "/tmp"):
        os.makedirs(f"{maildir}{d}", exist_ok=True)
        if as_root:
            nobody = pwd.getpwnam("nobody")
            os.chown(f"{maildir}{d}", nobody.pw_uid, nobody.pw_gid)
    rc = f"{state}/getmailrc"
    # delivered_to / received off: getmail then adds no Delivered-To: or Received: field. It
    # always writes its own Return-Path: first (from the message's Return-Path:, which Roost
    # added at delivery, so the line is the same one) and stores lines with the platform's LF.
    with open(rc, "w") as f:
        f.write(f"""[retriever]
type = SimplePOP3SSLRetriever
server = {HOST}
port = {F["pop3s"]}
username = {F["user"]}
password = {F["password"]}
ca_certs = {F["cafile"]}
ssl_cert_hostname = mail.example.org

[destination]
type = Maildir
path = {maildir}/
{"user = nobody" if as_root else ""}

[options]
verbose = 2
read_all = false
delete = {"true" if delete else "false"}
delivered_to = false
received = false
""")
    before = set(glob.glob(f"{maildir}/new/*"))
    result = subprocess.run(["getmail", "--getmaildir", state, "--rcfile", rc], capture_output=True, timeout=300,
                            stdin=subprocess.DEVNULL)
    output = result.stdout.decode() + result.stderr.decode()
    expect(result.returncode == 0, f"getmail exited {result.returncode}:\n{output}")
    return output, sorted(set(glob.glob(f"{maildir}/new/*")) - before)


MAILDIRS = {}
atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in MAILDIRS.values()])


def as_getmail_stores(served):
    """What getmail writes for a message Roost serves: the same octets with CRLF as LF (getmail
    joins the POP3 lines with os.linesep). Nothing else is changed or stripped."""
    expect(served.startswith(b"Return-Path: <"), "Roost's added header starts with Return-Path:")
    return served.replace(b"\r\n", b"\n")


def check_files(files, served, what):
    expect(len(files) == len(served), f"{what}: {len(files)} files for {len(served)} messages")
    by_id = {}
    for path in files:
        data = open(path, "rb").read()
        found = re.search(rb"^Message-ID: (<[^>]+>)", data, re.M | re.I)
        expect(found, f"{what}: no Message-ID in {path}")
        by_id[found.group(1).decode()] = data
    expect(set(by_id) == set(served), f"{what}: {sorted(by_id)} vs {sorted(served)}")
    for key, data in by_id.items():
        want = as_getmail_stores(served[key])
        expect(data == want, f"{what}: {key} differs:\n got {data[:400]!r}\nwant {want[:400]!r}")


def scenario_getmail():
    sent = {}
    for n, body in enumerate(GETMAIL_BODIES, 1):
        message = mail_message(n, body)
        deliver(message)
        sent[f"<getmail-{n}@example.com>"] = message
    served = stored_messages()
    expect(set(served) == set(sent), f"INBOX holds {sorted(served)}")
    for key, message in sent.items():
        expect(served[key].endswith(message), f"{key}: stored is not the added header + what was sent")

    # Keep: everything downloaded, nothing deleted; the second run knows them by UIDL.
    out, files = getmail("keep", delete=False)
    expect(f"{len(sent)} messages" in out, out)
    check_files(files, served, "keep, first run")
    out, files = getmail("keep", delete=False)
    expect(files == [] and "0 messages" in out, f"keep, second run fetched again:\n{out}")
    expect(pop3_count() == len(sent), "keep deleted messages from the server")

    # Delete (a fresh getmail state): everything downloaded and then gone from the server.
    out, files = getmail("delete", delete=True)
    check_files(files, served, "delete, first run")
    expect(pop3_count() == 0, "delete left messages on the server")
    expect(stored_messages() == {}, "delete: IMAP still sees messages")
    out, files = getmail("delete", delete=True)
    expect(files == [] and "0 messages" in out, f"delete, second run fetched something:\n{out}")
    print(f"getmail: {len(sent)} messages byte-identical (CRLF stored as LF), keep and delete")


# --- fetchmail


def fetchmail(name, keep):
    """Runs fetchmail once with its own id file `name`; returns (exit code, output, new files)."""
    state = f"{F['work']}/fetchmail-{name}"
    out_dir = f"{state}/messages"
    os.makedirs(out_dir, exist_ok=True)
    rc = f"{state}/fetchmailrc"
    # invisible: no Received: line of fetchmail's own; norewrite: addresses left as they are;
    # stripcr: lines handed to the MDA end in LF, as getmail stores them. `$$` (the shell's pid)
    # gives each message its own file.
    with open(rc, "w") as f:
        f.write(f"""set no syslog
set invisible
poll {HOST} service {F["pop3s"]} protocol pop3 uidl:
  user "{F["user"]}" password "{F["password"]}" is "nobody" here
  ssl sslcertck sslcertfile "{F["cafile"]}" sslcommonname "mail.example.org"
  {"keep" if keep else "nokeep"} norewrite stripcr
  mda "/bin/sh -c 'cat > {out_dir}/msg.$$'"
""")
    os.chmod(rc, 0o600)
    before = set(glob.glob(f"{out_dir}/msg.*"))
    result = subprocess.run(["fetchmail", "-f", rc, "--pidfile", f"{state}/pid", "-i", f"{state}/ids", "--nosyslog", "-v"],
                            capture_output=True, timeout=300, stdin=subprocess.DEVNULL,
                            env={**os.environ, "HOME": state})
    output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    return result.returncode, output, sorted(set(glob.glob(f"{out_dir}/msg.*")) - before)


def scenario_fetchmail():
    sent = {}
    for n, body in enumerate(GETMAIL_BODIES, 1):
        message = mail_message(n, body, client="fetchmail")
        deliver(message)
        sent[f"<fetchmail-{n}@example.com>"] = message
    served = stored_messages()
    expect(set(served) == set(sent), f"INBOX holds {sorted(served)}")

    # fetchmail exits 0 when it delivered mail and 1 when there was none.
    code, out, files = fetchmail("keep", keep=True)
    expect(code == 0, f"fetchmail keep exited {code}:\n{out}")
    check_files(files, served, "fetchmail keep, first run")
    code, out, files = fetchmail("keep", keep=True)
    expect(code == 1 and files == [], f"fetchmail keep, second run fetched again (exit {code}):\n{out}")
    expect(pop3_count() == len(sent), "fetchmail keep deleted messages from the server")

    code, out, files = fetchmail("delete", keep=False)
    expect(code == 0, f"fetchmail delete exited {code}:\n{out}")
    check_files(files, served, "fetchmail delete, first run")
    expect(pop3_count() == 0, "fetchmail delete left messages on the server")
    expect(stored_messages() == {}, "fetchmail delete: IMAP still sees messages")
    code, out, files = fetchmail("delete", keep=False)
    expect(code == 1 and files == [], f"fetchmail delete, second run fetched something (exit {code}):\n{out}")
    print(f"fetchmail: {len(sent)} messages byte-identical (CRLF stored as LF), keep and delete")


# --- IDLE + SMTP


class IdleSession:
    """A raw IMAP session over TLS that selects INBOX and enters IDLE; a reader thread stamps
    every untagged line with the monotonic time it arrived."""

    def __init__(self):
        raw = socket.create_connection((HOST, F["imaps"]), timeout=60)
        self.sock = context().wrap_socket(raw)
        self.file = self.sock.makefile("rb")
        self.lines = []
        self.lock = threading.Condition()
        expect(self.file.readline().startswith(b"* OK"), "greeting")
        self.command(b"a1 LOGIN " + F["user"].encode() + b" " + F["password"].encode())
        select = self.command(b"a2 SELECT INBOX")
        self.exists = int(next(re.match(rb"\* (\d+) EXISTS", l).group(1) for l in select if re.match(rb"\* \d+ EXISTS", l)))
        self.sock.sendall(b"a3 IDLE\r\n")
        expect(self.file.readline().startswith(b"+ "), "IDLE continuation")
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def command(self, line):
        tag = line.split(b" ", 1)[0]
        self.sock.sendall(line + b"\r\n")
        got = []
        while True:
            l = self.file.readline()
            expect(l, f"closed during {line!r}")
            got.append(l)
            if l.startswith(tag + b" "):
                expect(l.startswith(tag + b" OK"), l)
                return got

    def read(self):
        while True:
            l = self.file.readline()
            with self.lock:
                self.lines.append((time.monotonic(), l))
                self.lock.notify_all()
            if not l or l.startswith(b"a3 "):
                return

    def wait_exists(self, count, timeout):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for at, l in self.lines:
                    m = re.match(rb"\* (\d+) EXISTS", l)
                    if m and int(m.group(1)) >= count:
                        return at
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.lock.wait(left)

    def done(self):
        self.sock.sendall(b"DONE\r\n")
        self.reader.join(30)
        expect(self.lines and self.lines[-1][1].startswith(b"a3 OK"), f"IDLE ended with {self.lines[-1:]!r}")
        self.command(b"a4 LOGOUT")


def scenario_idle_smtp():
    other = imap()
    other.select("INBOX")
    idler = IdleSession()
    latencies = []
    for n in range(1, 6):
        message = (f"From: sender@example.com\r\nTo: alice@example.org\r\nSubject: idle {n}\r\n"
                   f"Message-ID: <idle-{n}@example.com>\r\n\r\nhello while idling\r\n").encode()
        acknowledged = deliver(message)
        arrived = idler.wait_exists(idler.exists + n, timeout=10)
        expect(arrived is not None, f"delivery {n}: no EXISTS in the idling session within 10 s: {idler.lines!r}")
        latencies.append(arrived - acknowledged)
    worst = max(latencies)
    expect(worst <= 1.0, f"EXISTS came {worst:.3f} s after the SMTP 250 (limit 1 s): {latencies}")
    idler.done()
    # The other session (not idling) learns of them at its next command.
    typ, data = other.noop()
    exists = other.untagged_responses.get("EXISTS", [b"0"])
    expect(typ == "OK" and int(exists[-1]) == idler.exists + 5, f"the other session was told EXISTS {exists}")
    other.logout()
    print("idle-smtp: EXISTS after the SMTP 250 in " + ", ".join(f"{l * 1000:.0f}" for l in latencies) + " ms")


# --- a large message


def memory(field):
    """A size field of the server's /proc/PID/status, in bytes."""
    for line in open(f"/proc/{F['server_pid']}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field}")


def peak_growth(action):
    """Runs `action` and returns (its result, how far the server's anonymous memory (RssAnon:
    heap, buffers; not the mapped journal, which is page cache) rose above where it was before,
    sampled every 2 ms while the action runs)."""
    before = memory("RssAnon")
    peak = [before]
    running = [True]

    def sample():
        while running[0]:
            peak[0] = max(peak[0], memory("RssAnon"))
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = action()
    finally:
        running[0] = False
        sampler.join()
    return result, max(peak[0], memory("RssAnon")) - before


def scenario_large():
    line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/\r\n"
    body = line * (21 * 1024 * 1024 // len(line) + 1)
    message = (b"From: sender@example.com\r\nTo: alice@example.org\r\nSubject: large\r\n"
               b"Message-ID: <large@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n" + body)
    deliver(message)
    m = imap()
    typ, data = m.select("INBOX")
    typ, data = m.uid("SEARCH", "HEADER", "Message-ID", "<large@example.com>")
    uid = data[0].split()[-1].decode()
    typ, data = m.uid("FETCH", uid, "(RFC822.SIZE)")
    size = int(re.search(rb"RFC822.SIZE (\d+)", data[0]).group(1))
    expect(size > 20 * 1024 * 1024, f"size {size}")
    results = []

    def fetch(item, section):
        typ, data = m.uid("FETCH", uid, f"({item})")
        expect(typ == "OK" and isinstance(data[0], tuple), f"FETCH {item}: {typ} {str(data)[:300]}")
        return data[0][1]

    whole, grew = peak_growth(lambda: fetch("BODY.PEEK[]", None))
    expect(whole.endswith(message) and len(whole) == size, f"BODY[]: {len(whole)} octets, not the message sent")
    results.append(("IMAP BODY.PEEK[]", grew))
    text, grew = peak_growth(lambda: fetch("BODY.PEEK[TEXT]", None))
    expect(text == body, f"BODY[TEXT]: {len(text)} octets")
    results.append(("IMAP BODY.PEEK[TEXT]", grew))
    rfc822, grew = peak_growth(lambda: fetch("RFC822", None))
    expect(rfc822 == whole, "RFC822 differs from BODY[]")
    results.append(("IMAP RFC822", grew))
    header, grew = peak_growth(lambda: fetch("BODY.PEEK[HEADER]", None))
    expect(whole.startswith(header) and header.endswith(b"\r\n\r\n"), "BODY[HEADER]")
    results.append(("IMAP BODY.PEEK[HEADER]", grew))
    partial = fetch("BODY.PEEK[]<1000.20000000>", None)
    expect(partial == whole[1000:20001000], "partial")
    m.logout()

    def retr():
        p = poplib.POP3_SSL(HOST, F["pop3s"], context=context(), timeout=120)
        p.user(F["user"])
        p.pass_(F["password"])
        number = next(int(l.split()[0]) for l in p.list()[1] if int(l.split()[1]) == size)
        lines = p.retr(number)[1]
        p.quit()
        return b"\r\n".join(lines) + b"\r\n"

    retrieved, grew = peak_growth(retr)
    expect(retrieved == whole, f"RETR: {len(retrieved)} octets differ from BODY[]")
    results.append(("POP3 RETR", grew))
    report = ", ".join(f"{what} {g / 1048576:.1f} MiB" for what, g in results)
    print(f"large: {size / 1048576:.1f} MiB message byte-identical; server's peak anonymous memory growth: {report}")
    limit = float(os.environ.get("MAILFLOW_PEAK_FACTOR", "1.5"))
    for what, g in results:
        expect(g <= limit * size, f"{what}: the server's anonymous memory grew {g / 1048576:.1f} MiB for a {size / 1048576:.1f} MiB message")


if __name__ == "__main__":
    {"getmail": scenario_getmail, "fetchmail": scenario_fetchmail, "idle-smtp": scenario_idle_smtp, "large": scenario_large}[scenario]()
    print(f"test-mailflow {scenario}: ok")

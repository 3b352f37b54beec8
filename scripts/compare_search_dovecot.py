#!/usr/bin/env python3
"""Appends the same messages (same bytes, flags and internal dates) to Roost and to Dovecot, runs a
generated set of UID SEARCH commands on both and compares the answers.

Usage: compare_search_dovecot.py --roost-port P --cafile CA --roost-user U --roost-password PW
                                 --dovecot-port Q --dovecot-user U2 --dovecot-password PW2 MESSAGE...
Exits 1 listing every search whose answers differ. Run by scripts/compare-search-dovecot.sh.
"""
import argparse
import email
import email.policy
import random
import re
import socket
import sys

from roost_client import LineSocket, tls_context

p = argparse.ArgumentParser()
for name in ("roost-port", "dovecot-port"):
    p.add_argument("--" + name, type=int, required=True)
for name in ("cafile", "roost-user", "roost-password", "dovecot-user", "dovecot-password"):
    p.add_argument("--" + name, required=True)
p.add_argument("--differences", help="accepted differences: search regex TAB file regex TAB reason")
p.add_argument("messages", nargs="+")
args = p.parse_args()


class Client(LineSocket):
    counter = 0

    def __init__(self, port, user, password, tls_cafile=None):
        s = socket.create_connection(("127.0.0.1", port), timeout=120)
        super().__init__(tls_context(tls_cafile).wrap_socket(s) if tls_cafile else s)
        self.line()
        self.ok(b'LOGIN "%s" "%s"' % (user.encode(), password.encode()))

    def cmd(self, parts):
        """`parts`: bytes pieces; a tuple ('lit', data) is sent as a LITERAL+ literal."""
        Client.counter += 1
        tag = b"c%d" % Client.counter
        out = tag + b" "
        for part in parts:
            if isinstance(part, tuple):
                out += b"{%d+}\r\n" % len(part[1]) + part[1]
            else:
                out += part
        self.sock.sendall(out + b"\r\n")
        untagged = []
        while True:
            line = self.line()
            if line.startswith(tag + b" "):
                return untagged, line[len(tag) + 1:]
            untagged.append(line)

    def ok(self, *parts):
        untagged, tagged = self.cmd(parts if len(parts) != 1 or isinstance(parts[0], tuple) else [parts[0]])
        if not tagged.startswith(b"OK"):
            raise AssertionError(f"{parts!r}: {tagged!r}")
        return untagged


def crlf(data):
    return re.sub(rb"\r?\n", b"\r\n", data)


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
rng = random.Random(11)
messages = []
for path in args.messages:
    data = crlf(open(path, "rb").read())
    if len(data) > 2_000_000:
        continue
    messages.append((path, data))

# Flags, keywords and internal dates, one per message, the same on both servers.
FLAG_CHOICES = ["\\Seen", "\\Flagged", "\\Answered", "\\Draft", "\\Deleted", "$Label1", "Work"]
meta = []
for k, _ in enumerate(messages):
    flags = sorted({f for f in FLAG_CHOICES if rng.random() < 0.3})
    day, month, year = 1 + k % 28, k % 12, 2020 + k % 5
    date = f"{day:02d}-{MONTHS[month]}-{year} {k % 24:02d}:{k % 60:02d}:00 +0000"
    meta.append((flags, (day, month, year), date))

roost = Client(args.roost_port, args.roost_user, args.roost_password, args.cafile)
dovecot = Client(args.dovecot_port, args.dovecot_user, args.dovecot_password)
for c in (roost, dovecot):
    c.ok(b"SELECT INBOX")
    existing = [l for l in c.ok(b"UID SEARCH ALL") if l.startswith(b"* SEARCH")]
    if existing and existing[0].split()[2:]:
        c.ok(b"STORE 1:* +FLAGS.SILENT (\\Deleted)")
        c.ok(b"EXPUNGE")
    for (path, data), (flags, _, date) in zip(messages, meta):
        c.ok(b"APPEND INBOX (" + " ".join(flags).encode() + b') "' + date.encode() + b'" ', ("lit", data))
    c.ok(b"NOOP")
uids = {}
for name, c in (("roost", roost), ("dovecot", dovecot)):
    line = [l for l in c.ok(b"UID SEARCH ALL") if l.startswith(b"* SEARCH")][0]
    uids[name] = [int(x) for x in line.split()[2:]]
if len(uids["roost"]) != len(messages) or len(uids["dovecot"]) != len(messages):
    sys.exit(f"appended {len(messages)}, have roost {len(uids['roost'])} dovecot {len(uids['dovecot'])}")
# UIDs differ between the servers (Roost's continue after earlier mail): compare by position.
position = {name: {u: k for k, u in enumerate(us)} for name, us in uids.items()}


def quote(text):
    raw = text.encode()
    if all(32 <= b < 127 for b in raw) and '"' not in text and "\\" not in text:
        return [b'"' + raw + b'"']
    return [("lit", raw)]


def words(text, n):
    found = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]{3,14}", text or "")]
    rng.shuffle(found)
    return found[:n]


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.compat32)


def body_text(msg):
    out = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            try:
                out.append(part.get_payload(decode=True).decode(part.get_content_charset() or "latin-1", "replace"))
            except Exception:
                pass
    return " ".join(out)


def mixcase(w):
    return "".join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in w)


searches = []   # list of lists of bytes parts (after "UID SEARCH ")
simple = ["ALL", "SEEN", "UNSEEN", "FLAGGED", "UNFLAGGED", "ANSWERED", "UNANSWERED", "DRAFT", "UNDRAFT",
          "DELETED", "UNDELETED", "KEYWORD $Label1", "UNKEYWORD $Label1", "KEYWORD Work", "KEYWORD Nothing",
          "OR SEEN FLAGGED", "NOT SEEN", "NOT OR DRAFT DELETED", "(SEEN FLAGGED)", "OR (SEEN DRAFT) NOT KEYWORD Work",
          "1:3", "*", "2:*", "1,3:4,7", "UID 1:*", "NOT 1:2"]
# Not NEW, OLD, RECENT: Roost keeps no \Recent (RFC 9051 dropped it), Dovecot does.
searches += [[s.encode()] for s in simple]
sizes = sorted(len(d) for _, d in messages)
for s in (sizes[0], sizes[len(sizes) // 4], sizes[len(sizes) // 2], sizes[-1]):
    searches += [[b"LARGER %d" % s], [b"SMALLER %d" % s], [b"OR LARGER %d SMALLER %d" % (s, s // 2)]]
for _, (day, month, year), _ in meta[:: max(1, len(meta) // 8)]:
    d = f"{day}-{MONTHS[month]}-{year}".encode()
    searches += [[b"SINCE " + d], [b"BEFORE " + d], [b"ON " + d], [b"NOT ON " + d]]
for path, data in messages[:: max(1, len(messages) // 28)]:
    msg = parse(data)
    subject = str(msg.get("Subject", "") or "")
    for w in words(subject, 2):
        searches.append([b"SUBJECT "] + quote(mixcase(w)))
    for field in ("From", "To", "Cc"):
        value = str(msg.get(field, "") or "")
        for w in words(value, 1):
            searches.append([field.upper().encode() + b" "] + quote(w))
        m = re.search(r"[\w.+-]+@[\w.-]+", value)
        if m:
            searches.append([field.upper().encode() + b" "] + quote(m.group(0)))
    mid = str(msg.get("Message-ID", "") or "").strip()
    if mid:
        searches.append([b"HEADER Message-ID "] + quote(mid[1:-1] if mid.startswith("<") else mid))
    for w in words(body_text(msg), 2):
        searches.append([b"BODY "] + quote(w))
        searches.append([b"TEXT "] + quote(mixcase(w)))
    date = msg.get("Date")
    try:
        t = email.utils.parsedate_tz(str(date)) if date else None
    except Exception:
        t = None
    if t:
        d = f"{t[2]}-{MONTHS[t[1] - 1]}-{t[0]}".encode()
        searches += [[b"SENTON " + d], [b"SENTSINCE " + d], [b"SENTBEFORE " + d]]
for field in ("X-Mailer", "Content-Type", "In-Reply-To", "List-Id"):
    searches.append([b"HEADER " + field.encode() + b' ""'])
searches.append([b'HEADER Content-Type "multipart"'])
searches.append([b'BODY ""'])
searches.append([b'SUBJECT "zzzz-not-there"'])
# Nesting: OR/NOT over header and flag keys.
some = [s for s in searches if s[0].startswith((b"SUBJECT", b"FROM", b"BODY", b"SEEN", b"LARGER"))]
for _ in range(20):
    a, b = rng.choice(some), rng.choice(some)
    searches.append([b"OR ("] + a + [b") NOT ("] + b + [b")"])

accepted = []
if args.differences:
    for line in open(args.differences, encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            key, name, reason = line.rstrip("\n").split("\t")
            accepted.append((re.compile(key), re.compile(name), reason))


def explained(text, names):
    return all(any(k.search(text) and n.fullmatch(name) for k, n, _ in accepted) for name in names)


differences, known = [], 0
for s in searches:
    answers = {}
    for name, c in (("roost", roost), ("dovecot", dovecot)):
        untagged, tagged = c.cmd([b"UID SEARCH CHARSET UTF-8 "] + s)
        if not tagged.startswith(b"OK"):
            answers[name] = tagged.decode(errors="replace")
            continue
        line = [l for l in untagged if l.startswith(b"* SEARCH")]
        answers[name] = sorted(position[name][int(x)] for x in line[0].split()[2:]) if line else []
    if answers["roost"] != answers["dovecot"]:
        text = b"".join(p if isinstance(p, bytes) else p[1] for p in s).decode(errors="replace")
        only_r = sorted(set(answers["roost"]) - set(answers["dovecot"])) if isinstance(answers["roost"], list) and isinstance(answers["dovecot"], list) else None
        only_d = sorted(set(answers["dovecot"]) - set(answers["roost"])) if only_r is not None else None
        if only_r is not None:
            names_r = [messages[k][0].rsplit('/', 1)[-1] for k in only_r]
            names_d = [messages[k][0].rsplit('/', 1)[-1] for k in only_d]
            if explained(text, names_r + names_d):
                known += 1
                continue
            detail = f"only roost: {names_r} only dovecot: {names_d}"
        else:
            detail = str(answers)
        differences.append(f"UID SEARCH {text}: {detail}")

print(f"compare-search-dovecot: {len(searches)} searches over {len(messages)} messages; "
      f"{known} differ as {args.differences} explains, {len(differences)} differ otherwise")
for d in differences:
    print("  " + d)
sys.exit(1 if differences else 0)

#!/usr/bin/env python3
"""POP3 and IMAP on one account (issue 12): the same message has the same identity on both
(POP3's UIDL is "<UIDVALIDITY>.<UID>" of the INBOX), and a message deleted over one protocol is
gone over the other. Runs against `roost serve --dev` (IMAP 1143, POP3 1110, plaintext allowed
on loopback in the dev profile).

Usage: test-pop3-imap.py PASSWORD
"""
import imaplib
import poplib
import re
import sys

password = sys.argv[1]
user = "demo@roost.test"


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


m = imaplib.IMAP4("127.0.0.1", 1143, timeout=20)
m.login(user, password)
subjects = [b"interplay one", b"interplay two", b"interplay three"]
uids = {}
for s in subjects:
    typ, data = m.append("INBOX", None, None, b"Subject: " + s + b"\r\n\r\nbody of " + s + b"\r\n")
    found = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
    expect(typ == "OK" and found, data)
    uidvalidity = int(found.group(1))
    uids[s] = int(found.group(2))


def pop():
    p = poplib.POP3("127.0.0.1", 1110, timeout=20)
    p.user(user)
    p.pass_(password)
    listing = {}
    for line in p.uidl()[1]:
        number, uid = line.decode().split()
        listing[uid] = int(number)
    return p, listing


# Same identity: each IMAP UID appears in UIDL as <UIDVALIDITY>.<UID>, with the same bytes.
p, listing = pop()
for s, uid in uids.items():
    key = f"{uidvalidity}.{uid}"
    expect(key in listing, f"UIDL {key} missing: {listing}")
    body = b"\r\n".join(p.retr(listing[key])[1])
    m.select("INBOX")
    typ, data = m.uid("FETCH", str(uid), "(BODY.PEEK[])")
    expect(data[0][1].rstrip(b"\r\n") == body.rstrip(b"\r\n"), f"bytes differ for {s!r}")
# Deleted over POP3 → gone in IMAP.
p.dele(listing[f"{uidvalidity}.{uids[subjects[0]]}"])
p.quit()
m.noop()
typ, data = m.uid("SEARCH", "UID", str(uids[subjects[0]]))
expect(data[0] == b"", f"POP3 deletion still visible over IMAP: {data}")

# Expunged over IMAP → gone in POP3.
m.uid("STORE", str(uids[subjects[1]]), "+FLAGS.SILENT", "(\\Deleted)")
m.expunge()
p, listing = pop()
expect(f"{uidvalidity}.{uids[subjects[1]]}" not in listing, f"IMAP expunge still listed by POP3: {listing}")
expect(f"{uidvalidity}.{uids[subjects[2]]}" in listing, "the untouched message is still there")
p.quit()
m.logout()
print("test-pop3-imap: ok")

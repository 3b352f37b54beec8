#!/usr/bin/env python3
"""Drives Roost's IMAP server with Python's imaplib (and raw sockets where imaplib hides the wire).

Usage: test-imap.py SCENARIO FIXTURE.json
The Swift test (Tests/FrontendsTests/IMAP/IMAPClientTests.swift) starts the server on ephemeral
ports with a real journal and projection database, seeds the account, writes the fixture (ports,
CA file, account) and checks the journal afterwards. Exits non-zero on the first mismatch.
"""
import imaplib
import json
import re
import shutil
import socket
import ssl
import sys
import time

from roost_client import LineSocket, expect, tls_context

scenario, fixture_path = sys.argv[1], sys.argv[2]
F = json.load(open(fixture_path))
HOST = "127.0.0.1"
# Commands imaplib does not know by name.
imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED", "LOGOUT"))
imaplib.Commands.setdefault("ENABLE", ("AUTH",))

MESSAGE = (b"From: Ann Example <ann@example.net>\r\nTo: Alice <alice@example.org>\r\n"
           b"Cc: bob@example.org\r\nSubject: Quarterly report\r\n"
           b"Date: Mon, 2 Nov 2026 09:30:00 +0100\r\nMessage-ID: <q1@example.net>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe numbers are up.\r\n"
           b"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           b"AAECAw==\r\n--b1--\r\n")


def context():
    return tls_context(F["cafile"])


def ok(result, what=""):
    typ, data = result
    expect(typ == "OK", f"{what}: expected OK, got {typ} {data!r}")
    return data


def no(call, code=None):
    try:
        typ, data = call()
    except imaplib.IMAP4.error as e:
        text = str(e)
        expect("NO" in text or code is None or code in text, f"expected NO, got {text}")
        if code:
            expect(code in text, f"expected [{code}] in {text!r}")
        return text
    expect(typ == "NO", f"expected NO, got {typ} {data!r}")
    text = b" ".join(d for d in data if isinstance(d, bytes)).decode()
    if code:
        expect(code in text, f"expected [{code}] in {text!r}")
    return text


def bad(call):
    try:
        typ, data = call()
    except imaplib.IMAP4.error as e:
        return str(e)
    raise AssertionError(f"expected BAD, got {typ} {data!r}")


def starttls_session():
    m = imaplib.IMAP4(HOST, F["starttls_port"], timeout=20)
    expect("STARTTLS" in m.capabilities, m.capabilities)
    expect("LOGINDISABLED" in m.capabilities, "LOGINDISABLED before TLS outside the dev profile")
    m.starttls(context())
    expect("STARTTLS" not in m.capabilities and "AUTH=PLAIN" in m.capabilities, m.capabilities)
    return m


def session():
    m = imaplib.IMAP4_SSL(HOST, F["implicit_port"], ssl_context=context(), timeout=20)
    ok(m.login(F["user"], F["password"]), "LOGIN")
    return m


def fetch_map(data):
    """imaplib FETCH data → {msn: (meta bytes, [literals])}."""
    out = {}
    msn = None
    for item in data:
        if item is None or item == b")":
            continue
        head = item[0] if isinstance(item, tuple) else item
        if head[:1].isdigit():
            msn = int(head.split(b" ", 1)[0])
        meta, lits = out.get(msn, (b"", []))
        if isinstance(item, tuple):
            out[msn] = (meta + item[0], lits + [item[1]])
        else:
            out[msn] = (meta + item, lits)
    return out


class Raw(LineSocket):
    """A raw IMAP connection over TLS for what imaplib hides (literals, pipelining, garbage)."""

    def __init__(self, tls=True, port=None):
        s = socket.create_connection((HOST, port or (F["implicit_port"] if tls else F["starttls_port"])), timeout=20)
        super().__init__(context().wrap_socket(s) if tls else s)
        self.greeting = self.line()

    def until(self, tag):
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            m = re.match(rb"\{(\d+)\}$", line[-12:]) if line.endswith(b"}") else None
            lit = re.search(rb"\{(\d+)\}$", line)
            if lit:
                n = int(lit.group(1))
                while len(self.buf) < n:
                    self.buf += self.sock.recv(65536)
                lines.append(self.buf[:n])
                self.buf = self.buf[n:]
            if line.startswith(tag + b" "):
                return lines

    def login(self):
        self.send(b"L LOGIN " + F["user"].encode() + b" " + F["password"].encode() + b"\r\n")
        last = self.until(b"L")[-1]
        expect(last.startswith(b"L OK"), last)


# ---------------------------------------------------------------------------------------------

def commands():
    m = starttls_session()
    typ, data = m._simple_command("ID", '("name" "test-imap")')
    expect(typ == "OK", "ID")
    ok(m.login(F["user"], F["password"]), "LOGIN after STARTTLS")
    typ, data = m.namespace()
    expect(typ == "OK" and b'(("" "/")) NIL NIL' in data[0], data)
    names = [l.decode() for l in ok(m.list(), "LIST")]
    expect(any('"INBOX"' in l for l in names) and any('\\Junk' in l and '"Junk"' in l for l in names), names)
    ok(m.create("Projects/2026"), "CREATE with a missing parent")
    names = [l.decode() for l in ok(m.list('""', "Projects*"))]
    expect(len(names) == 2 and "\\HasChildren" in names[0] and '"Projects/2026"' in names[1], names)
    names = [l.decode() for l in ok(m.list('""', "%"))]
    expect(not any("2026" in l for l in names), f"% stops at the separator: {names}")
    no(lambda: m.create("Projects"), "ALREADYEXISTS")
    no(lambda: m.create("inbox"), "ALREADYEXISTS")
    ok(m.subscribe("Projects"))
    expect(any(b'"Projects"' in l for l in ok(m.lsub())), "LSUB lists the subscription")
    ok(m.unsubscribe("Projects"))
    expect(not any(b'"Projects"' in l for l in ok(m.lsub()) if l), "UNSUBSCRIBE removed it")
    ok(m.rename("Projects", "Work"), "RENAME with inferiors")
    names = [l.decode() for l in ok(m.list('""', "*"))]
    expect(any('"Work/2026"' in l for l in names) and not any("Projects" in l for l in names), names)
    # IMAP4rev1 clients name mailboxes in modified UTF-7 (RFC 3501 §5.1.3).
    ok(m.create("Entw&APw-rfe"))
    expect(any(b'"Entw&APw-rfe"' in l for l in ok(m.list('""', "Entw*"))), "LIST gives modified UTF-7")
    ok(m.delete("Entw&APw-rfe"))
    ok(m.delete("Work/2026"))
    no(lambda: m.delete("Work/2026"), "NONEXISTENT")
    no(lambda: m.delete("INBOX"))

    # APPEND: APPENDUID, flags, internal date, a literal.
    typ, data = m.append("INBOX", "(\\Flagged $Important)", '"02-Nov-2026 09:31:00 +0100"', MESSAGE)
    expect(typ == "OK", data)
    appenduid = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
    expect(appenduid, data)
    uidvalidity, uid = int(appenduid.group(1)), int(appenduid.group(2))
    no(lambda: m.append("Nowhere", None, None, MESSAGE), "TRYCREATE")
    st = ok(m.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE)"))[0].decode()
    expect(f"UIDVALIDITY {uidvalidity}" in st and f"UIDNEXT {uid + 1}" in st, st)

    typ, data = m.select("INBOX")
    expect(typ == "OK", data)
    count = int(data[0])
    expect(m.untagged_responses.get("UIDVALIDITY") == [str(uidvalidity).encode()], m.untagged_responses)
    flags = m.untagged_responses.get("FLAGS")[0]
    expect(b"$Important" in flags, flags)

    # FETCH: every item, by sequence number and by UID.
    data = ok(m.fetch(str(count), "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY)"))
    meta = data[0].decode()
    expect(f"UID {uid}" in meta and "\\Flagged" in meta and "$Important" in meta, meta)
    expect('INTERNALDATE "02-Nov-2026 08:31:00 +0000"' in meta, meta)
    expect(f"RFC822.SIZE {len(MESSAGE)}" in meta, meta)
    expect('"Quarterly report"' in meta and '"<q1@example.net>"' in meta, meta)
    expect('"mixed" ("boundary" "b1")' in meta, meta)
    fm = fetch_map(ok(m.uid("FETCH", str(uid), "(BODY.PEEK[] BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[TEXT]<0.7> BINARY.PEEK[2] BINARY.SIZE[2])")))
    meta, lits = fm[count]
    expect(lits[0] == MESSAGE, "BODY[] is the message")
    expect(lits[1] == b"The numbers are up.", lits[1])
    expect(lits[2] == b"Subject: Quarterly report\r\n\r\n", lits[2])
    expect(lits[3] == b"--b1\r\nC", lits[3])
    expect(lits[4] == b"\x00\x01\x02\x03", lits[4])
    expect(b"BINARY.SIZE[2] 4" in meta, meta)
    expect(b"\\Seen" not in ok(m.fetch(str(count), "(FLAGS)"))[0], "PEEK does not set \\Seen")
    fm = fetch_map(ok(m.fetch(str(count), "(BODY[1])")))
    expect(b"\\Seen" in fm[count][0], f"BODY[] sets \\Seen and FLAGS is returned: {fm}")
    expect(b"RFC822 {" in ok(m.fetch(str(count), "RFC822"))[0][0], "RFC822")
    data = ok(m.fetch("1:*", "FAST"))
    expect(len([d for d in data if d]) == count, data)
    data = ok(m.fetch("*", "ALL"))
    expect(b"ENVELOPE" in data[0], data)

    # STORE: +/-/replace, .SILENT, UID STORE includes UID.
    data = ok(m.store(str(count), "+FLAGS", "(\\Answered)"))
    expect(b"\\Answered" in data[0], data)
    data = ok(m.store(str(count), "-FLAGS.SILENT", "($Important)"))
    expect(data == [None], f".SILENT sends no FETCH: {data}")
    data = ok(m.uid("STORE", str(uid), "FLAGS", "(\\Seen \\Draft)"))
    expect(f"UID {uid}".encode() in data[0] and b"\\Draft" in data[0] and b"\\Answered" not in data[0], data)

    # SEARCH (RFC 3501 keys).
    def search(*keys, uid_=False):
        data = ok(m.uid("SEARCH", *keys) if uid_ else m.search(None, *keys))
        return [int(x) for x in data[0].split()]
    expect(search("ALL") == list(range(1, count + 1)), "ALL")
    expect(search("SUBJECT", "quarterly") == [count], "SUBJECT is case-insensitive")
    expect(search("FROM", "\"Ann Example\"") == [count], "FROM")
    expect(search("CC", "bob") == [count], "CC")
    expect(search("BODY", "\"numbers are\"") == [count], "BODY")
    expect(search("TEXT", "Message-ID") == [count], "TEXT covers the header")
    expect(search("HEADER", "Message-ID", "q1@") == [count], "HEADER")
    expect(search("DRAFT", "SEEN") == [count], "flag keys")
    expect(count not in search("UNSEEN"), "UNSEEN")
    expect(search("OR", "SUBJECT", "nothing-like-this", "DRAFT") == [count], "OR")
    expect(count not in search("NOT", "DRAFT"), "NOT")
    expect(search("SENTON", "2-Nov-2026") == [count], "SENTON")
    expect(search("ON", "02-Nov-2026") == [count], "ON (internal date)")
    expect(search("SINCE", "3-Nov-2026") == [] or count not in search("SINCE", "3-Nov-2026"), "SINCE")
    expect(search("LARGER", str(len(MESSAGE) - 1)) == [count], "LARGER")
    expect(search("UID", f"{uid}:*") == [count], "UID n:*")
    expect(search("ALL", uid_=True)[-1] == uid, "UID SEARCH returns UIDs")
    expect(search(f"{count}") == [count], "a sequence set key")
    expect(search("CHARSET", "UTF-8", "SUBJECT", "report") == [count], "CHARSET UTF-8")
    typ, data = m._simple_command("SEARCH", "RETURN (MIN MAX COUNT) ALL")
    esearch = m.untagged_responses.pop("ESEARCH", [b""])[0].decode()
    expect(typ == "OK" and f"MIN 1 MAX {count} COUNT {count}" in esearch, esearch)

    # COPY / MOVE with COPYUID; EXPUNGE; UID EXPUNGE.
    ok(m.create("Archive/Reports"))
    data = ok(m.copy(str(count), "Archive/Reports"))
    no(lambda: m.copy(str(count), "Nowhere"), "TRYCREATE")
    typ, data = m._simple_command("UID", "COPY", str(uid), "Archive/Reports")
    copyuid = re.search(rb"COPYUID \d+ (\d+) (\d+)", data[-1])
    expect(typ == "OK" and copyuid and int(copyuid.group(1)) == uid, data)
    ok(m.store(str(count), "+FLAGS.SILENT", "(\\Deleted)"))
    typ, data = m.expunge()
    expect(typ == "OK" and data == [str(count).encode()], f"EXPUNGE responses: {data}")
    typ, data = m.select("Archive/Reports")
    expect(int(data[0]) == 2, data)
    typ, data = m._simple_command("UID", "MOVE", "1:*", "INBOX")
    expect(typ == "OK", data)
    expect(m.untagged_responses.get("EXPUNGE"), f"MOVE sends EXPUNGE: {m.untagged_responses}")
    ok(m.select("INBOX"))
    typ, data = m.uid("SEARCH", "ALL")
    uids = [int(x) for x in data[0].split()]
    ok(m.uid("STORE", ",".join(map(str, uids)), "+FLAGS.SILENT", "(\\Deleted)"))
    typ, data = m._simple_command("UID", "EXPUNGE", str(uids[-1]))
    expect(typ == "OK", data)
    expect(ok(m.uid("SEARCH", "ALL"))[0].split()[-1:] != [str(uids[-1]).encode()], "UID EXPUNGE removed only that UID")
    ok(m.uid("STORE", ",".join(map(str, uids)), "-FLAGS.SILENT", "(\\Deleted)"))

    # A big message (several write chunks) comes back byte for byte.
    big = b"Subject: big\r\n\r\n" + b"".join(b"line %07d of a big message\r\n" % i for i in range(120000))
    ok(m.create("Big"))
    ok(m.append("Big", None, None, big))
    ok(m.select("Big"))
    fm = fetch_map(ok(m.fetch("1", "(RFC822.SIZE BODY.PEEK[])")))
    expect(fm[1][1][0] == big and f"RFC822.SIZE {len(big)}".encode() in fm[1][0], "big message round trip")
    ok(m.close())
    ok(m.delete("Big"))

    # EXAMINE is read-only; CLOSE/UNSELECT.
    typ, data = m.select("INBOX", readonly=True)
    expect(typ == "OK", data)
    no(lambda: m.store("1", "+FLAGS", "(\\Seen)"), "READ-ONLY")
    ok(m.unselect())
    bad(lambda: m.fetch("1", "FLAGS"))
    ok(m.select("Archive/Reports"))
    ok(m.close())
    typ, data = m.noop()
    expect(typ == "OK", data)
    typ, data = m.logout()
    expect(typ == "BYE", data)

    # AUTHENTICATE PLAIN with SASL-IR over implicit TLS.
    r = Raw()
    expect(b"AUTH=PLAIN" in r.greeting and b"SASL-IR" in r.greeting, r.greeting)
    import base64
    ir = base64.b64encode(b"\0" + F["user"].encode() + b"\0" + F["password"].encode())
    r.send(b"A1 AUTHENTICATE PLAIN " + ir + b"\r\n")
    last = r.until(b"A1")[-1]
    expect(last.startswith(b"A1 OK"), last)
    # LITERAL+ login is not needed; an APPEND with a non-synchronizing literal is.
    r.send(b"A2 APPEND INBOX (\\Seen) {%d+}\r\n" % len(MESSAGE) + MESSAGE + b"\r\n")
    last = r.until(b"A2")[-1]
    expect(last.startswith(b"A2 OK [APPENDUID"), last)
    r.send(b"A3 ENABLE IMAP4rev2\r\n")
    lines = r.until(b"A3")
    expect(b"* ENABLED IMAP4rev2" in lines, lines)
    r.send(b"A4 SELECT INBOX\r\nA5 SEARCH SUBJECT report\r\n")
    lines = r.until(b"A5")
    expect(any(l.startswith(b'* LIST () "/" "INBOX"') or l.startswith(b'* LIST () "/" INBOX') for l in lines), lines)
    expect(any(l.startswith(b'* ESEARCH (TAG "A5") ALL') for l in lines), f"IMAP4rev2 answers SEARCH with ESEARCH: {lines}")
    r.send(b"A6 LOGOUT\r\n")
    r.until(b"A6")

    # AUTHENTICATE LOGIN, announced as AUTH=LOGIN: "Username:" and "Password:" challenges.
    r = Raw()
    expect(b"AUTH=LOGIN" in r.greeting, r.greeting)
    r.send(b"L1 AUTHENTICATE LOGIN\r\n")
    expect(r.line() == b"+ " + base64.b64encode(b"Username:"), "LOGIN asks for the user name")
    r.send(base64.b64encode(F["user"].encode()) + b"\r\n")
    expect(r.line() == b"+ " + base64.b64encode(b"Password:"), "LOGIN asks for the password")
    r.send(base64.b64encode(F["password"].encode()) + b"\r\n")
    last = r.until(b"L1")[-1]
    expect(last.startswith(b"L1 OK"), last)
    r.send(b"L2 LOGOUT\r\n")
    r.until(b"L2")


def errors():
    m = session()
    # Wrong state.
    bad(lambda: m.fetch("1", "FLAGS"))
    bad(lambda: m._simple_command("LOGIN", "a", "b"))
    # Nonexistent mailbox.
    no(lambda: m.select("Nowhere"), "NONEXISTENT")
    no(lambda: m.status("Nowhere", "(MESSAGES)"), "NONEXISTENT")
    ok(m.select("INBOX"))
    # Bad syntax and invalid sets.
    bad(lambda: m._simple_command("FETCH", "0", "FLAGS"))
    bad(lambda: m._simple_command("FETCH", "1:x", "FLAGS"))
    bad(lambda: m._simple_command("FETCH", "999999", "FLAGS"))
    bad(lambda: m._simple_command("FETCH", "1", "(NOPE)"))
    bad(lambda: m._simple_command("FETCH", "1", "BODY[1.MIME"))
    bad(lambda: m._simple_command("STORE", "1", "+FLAGS", "(\\Recent)"))
    bad(lambda: m._simple_command("STORE", "1", "FROBNICATE", "(\\Seen)"))
    bad(lambda: m._simple_command("SEARCH", "FROBNICATE"))
    bad(lambda: m._simple_command("SEARCH", "BEFORE", "32-Foo-2026"))
    bad(lambda: m._simple_command("SEARCH", "CHARSET", "KOI8-R", "ALL"))
    # UID sets that name nothing are not errors: empty answers.
    expect(ok(m.uid("FETCH", "4000000000", "FLAGS")) == [None], "UID FETCH of a missing UID")
    expect(ok(m.uid("SEARCH", "UID", "4000000000"))[0] == b"", "UID SEARCH of a missing UID")
    # '*' on the last message, ranges backwards.
    data = ok(m.fetch("*:1", "UID"))
    expect(len(data) >= 1, data)
    m.logout()

    r = Raw()
    # Garbage and unknown commands: BAD, session intact.
    r.send(b"\x00\xff garbage\r\n")
    line = r.line()
    expect(line.startswith(b"* BAD"), f"garbage without a tag: {line!r}")
    r.send(b"T1 FROBNICATE\r\n")
    expect(r.until(b"T1")[-1].startswith(b"T1 BAD"), "unknown command")
    r.send(b"T2 LOGIN\r\n")
    expect(r.until(b"T2")[-1].startswith(b"T2 BAD"), "truncated command")
    r.send(b"T3 LOGIN \"unterminated\r\n")
    expect(r.until(b"T3")[-1].startswith(b"T3 BAD"), "unterminated quoted")
    # A line over the limit is discarded and answered BAD, the session goes on.
    r.send(b"T4 NOOP " + b"x" * (70 * 1024) + b"\r\n")
    expect(r.until(b"T4")[-1].startswith(b"T4 BAD"), "overlong line")
    # A synchronizing literal above APPENDLIMIT is refused instead of the "+".
    r.send(b"T5 APPEND INBOX {999999999}\r\n")
    expect(r.until(b"T5")[-1].startswith(b"T5 NO [TOOBIG]"), "huge literal")
    # A synchronizing literal gets "+" first.
    r.send(b"T6 LOGIN {%d}\r\n" % len(F["user"]))
    expect(r.line().startswith(b"+ "), "continuation for a synchronizing literal")
    r.send(F["user"].encode() + b" {%d}\r\n" % len(F["password"]))
    expect(r.line().startswith(b"+ "), "second continuation")
    r.send(F["password"].encode() + b"\r\n")
    expect(r.until(b"T6")[-1].startswith(b"T6 OK"), "LOGIN with literals")
    # Deep nesting is refused.
    r.send(b"T7 SELECT INBOX\r\n")
    r.until(b"T7")
    r.send(b"T8 SEARCH " + b"(" * 100 + b"ALL" + b")" * 100 + b"\r\n")
    expect(r.until(b"T8")[-1].startswith(b"T8 BAD"), "nesting")
    # Thousands of pipelined commands: every one answered, in order.
    n = 3000
    r.send(b"".join(b"P%d NOOP\r\n" % i for i in range(n)))
    seen = 0
    while seen < n:
        line = r.line()
        if line.startswith(b"P"):
            expect(line == b"P%d OK NOOP completed" % seen, line)
            seen += 1
    r.send(b"Z LOGOUT\r\n")
    r.until(b"Z")

    # A non-synchronizing literal above APPENDLIMIT cannot be skipped: BYE and the connection ends.
    r = Raw()
    r.login()
    r.send(b"U1 APPEND INBOX {999999999+}\r\n" + b"x" * 1000)
    line = r.line()
    expect(line.startswith(b"* BYE"), f"huge non-synchronizing literal: {line!r}")
    try:
        expect(r.sock.recv(100) == b"", "closed after BYE")
    except (ConnectionResetError, ssl.SSLError):
        pass

    # A wrong password.
    m = imaplib.IMAP4_SSL(HOST, F["implicit_port"], ssl_context=context(), timeout=20)
    try:
        m.login(F["user"], "wrong")
        raise AssertionError("a wrong password logged in")
    except imaplib.IMAP4.error as e:
        expect("AUTHENTICATIONFAILED" in str(e), str(e))
    # LOGIN before STARTTLS is refused (LOGINDISABLED outside the dev profile).
    p = imaplib.IMAP4(HOST, F["starttls_port"], timeout=20)
    try:
        p.login(F["user"], F["password"])
        raise AssertionError("LOGIN without TLS succeeded")
    except imaplib.IMAP4.error as e:
        expect("PRIVACYREQUIRED" in str(e), str(e))


def starttls_injection():
    # A command pipelined after STARTTLS in the same packet is never executed, no OK is sent.
    r = Raw(tls=False)
    r.send(b"S1 STARTTLS\r\nS2 LOGIN " + F["user"].encode() + b" " + F["password"].encode() + b"\r\n")
    try:
        data = r.sock.recv(4096)
        while data:
            expect(b"S1 OK" not in data and b"S2" not in data, data)
            data = r.sock.recv(4096)
    except (ConnectionResetError, socket.timeout):
        pass


def idle_delivery():
    """IDLE while the Swift test delivers a message as SMTP records it (MessageReceived +
    MessageDelivered): the files tell the test when the session idles and when EXISTS arrived;
    the test measures the time from the delivery."""
    import os
    m = session()
    ok(m.select("INBOX"))
    count = int(m.untagged_responses.pop("EXISTS", [b"0"])[-1])
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    expect(m.readline().startswith(b"+ "), "IDLE continuation")
    open(os.path.join(F["directory"], "idling"), "w").close()
    m.sock.settimeout(30)
    line = m.readline()
    open(os.path.join(F["directory"], "exists"), "w").close()
    expect(line.strip() == b"* %d EXISTS" % (count + 1), line)
    # IMAP4rev1: the only session on the mailbox is the first told of every message (the server
    # started with this test, so all are \Recent here), the new one too.
    line = m.readline()
    expect(line.strip() == b"* %d RECENT" % (count + 1), line)
    m.send(b"DONE\r\n")
    expect(m.readline().startswith(tag + b" OK"), "IDLE ends with OK")
    data = ok(m.fetch(str(count + 1), "(BODY.PEEK[HEADER.FIELDS (Subject Return-Path)])"))
    expect(b"Return-Path: <ann@example.net>" in data[0][1] and b"over smtp" in data[0][1], data)
    m.logout()


def recent():
    """\Recent (RFC 3501 §2.3.2) for IMAP4rev1 sessions: the first read-write session told of a
    message has it as \Recent (RECENT response, FETCH FLAGS, SEARCH RECENT/NEW/OLD); later
    sessions do not; EXAMINE and STATUS do not take it; IMAP4rev2 sessions never see it."""
    a = session()
    typ, data = a.status("INBOX", "(MESSAGES RECENT)")
    messages, recent = map(int, re.search(rb"MESSAGES (\d+) RECENT (\d+)", data[0]).groups())
    ok(a.append("INBOX", None, None, b"Subject: recent one\r\n\r\nhi\r\n"))
    ok(a.append("INBOX", None, None, b"Subject: recent two\r\n\r\nhi\r\n"))
    typ, data = a.status("INBOX", "(MESSAGES RECENT)")
    expect(re.search(rb"MESSAGES %d RECENT %d" % (messages + 2, recent + 2), data[0]), f"STATUS counts the new ones: {data}")
    # EXAMINE sees them as recent but does not take them.
    e = session()
    ok(e.select("INBOX", readonly=True))
    expect(e.untagged_responses.get("RECENT") == [b"%d" % (recent + 2)], f"EXAMINE RECENT: {e.untagged_responses}")
    e.logout()
    ok(a.select("INBOX"))
    expect(a.untagged_responses.get("RECENT") == [b"%d" % (recent + 2)], f"SELECT RECENT: {a.untagged_responses}")
    total = messages + 2
    flags = ok(a.fetch(str(total), "(FLAGS)"))[0]
    expect(b"\\Recent" in flags, flags)
    typ, data = a.search(None, "RECENT")
    expect(str(total).encode() in data[0].split(), f"SEARCH RECENT: {data}")
    typ, data = a.search(None, "NEW")
    expect(str(total).encode() in data[0].split(), f"SEARCH NEW: {data}")
    typ, data = a.search(None, "OLD")
    expect(str(total).encode() not in data[0].split(), f"SEARCH OLD: {data}")
    data = ok(a.store(str(total), "+FLAGS", "(\\Seen)"))
    expect(b"\\Recent" in data[0] and b"\\Seen" in data[0], f"STORE shows \\Recent too: {data}")
    typ, data = a.search(None, "NEW")
    expect(str(total).encode() not in data[0].split(), f"NEW is RECENT UNSEEN: {data}")
    # A later session: not recent any more; STATUS agrees.
    b = session()
    typ, data = b.status("INBOX", "(RECENT)")
    expect(re.search(rb"RECENT 0\)", data[0]), f"STATUS after a SELECT took them: {data}")
    ok(b.select("INBOX"))
    expect(b.untagged_responses.get("RECENT") == [b"0"], f"second SELECT: {b.untagged_responses}")
    expect(b"\\Recent" not in ok(b.fetch(str(total), "(FLAGS)"))[0], "not recent for the second session")
    # A message arriving while both are selected: one of them has it as \Recent, not both.
    a.untagged_responses.clear()
    ok(b.append("INBOX", None, None, b"Subject: recent three\r\n\r\nhi\r\n"))
    ok(a.noop())
    expect(a.untagged_responses.get("EXISTS", [b""])[-1] == b"%d" % (total + 1), f"EXISTS at NOOP: {a.untagged_responses}")
    expect("RECENT" in a.untagged_responses, f"RECENT follows EXISTS: {a.untagged_responses}")
    seen_by = [s for s in (a, b) if b"\\Recent" in ok(s.fetch(str(total + 1), "(FLAGS)"))[0]]
    expect(len(seen_by) == 1, f"recent in {len(seen_by)} sessions")
    a.logout()
    b.logout()
    # IMAP4rev2 has no \Recent: no RECENT response, no \Recent flag.
    ok(session().append("INBOX", None, None, b"Subject: recent four\r\n\r\nhi\r\n"))
    r = Raw()
    r.login()
    r.send(b"V1 ENABLE IMAP4rev2\r\nV2 SELECT INBOX\r\nV3 FETCH * (FLAGS)\r\n")
    lines = r.until(b"V3")
    expect(not any(l.endswith(b" RECENT") or b"\\Recent" in l for l in lines), lines)
    r.send(b"V4 LOGOUT\r\n")
    r.until(b"V4")


def idle():
    a, b = session(), session()
    ok(a.select("INBOX"))
    ok(b.select("INBOX"))
    count = int(a.untagged_responses.pop("EXISTS", [b"0"])[-1])
    # A idles; B appends: A sees EXISTS within 1 second.
    tag = a._new_tag()
    a.send(tag + b" IDLE\r\n")
    expect(a.readline().startswith(b"+ "), "IDLE continuation")
    sent = time.monotonic()
    ok(b.append("INBOX", None, None, b"Subject: new\r\n\r\nhi\r\n"))
    a.sock.settimeout(5)
    line = a.readline()
    elapsed = time.monotonic() - sent
    expect(line.strip() == b"* %d EXISTS" % (count + 1), line)
    expect(elapsed < 1.0, f"EXISTS took {elapsed:.2f}s")
    # RECENT follows (RFC 3501 §7.3.2). A selected first and took the old messages; the new one
    # is \Recent in A or in B, whichever was told of it first.
    line = a.readline()
    expect(line in (b"* %d RECENT\r\n" % count, b"* %d RECENT\r\n" % (count + 1)), line)
    # B sets a flag: A sees FETCH FLAGS.
    ok(b.store(str(count + 1), "+FLAGS", "(\\Flagged)"))
    line = a.readline()
    expect(re.match(rb"\* %d FETCH \(FLAGS \(.*\\Flagged.*\)\)" % (count + 1), line), line)
    # B expunges: A sees EXPUNGE.
    ok(b.store(str(count + 1), "+FLAGS.SILENT", "(\\Deleted)"))
    a.readline()
    ok(b.expunge())
    line = a.readline()
    expect(line.strip() == b"* %d EXPUNGE" % (count + 1), line)
    a.send(b"DONE\r\n")
    line = a.readline()
    expect(line.startswith(tag + b" OK"), line)

    # Outside IDLE: no EXPUNGE during FETCH by number, but after NOOP / UID FETCH.
    ok(b.append("INBOX", None, None, b"Subject: second\r\n\r\nhi\r\n"))
    data = ok(a.noop())
    expect(a.untagged_responses.pop("EXISTS", None) == [b"%d" % (count + 1)], "EXISTS at NOOP")
    ok(b.store(str(count + 1), "+FLAGS.SILENT", "(\\Deleted)"))
    ok(b.expunge())
    a.untagged_responses.clear()
    ok(a.fetch("1", "(FLAGS)"))
    expect("EXPUNGE" not in a.untagged_responses, f"no EXPUNGE during FETCH: {a.untagged_responses}")
    ok(a.noop())
    expect(a.untagged_responses.get("EXPUNGE") == [b"%d" % (count + 1)], f"EXPUNGE at NOOP: {a.untagged_responses}")

    # SELECT of the mailbox already selected (the session brings its listing up to date rather
    # than reading it again): after B appends, flags and expunges, A sees what a new session sees.
    ok(b.append("INBOX", None, None, b"Subject: third\r\n\r\nhi\r\n"))
    ok(b.append("INBOX", None, None, b"Subject: fourth\r\n\r\nhi\r\n"))
    ok(b.store("1", "+FLAGS.SILENT", "(\\Answered $Reselect)"))
    ok(b.store(str(count + 1), "+FLAGS.SILENT", "(\\Deleted)"))
    ok(b.expunge())
    def selected_view(c):
        c.untagged_responses.clear()
        ok(c.select("INBOX"))
        exists = c.untagged_responses.get("EXISTS")
        flags = c.untagged_responses.get("FLAGS")
        data = ok(c.uid("FETCH", "1:*", "(FLAGS)"))
        return exists, flags, sorted(fetch_map(data).items())
    fresh = session()
    reselected, new = selected_view(a), selected_view(fresh)
    expect(reselected == new, f"re-SELECT differs from a fresh SELECT:\n{reselected}\n{new}")
    expect(b"$Reselect" in b" ".join(reselected[1] or []), f"new keyword in FLAGS: {reselected[1]}")
    fresh.logout()
    a.logout()
    b.logout()


def mbsync():
    """Two-way sync with mbsync (isync): a populated account both ways, a second sync that
    transfers nothing, flags from either side, EXPUNGE and MOVE on the server, deletion and a new
    message on the client."""
    import os
    import subprocess
    import tempfile
    work = tempfile.mkdtemp(prefix="roost-mbsync-")
    mail = os.path.join(work, "mail")
    os.makedirs(mail)
    rc = os.path.join(work, "mbsyncrc")
    with open(rc, "w") as f:
        f.write(f"""IMAPAccount roost
Host 127.0.0.1
Port {F["implicit_port"]}
User {F["user"]}
Pass {F["password"]}
SSLType IMAPS
CertificateFile {F["cafile"]}

IMAPStore remote
Account roost

MaildirStore local
Path {mail}/
Inbox {mail}/INBOX
SubFolders Verbatim

Channel roost
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
""")

    def run():
        p = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, text=True, timeout=120)
        expect(p.returncode == 0, f"mbsync failed: {p.stdout}{p.stderr}")
        return p.stdout + p.stderr

    maildir_sync(run, mail)
    shutil.rmtree(work, ignore_errors=True)


def offlineimap():
    """The same two-way sync with offlineimap."""
    import os
    import subprocess
    import tempfile
    work = tempfile.mkdtemp(prefix="roost-offlineimap-")
    mail = os.path.join(work, "mail")
    os.makedirs(mail)
    rc = os.path.join(work, "offlineimaprc")
    with open(rc, "w") as f:
        f.write(f"""[general]
accounts = roost
metadata = {work}/meta

[Account roost]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = {mail}

[Repository remote]
type = IMAP
remotehost = 127.0.0.1
remoteport = {F["implicit_port"]}
ssl = yes
sslcacertfile = {F["cafile"]}
remoteuser = {F["user"]}
remotepass = {F["password"]}
""")

    def run():
        p = subprocess.run(["offlineimap", "-c", rc, "-o", "-u", "basic"], capture_output=True, text=True, timeout=120)
        expect(p.returncode == 0 and "ERROR" not in p.stdout + p.stderr, f"offlineimap failed: {p.stdout}{p.stderr}")
        return p.stdout + p.stderr

    maildir_sync(run, mail)
    shutil.rmtree(work, ignore_errors=True)


def maildir_sync(run, mail):
    """Populates the account, syncs with `run`, and checks both directions on the Maildir `mail`."""
    import glob
    import os

    def local(box):
        return sorted(glob.glob(os.path.join(mail, box, "cur", "*")) + glob.glob(os.path.join(mail, box, "new", "*")))

    def remote_uids(m, box):
        ok(m.select(box))
        return [int(x) for x in ok(m.uid("SEARCH", "ALL"))[0].split()]

    m = session()
    for i in range(3):
        ok(m.append("INBOX", "(\\Seen)" if i == 0 else None, None, b"Subject: sync %d\r\n\r\nbody %d\r\n" % (i, i)))
    ok(m.create("Work"))
    ok(m.append("Work", None, None, b"Subject: work\r\n\r\nwork\r\n"))
    out = run()
    expect(len(local("INBOX")) == 4 and len(local("Work")) == 1, f"first sync: {local('INBOX')} {local('Work')}\n{out}")
    expect(any(path.endswith(",S") for path in local("INBOX")), "\\Seen came down as S")
    def quiet_sync(what):
        # Nothing may change on either side: the server's HIGHESTMODSEQ and message counts, and
        # the client's files (names carry the flags).
        before = [ok(m.status(b, "(HIGHESTMODSEQ MESSAGES)"))[0] for b in ("INBOX", "Work")], local("INBOX"), local("Work")
        out = run()
        after = [ok(m.status(b, "(HIGHESTMODSEQ MESSAGES)"))[0] for b in ("INBOX", "Work")], local("INBOX"), local("Work")
        expect(before == after, f"{what}: a sync transferred something: {before} -> {after}\n{out}")

    quiet_sync("second sync")

    # A flag set on the client goes up.
    target = [p for p in local("INBOX") if not p.endswith(",S")][0]
    os.rename(target, os.path.join(mail, "INBOX", "cur", os.path.basename(target).split(":")[0] + ":2,F"))
    run()
    ok(m.select("INBOX"))
    expect(len(ok(m.search(None, "FLAGGED"))[0].split()) == 1, "client flag reached the server")
    # A flag set on the server comes down.
    ok(m.store("1:*", "+FLAGS", "(\\Answered)"))
    run()
    expect(all(",R" in p.split(":2")[-1] or "R" in p.split(",")[-1] for p in local("INBOX")), f"server flag came down: {local('INBOX')}")

    # EXPUNGE on the server removes the local copy.
    uids = remote_uids(m, "INBOX")
    ok(m.uid("STORE", str(uids[-1]), "+FLAGS.SILENT", "(\\Deleted)"))
    ok(m.expunge())
    run()
    expect(len(local("INBOX")) == 3, f"server expunge propagated: {local('INBOX')}")
    # MOVE on the server moves the local copy.
    ok(m.select("INBOX"))
    typ, data = m._simple_command("UID", "MOVE", str(remote_uids(m, "INBOX")[-1]), "Work")
    expect(typ == "OK", data)
    run()
    expect(len(local("INBOX")) == 2 and len(local("Work")) == 2, f"MOVE propagated: {local('INBOX')} {local('Work')}")
    # Deleting on the client expunges on the server; a new client message is appended.
    os.remove(local("Work")[0])
    with open(os.path.join(mail, "INBOX", "new", "1700000000.1_1.local"), "wb") as f:
        f.write(b"Subject: from the client\r\n\r\nwritten locally\r\n")
    run()
    expect(len(remote_uids(m, "Work")) == 1, "client deletion propagated")
    ok(m.select("INBOX"))
    expect(len(ok(m.search(None, "SUBJECT", "\"from the client\""))[0].split()) == 1, "client message uploaded")
    quiet_sync("after the changes")
    m.logout()


def mutt():
    """mutt under tmux (send-keys / capture-pane): opens the INBOX, reads a message and flags it;
    the flags are then visible over imaplib."""
    import os
    import subprocess
    import tempfile
    m = session()
    ok(m.append("INBOX", None, None, b"From: Carol <carol@example.net>\r\nSubject: mutt target\r\n\r\nread me in mutt\r\n"))
    work = tempfile.mkdtemp(prefix="roost-mutt-")
    rc = os.path.join(work, "muttrc")
    user = F["user"].replace("@", "%40")
    with open(rc, "w") as f:
        f.write(f"""set folder="imaps://{user}@127.0.0.1:{F["implicit_port"]}/"
set spoolfile="+INBOX"
set imap_pass="{F["password"]}"
set certificate_file="{F["cafile"]}"
set ssl_force_tls=yes
set record=""
set postponed=""
set header_cache=""
set message_cachedir=""
set mail_check=1
set timeout=1
set sort=date
set quit=yes
set move=no
set delete=yes
set mark_old=no
set wait_key=no
set pager_stop=yes
""")
    session_name = f"roost-mutt-{os.getpid()}"

    def tmux(*args):
        return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=30)

    def screen():
        return tmux("capture-pane", "-p", "-t", session_name).stdout

    def wait_for(text, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            shown = screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"mutt never showed {text!r}:\n{screen()}")

    env = dict(os.environ, TERM="xterm", HOME=work)
    started = subprocess.run(["tmux", "new-session", "-d", "-s", session_name, "-x", "160", "-y", "40",
                              f"mutt -n -F {rc}"], env=env, capture_output=True, text=True, timeout=30)
    expect(started.returncode == 0, started.stderr)
    try:
        wait_for("mutt target")
        # Put the cursor on the message: search for its subject, then open it.
        tmux("send-keys", "-t", session_name, "/", "mutt target", "Enter")
        time.sleep(0.5)
        tmux("send-keys", "-t", session_name, "Enter")
        wait_for("read me in mutt")
        tmux("send-keys", "-t", session_name, "i")  # back to the index
        time.sleep(0.5)
        tmux("send-keys", "-t", session_name, "F")  # flag it
        time.sleep(0.5)
        tmux("send-keys", "-t", session_name, "$")  # sync the mailbox
        time.sleep(1.5)
        tmux("send-keys", "-t", session_name, "q")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and tmux("has-session", "-t", session_name).returncode == 0:
            time.sleep(0.2)
    finally:
        tmux("kill-session", "-t", session_name)
    ok(m.select("INBOX"))
    data = ok(m.search(None, "SUBJECT", "\"mutt target\""))
    number = data[0].split()[0]
    flags = ok(m.fetch(number, "(FLAGS)"))[0]
    expect(b"\\Seen" in flags and b"\\Flagged" in flags, f"mutt's flags not on the server: {flags}")
    m.logout()
    shutil.rmtree(work, ignore_errors=True)


{"idle-delivery": idle_delivery, "offlineimap": offlineimap, "mutt": mutt, "mbsync": mbsync, "commands": commands, "errors": errors, "starttls-injection": starttls_injection, "idle": idle,
 "recent": recent}[scenario]()
print(f"test-imap {scenario}: ok")

#!/usr/bin/env python3
"""UTF8=ACCEPT (RFC 6855) and LIST-EXTENDED's RECURSIVEMATCH / CHILDINFO (RFC 5258) against a real
`roost serve`, with Python's imaplib (and a raw socket where imaplib cannot say it: its UTF8 APPEND
puts `UTF8 (` inside the literal, so the literal8 form is written by hand).

Usage: test-imap-ext.py FIXTURE.json   (run by scripts/test-qresync.sh)
FIXTURE.json has implicit_port, cafile, user, password. Exits non-zero on the first mismatch.
"""
import imaplib
import json
import re
import socket
import sys

from roost_client import LineSocket, expect, tls_context

F = json.load(open(sys.argv[1]))
HOST = "127.0.0.1"
imaplib.Commands.setdefault("ENABLE", ("AUTH",))

# An SMTPUTF8 message (RFC 6532): UTF-8 in the address and the subject, no encoded words.
UTF8_MESSAGE = ("From: =?x?q?x?= <yamada@例え.jp>\r\n".replace("=?x?q?x?= ", "山田 ")
                + "To: alice@example.org\r\nSubject: café ☕ report\r\n"
                "Message-ID: <utf8-1@例え.jp>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\nGrüße.\r\n").encode()


def context():
    return tls_context(F["cafile"])


def session():
    m = imaplib.IMAP4_SSL(HOST, F["implicit_port"], ssl_context=context(), timeout=30)
    m.login(F["user"], F["password"])
    return m


def ok(result, what=""):
    typ, data = result
    expect(typ == "OK", f"{what}: expected OK, got {typ} {data!r}")
    return data


def bad(call, what):
    try:
        typ, data = call()
    except imaplib.IMAP4.error as e:
        return str(e)
    raise AssertionError(f"{what}: expected BAD, got {typ} {data!r}")


class Raw(LineSocket):
    """One IMAP connection over TLS on the wire; `cmd` returns (untagged lines, tagged line) as bytes."""
    counter = 0

    def __init__(self):
        super().__init__(context().wrap_socket(socket.create_connection((HOST, F["implicit_port"]), timeout=30)))
        self.line()
        _, tagged = self.cmd(f'LOGIN "{F["user"]}" "{F["password"]}"'.encode())
        expect(tagged.startswith(b"OK"), tagged)

    def cmd(self, text, after=b""):
        Raw.counter += 1
        tag = f"r{Raw.counter}".encode()
        self.sock.sendall(tag + b" " + text + after + b"\r\n")
        untagged = []
        while True:
            line = self.line()
            if line.startswith(tag + b" "):
                return untagged, line[len(tag) + 1:]
            # A literal in a response: its bytes follow the line.
            m = re.search(rb"\{(\d+)\}$", line)
            if m:
                n = int(m.group(1))
                while len(self.buf) < n:
                    self.buf += self.sock.recv(65536)
                line += b"\r\n" + self.buf[:n]
                self.buf = self.buf[n:]
                line += self.line()
            untagged.append(line)

    def close(self):
        self.cmd(b"LOGOUT")
        self.sock.close()


def utf8_accept():
    # Before ENABLE: an IMAP4rev1 session names mailboxes in modified UTF-7 (RFC 3501 §5.1.3).
    m = session()
    expect("UTF8=ACCEPT" in m.capabilities, m.capabilities)
    ok(m.create("Entw&APw-rfe"), "CREATE in modified UTF-7")
    listed = ok(m.list('""', "Entw*"))
    expect(listed == [b'(\\HasNoChildren) "/" "Entw&APw-rfe"'], listed)

    # RFC 6855 §4: the UTF8 data item is BAD before ENABLE UTF8=ACCEPT.
    raw = Raw()
    _, tagged = raw.cmd(b"APPEND INBOX UTF8 (~{%d+}\r\n" % len(UTF8_MESSAGE), UTF8_MESSAGE + b")")
    expect(tagged.startswith(b"BAD"), tagged)
    # RFC 6855 §3: a UTF-8 name is accepted before ENABLE too, and sent back in modified UTF-7.
    _, tagged = raw.cmd("CREATE \"日本/報告\"".encode())
    expect(tagged.startswith(b"OK"), tagged)
    untagged, _ = raw.cmd(b'LIST "" "&ZeVnLA-/*"')
    expect(untagged == [b'* LIST (\\HasNoChildren) "/" "&ZeVnLA-/&WDFUSg-"'], untagged)

    # ENABLE (RFC 5161) tells what it newly enabled; a second time, nothing.
    untagged, _ = raw.cmd(b"ENABLE UTF8=ACCEPT")
    expect(untagged == [b"* ENABLED UTF8=ACCEPT"], untagged)
    untagged, tagged = raw.cmd(b"ENABLE UTF8=ACCEPT")
    expect(untagged == [b"* ENABLED"] and tagged.startswith(b"OK"), (untagged, tagged))
    # After ENABLE: names in UTF-8, quoted.
    untagged, _ = raw.cmd(b'LIST "" "Entw*"')
    expect(untagged == ['* LIST (\\HasNoChildren) "/" "Entwürfe"'.encode()], untagged)
    untagged, _ = raw.cmd("STATUS \"日本/報告\" (MESSAGES)".encode())
    expect(untagged == ['* STATUS "日本/報告" (MESSAGES 0)'.encode()], untagged)
    # APPEND with the UTF8 data item (a literal8 in parentheses, here non-synchronizing).
    _, tagged = raw.cmd("APPEND \"Entwürfe\" (\\Seen) UTF8 (~{%d+}\r\n".encode() % len(UTF8_MESSAGE), UTF8_MESSAGE + b")")
    expect(tagged.startswith(b"OK [APPENDUID "), tagged)
    uid = int(tagged.split()[3].rstrip(b"]"))
    _, tagged = raw.cmd("SELECT \"Entwürfe\"".encode())
    expect(tagged.startswith(b"OK [READ-WRITE]"), tagged)
    # ENVELOPE of an SMTPUTF8 message: UTF-8 in quoted strings, not downgraded.
    untagged, _ = raw.cmd(b"UID FETCH %d (ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)])" % uid)
    envelope = untagged[0]
    expect('"café ☕ report"'.encode() in envelope, envelope)
    expect('("山田" NIL "yamada" "例え.jp")'.encode() in envelope, envelope)
    expect("Subject: café ☕ report".encode() in envelope, envelope)
    # The stored message is the literal8's bytes, not "UTF8 (...)".
    untagged, _ = raw.cmd(b"UID FETCH %d (RFC822.SIZE)" % uid)
    expect(b"RFC822.SIZE %d" % len(UTF8_MESSAGE) in untagged[0], untagged)
    # SEARCH with UTF-8 strings and no CHARSET works; with CHARSET it is BAD (RFC 6855 §3).
    untagged, _ = raw.cmd("UID SEARCH SUBJECT \"café ☕\"".encode())
    expect(untagged == [b"* SEARCH %d" % uid], untagged)
    _, tagged = raw.cmd(b"UID SEARCH CHARSET UTF-8 ALL")
    expect(tagged.startswith(b"BAD"), tagged)
    raw.close()

    # A session that did not enable: the same message's ENVELOPE keeps its 8-bit bytes, in a
    # literal (IMAP4rev1 quoted strings are 7-bit), and the name is modified UTF-7 again.
    ok(m.select("Entw&APw-rfe"))
    typ, data = m.uid("FETCH", str(uid), "(ENVELOPE)")
    expect(typ == "OK", data)
    flat = b"".join(part if isinstance(part, bytes) else b"".join(part) for part in data)
    expect("café ☕ report".encode() in flat and b'"caf' not in flat, flat)
    # imaplib's own UTF8 mode (ENABLE is for the authenticated state): names go out as UTF-8.
    ok(m.unselect())
    ok(m.enable("UTF8=ACCEPT"))
    expect(m.utf8_enabled, "imaplib switched to UTF-8")
    listed = ok(m.list('""', '"日本*"'))
    expect(listed == ['(\\HasChildren) "/" "日本"'.encode(), '(\\HasNoChildren) "/" "日本/報告"'.encode()], listed)
    ok(m.delete('"日本/報告"'))
    ok(m.delete('"日本"'))
    ok(m.delete('"Entwürfe"'))
    m.logout()


def list_extended():
    """RFC 5258 §5 example 9 adapted: Foo2, Baz2 and eps2 have subscribed inferiors; qux2 does not
    exist (deleted, its inferior kept); gone2 is subscribed but deleted."""
    m = session()
    names = ["Foo2/Bar1", "Foo2/Bar2", "Baz2/Bar2", "Baz2/Bar22", "Baz2/Bar222", "eps2/mamba", "qux2/bar2", "gone2"]
    for name in names:
        ok(m.create(name), name)
    for name in names + ["eps2"]:
        ok(m.subscribe(name), name)
    ok(m.delete("qux2"))
    ok(m.delete("gone2"))
    # "%2" keeps the account's own mailboxes (INBOX, Sent…) out of the answers.
    listed = ok(m.list('(SUBSCRIBED RECURSIVEMATCH) ""', "%2"))
    expect(listed == [
        b'(\\HasChildren) "/" "Baz2" ("CHILDINFO" ("SUBSCRIBED"))',
        b'(\\HasChildren) "/" "Foo2" ("CHILDINFO" ("SUBSCRIBED"))',
        b'(\\HasChildren \\Subscribed) "/" "eps2" ("CHILDINFO" ("SUBSCRIBED"))',
        b'(\\NonExistent \\HasNoChildren \\Subscribed) "/" "gone2"',
        b'(\\NonExistent \\HasChildren) "/" "qux2" ("CHILDINFO" ("SUBSCRIBED"))',
    ], listed)
    # Without RECURSIVEMATCH: only the subscribed names.
    listed = ok(m.list('(SUBSCRIBED) ""', "%2"))
    expect(listed == [b'(\\HasChildren \\Subscribed) "/" "eps2"', b'(\\NonExistent \\HasNoChildren \\Subscribed) "/" "gone2"'], listed)
    listed = ok(m.list('(SUBSCRIBED RECURSIVEMATCH) ""', "qux2/*"))
    expect(listed == [b'(\\HasNoChildren \\Subscribed) "/" "qux2/bar2"'], listed)
    # A plain LIST: qux2 is a superior that does not exist.
    listed = ok(m.list('""', "qux2"))
    expect(listed == [b'(\\Noselect \\HasChildren) "/" "qux2"'], listed)
    # LIST-STATUS (RFC 5819): STATUS only for the names that meet the selection and exist.
    typ, data = m._simple_command("LIST", '(SUBSCRIBED RECURSIVEMATCH) ""', "%2", "RETURN", "(STATUS (MESSAGES))")
    expect(typ == "OK", data)
    statuses = m.untagged_responses.pop("STATUS", [])
    m.untagged_responses.pop("LIST", None)
    expect(statuses == [b'"eps2" (MESSAGES 0)'], statuses)
    # RFC 9051 §6.3.9: RECURSIVEMATCH alone, or only with REMOTE, is BAD.
    for options in ["(RECURSIVEMATCH)", "(RECURSIVEMATCH REMOTE)"]:
        bad(lambda: m.list(options + ' ""', "*"), options)
    # With SPECIAL-USE it is not: the parent of a special-use mailbox comes back with CHILDINFO.
    typ, data = m._simple_command("CREATE", "Years/2025", "(USE (\\Archive))")
    expect(typ == "OK", f"CREATE-SPECIAL-USE: {typ} {data}")
    listed = ok(m.list('(SPECIAL-USE RECURSIVEMATCH) ""', "Years"))
    # Years (created as the superior, RFC 9051 §6.3.4) has no special use itself.
    expect(listed == [b'(\\HasChildren) "/" "Years" ("CHILDINFO" ("SPECIAL-USE"))'], listed)
    listed = ok(m.list('(SPECIAL-USE RECURSIVEMATCH) ""', "Years/%"))
    expect(listed == [b'(\\HasNoChildren \\Archive) "/" "Years/2025"'], listed)
    ok(m.delete("Years/2025"), "Years/2025")
    ok(m.delete("Years"), "Years")
    for name in ["Foo2/Bar1", "Foo2/Bar2", "Foo2", "Baz2/Bar2", "Baz2/Bar22", "Baz2/Bar222", "Baz2", "eps2/mamba", "eps2", "qux2/bar2"]:
        ok(m.delete(name), name)
    for name in names + ["eps2"]:
        ok(m.unsubscribe(name), name)
    listed = ok(m.list('(SUBSCRIBED RECURSIVEMATCH) ""', "%2"))
    expect(listed == [None], listed)
    m.logout()


utf8_accept()
list_extended()
print("test-imap-ext: ok")

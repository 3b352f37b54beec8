#!/usr/bin/env python3
"""Drives Roost's SMTP listeners with smtplib and raw sockets, and reads messages back via POP3.

Usage: test-smtp.py SCENARIO FIXTURE.json   (scripts/test-smtp.sh starts the server)
Scenarios: clients (everything smtplib and raw sockets can check), tools (messages swaks and
msmtp sent), ratelimit, load (until the server is SIGKILLed), verify-load.
Exits non-zero with a traceback on the first mismatch.
"""
import base64
import json
import poplib
import random
import smtplib
import socket
import sys
import threading
import time

from roost_client import LineSocket, expect, tls_context

scenario, fixture_path = sys.argv[1], sys.argv[2]
F = json.load(open(fixture_path))
HOST = "127.0.0.1"
poplib._MAXLINE = 100_000  # message lines may be long (the 998-octet ones of the size test)


def context():
    return tls_context(F["cafile"])


def message(test_id, body=b"hello\r\n", extra=b""):
    return (b"From: sender@example.com\r\nTo: alice@example.org\r\nSubject: test " + test_id.encode() + b"\r\n"
            b"Message-ID: <" + test_id.encode() + b"@example.com>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
            b"X-Test-Id: " + test_id.encode() + b"\r\n" + extra + b"\r\n" + body)


class Raw(LineSocket):
    """A line-level SMTP client over a plain socket, for what smtplib hides or refuses to do."""

    def __init__(self, port, timeout=10):
        super().__init__(socket.create_connection((HOST, port), timeout=timeout))
        self.greeting = self.reply()

    def reply(self):
        lines = [self.line()]
        while lines[-1][3:4] == b"-":
            lines.append(self.line())
        return int(lines[-1][:3]), b"\n".join(lines)

    def cmd(self, text):
        self.send(text.encode() + b"\r\n" if isinstance(text, str) else text + b"\r\n")
        return self.reply()

    def closed(self):
        try:
            data = self.sock.recv(1)
            return data == b""
        except (ConnectionResetError, socket.timeout):
            return True


def mailbox(user, password):
    """Every message in the user's INBOX via POP3 (STLS), as bytes with CRLF line endings."""
    p = poplib.POP3(HOST, F["pop3"], timeout=15)
    p.stls(context())
    p.user(user)
    p.pass_(password)
    out = []
    for i in range(1, len(p.list()[1]) + 1):
        lines = p.retr(i)[1]
        out.append(b"\r\n".join(lines) + b"\r\n")
    p.quit()
    return out


def find(messages, test_id):
    tag = b"X-Test-Id: " + test_id.encode() + b"\r\n"
    return [m for m in messages if tag in m]


def check_stored(messages, test_id, sent, sender, must=()):
    """The stored message is the sent bytes, unchanged, after the header Roost added."""
    found = find(messages, test_id)
    expect(len(found) == 1, f"{test_id}: found {len(found)} copies")
    got = found[0]
    expect(got.endswith(sent), f"{test_id}: stored bytes differ from sent:\n{got!r}\nvs\n{sent!r}")
    added = got[: len(got) - len(sent)]
    expect(added.startswith(b"Return-Path: <" + sender.encode() + b">\r\nReceived: from "), f"{test_id}: added header {added!r}")
    for fragment in must:
        expect(fragment.encode() in added, f"{test_id}: {fragment!r} not in {added!r}")
    return added


# ---------------------------------------------------------------------------- scenarios

def clients():
    alice, alice_pw = F["alice"], F["alice_password"]
    sent = {}

    # Plain MX, with a dot-stuffed line, 8-bit body (BODY=8BITMIME).
    s = smtplib.SMTP(HOST, F["mx"], timeout=10)
    code, ehlo = s.ehlo("client.example")
    for keyword in [b"PIPELINING", b"SIZE 200000", b"8BITMIME", b"SMTPUTF8", b"ENHANCEDSTATUSCODES", b"CHUNKING", b"DSN", b"STARTTLS"]:
        expect(keyword in ehlo, f"EHLO lacks {keyword!r}: {ehlo!r}")
    expect(b"AUTH" not in ehlo, "MX offers AUTH")
    sent["mx-plain"] = message("mx-plain", b"line one\r\n.leading dot\r\n..two dots\r\n\xc3\xa9t\xc3\xa9 8-bit \xff\r\n")
    s.sendmail("sender@example.com", [alice], sent["mx-plain"], mail_options=["BODY=8BITMIME"],
               rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;alice@example.org"])
    # Unknown users, and the open-relay suite: all refused at RCPT.
    s.mail("sender@example.com")
    for rcpt, code_prefix in [("nobody@example.org", b"5.1.1"), ("victim@elsewhere.example", b"5.7.1"),
                              ("victim%elsewhere.example@example.org", b"5.7.1"), ("@example.org:victim@elsewhere.example", b"5.7.1"),
                              ('"victim@elsewhere.example"@example.org', b"5.7.1"), ("elsewhere.example!victim@example.org", b"5.7.1"),
                              ("alice@[127.0.0.1]", b"5.7.1"), ("victim@elsewhere.example.", b"5.1.3")]:
        code, text = s.docmd(f"RCPT TO:<{rcpt}>")  # raw: smtplib rewrites source routes
        expect(code >= 550 or code_prefix == b"5.1.3" and code_prefix in text, f"RCPT {rcpt}: {code} {text!r}")
    s.rset()
    # VRFY is non-committal, HELP and NOOP answer.
    expect(s.verify("alice")[0] == 252, "VRFY")
    expect(s.docmd("HELP")[0] == 214, "HELP")
    expect(s.noop()[0] == 250, "NOOP")
    # SIZE over the limit is refused at MAIL.
    code, text = s.mail("sender@example.com", ["SIZE=999999999"])
    expect(code == 552 and b"5.3.4" in text, f"SIZE: {code} {text!r}")
    # Non-FQDN sender: the classic check, recorded.
    code, text = s.mail("root@localhost")
    expect(code == 504, f"non-FQDN sender: {code} {text!r}")
    s.quit()

    # MX with STARTTLS; SMTPUTF8 with a UTF-8 sender and header.
    s = smtplib.SMTP(HOST, F["mx"], timeout=10)
    s.starttls(context=context())
    code, ehlo = s.ehlo("client.example")
    expect(b"STARTTLS" not in ehlo, "STARTTLS offered twice")
    sent["mx-utf8"] = message("mx-utf8", "Grüße aus Köln\r\n".encode(), "Subject: Grüße\r\n".encode())
    s.sendmail("jörg@bücher.example", [alice], sent["mx-utf8"], mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    s.quit()

    # Submission: no AUTH offered and refused before TLS (not the dev profile); MAIL needs AUTH.
    s = smtplib.SMTP(HOST, F["submission"], timeout=10)
    code, ehlo = s.ehlo("laptop.example")
    expect(b"AUTH" not in ehlo, "AUTH offered before TLS")
    expect(s.docmd("AUTH PLAIN " + base64.b64encode(f"\0{alice}\0{alice_pw}".encode()).decode())[0] == 538, "AUTH before TLS")
    expect(s.mail(alice)[0] == 530, "MAIL without AUTH on submission")
    s.starttls(context=context())
    code, ehlo = s.ehlo("laptop.example")
    expect(b"AUTH PLAIN LOGIN" in ehlo, f"AUTH after TLS: {ehlo!r}")
    try:
        s.login(alice, "wrong password")
        raise AssertionError("a wrong password worked")
    except smtplib.SMTPAuthenticationError as e:
        expect(e.smtp_code == 535, f"wrong password: {e}")
    s.login(alice, alice_pw)  # PLAIN
    # The envelope sender must be the user's own.
    expect(s.mail("bob@example.org")[0] == 553, "sending as bob")
    s.rset()
    # No Message-ID or Date: Roost adds them (the one change to submitted bytes).
    bare = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: no ids\r\nX-Test-Id: sub-noids\r\n\r\nbody\r\n"
    s.sendmail("alice+tag@example.org", [F["bob"], "friend@elsewhere.example"], bare)
    sent["sub-noids"] = bare
    s.quit()

    # Submissions (implicit TLS), AUTH LOGIN, to an alias that reaches alice and bob.
    s = smtplib.SMTP_SSL(HOST, F["submissions"], timeout=10, context=context())
    s.ehlo("laptop.example")
    s.user, s.password = alice, alice_pw
    code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
    expect(code == 235, "AUTH LOGIN")
    sent["subs-team"] = message("subs-team").replace(b"sender@example.com", b"alice@example.org")
    s.sendmail(alice, ["team@example.org"], sent["subs-team"])
    s.quit()

    # Pipelining: one write, replies in order (RFC 2920).
    r = Raw(F["mx"])
    r.send(b"EHLO pipe.example\r\nMAIL FROM:<p@example.com>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<nobody@example.org>\r\n"
           b"RCPT TO:<team@example.org>\r\nDATA\r\n")
    codes = [r.reply()[0] for _ in range(6)]
    expect(codes == [250, 250, 250, 550, 250, 354], f"pipelined replies {codes}")
    sent["pipelined"] = message("pipelined")
    r.send(sent["pipelined"] + b".\r\nQUIT\r\n")
    code, text = r.reply()
    expect(code == 250 and b"queued as" in text, f"pipelined DATA {code} {text!r}")
    expect(r.reply()[0] == 221, "QUIT")

    # BDAT (RFC 3030): binary-clean chunks, no dot handling, then LAST; and BDAT 0 LAST.
    r = Raw(F["mx"])
    r.cmd("EHLO chunky.example")
    chunks = [message("bdat", b"")[:-2], b"\r\n.not stuffed\r\n..kept\r\n", b"the end\r\n"]
    sent["bdat"] = b"".join(chunks)
    r.send(b"MAIL FROM:<c@example.com> BODY=8BITMIME\r\nRCPT TO:<alice@example.org>\r\n")
    expect([r.reply()[0], r.reply()[0]] == [250, 250], "BDAT envelope")
    for i, chunk in enumerate(chunks[:-1]):
        r.send(b"BDAT %d\r\n" % len(chunk) + chunk)
        code, text = r.reply()
        expect(code == 250, f"BDAT chunk {i}: {code} {text!r}")
    r.send(b"BDAT %d LAST\r\n" % len(chunks[-1]) + chunks[-1])
    code, text = r.reply()
    expect(code == 250 and b"queued as" in text, f"BDAT LAST {code} {text!r}")
    r.send(b"MAIL FROM:<c@example.com>\r\nRCPT TO:<alice@example.org>\r\n")
    r.reply(); r.reply()
    sent["bdat-2"] = message("bdat-2")
    r.send(b"BDAT %d\r\n" % len(sent["bdat-2"]) + sent["bdat-2"] + b"BDAT 0 LAST\r\n")
    expect(r.reply()[0] == 250, "BDAT before 0 LAST")
    expect(r.reply()[0] == 250, "BDAT 0 LAST")
    # DATA after BDAT in one transaction, and BDAT without MAIL (its chunk is still read).
    r.send(b"BDAT 6\r\nNOOP\r\n")  # the chunk is "NOOP\r\n", never a command
    expect(r.reply()[0] == 503, "BDAT without MAIL")
    expect(r.cmd("NOOP")[0] == 250, "after the refused chunk")
    r.cmd("QUIT")

    bad_input()

    messages = mailbox(alice, alice_pw)
    check_stored(messages, "mx-plain", sent["mx-plain"], "sender@example.com", ["with ESMTP id", "for <alice@example.org>"])
    check_stored(messages, "mx-utf8", sent["mx-utf8"], "jörg@bücher.example", ["(using TLSv1.", "with UTF8SMTPS"])
    check_stored(messages, "subs-team", sent["subs-team"], alice,
                 ["(using TLSv1.", "(Authenticated sender: alice@example.org)", "with ESMTPSA", "for <team@example.org>"])
    check_stored(messages, "pipelined", sent["pipelined"], "p@example.com")
    check_stored(messages, "bdat", sent["bdat"], "c@example.com")
    check_stored(messages, "bdat-2", sent["bdat-2"], "c@example.com")
    expect(not find(messages, "smuggled") and not find(messages, "mid-data") and not find(messages, "too-big"),
           "refused messages were delivered")
    bob_messages = mailbox(F["bob"], F["bob_password"])
    check_stored(bob_messages, "subs-team", sent["subs-team"], alice)
    noids = find(bob_messages, "sub-noids")
    expect(len(noids) == 1, "sub-noids to bob")
    stored = noids[0][noids[0].index(b"Message-ID: <"):]
    expect(stored.endswith(bare), "submitted bytes kept after the added fields")
    added_fields = stored[: len(stored) - len(bare)]
    expect(added_fields.startswith(b"Message-ID: <") and b"\r\nDate: " in added_fields and added_fields.count(b"\r\n") == 2,
           f"Message-ID and Date added: {added_fields!r}")
    print("clients: ok")


def bad_input():
    # Commands out of order.
    r = Raw(F["mx"])
    expect(r.cmd("MAIL FROM:<a@example.com>")[0] == 503, "MAIL before EHLO")
    r.cmd("EHLO order.example")
    expect(r.cmd("RCPT TO:<alice@example.org>")[0] == 503, "RCPT before MAIL")
    expect(r.cmd("DATA")[0] == 503, "DATA before MAIL")
    r.cmd("MAIL FROM:<a@example.com>")
    expect(r.cmd("MAIL FROM:<a@example.com>")[0] == 503, "nested MAIL")
    expect(r.cmd("DATA")[0] == 554, "DATA without recipients")
    expect(r.cmd("EXPN staff")[0] == 500, "EXPN")
    # An oversized command line: 500, and the connection goes on.
    code, text = r.cmd(b"NOOP " + b"x" * 20000)
    expect(code == 500 and b"5.5.2" in text, f"long line {code}")
    expect(r.cmd("NOOP")[0] == 250, "after a long line")
    # A bare-LF command is not executed.
    r.send(b"NOOP\n")
    expect(r.reply()[0] == 500, "bare LF command")
    # An oversized message: read to its end, then 552; nothing delivered.
    r.cmd("RSET")
    r.cmd("MAIL FROM:<a@example.com>")
    r.cmd("RCPT TO:<alice@example.org>")
    expect(r.cmd("DATA")[0] == 354, "DATA")
    r.send(message("too-big", (b"y" * 998 + b"\r\n") * (F["message_size"] // 1000 + 50)) + b".\r\n")
    code, text = r.reply()
    expect(code == 552 and b"5.3.4" in text, f"too big: {code} {text!r}")
    # SMTP smuggling: bare LF "end of data" is data, the message is refused, nothing smuggled in.
    r.cmd("MAIL FROM:<a@example.com>")
    r.cmd("RCPT TO:<alice@example.org>")
    expect(r.cmd("DATA")[0] == 354, "DATA")
    r.send(message("outer", b"x\n.\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"
                   b"X-Test-Id: smuggled\r\n\r\nsmuggled\r\n") + b".\r\n")
    code, text = r.reply()
    expect(code == 550 and b"5.6.0" in text, f"smuggling: {code} {text!r}")
    expect(r.cmd("NOOP")[0] == 250, "in sync after the smuggling attempt")
    # Garbage: 500s, then closed after too many errors.
    codes = [r.cmd(bytes(random.randrange(32, 127) for _ in range(30)).replace(b" ", b"_"))[0] for _ in range(19)]
    expect(all(c == 500 for c in codes), f"garbage {codes}")
    code, text = r.reply()
    expect(code == 421, f"too many errors: {code} {text!r}")
    expect(r.closed(), "closed after too many errors")
    # Invalid HELO on the MX: refused and recorded.
    r = Raw(F["mx"])
    expect(r.cmd("EHLO bad_name!")[0] == 501, "invalid HELO")
    r.cmd("QUIT")
    # Disconnect mid-DATA: nothing delivered.
    r = Raw(F["mx"])
    r.cmd("EHLO gone.example")
    r.cmd("MAIL FROM:<a@example.com>")
    r.cmd("RCPT TO:<alice@example.org>")
    r.cmd("DATA")
    r.send(message("mid-data")[:60])
    r.sock.close()
    # STARTTLS injection: a command pipelined after STARTTLS is never executed.
    r = Raw(F["mx"])
    r.cmd("EHLO inject.example")
    r.send(b"STARTTLS\r\nMAIL FROM:<inject@example.com>\r\n")
    expect(r.closed(), "pipelined input after STARTTLS closes the connection")
    # Slowloris: a line started and not finished is closed by the line timeout (421 4.4.2).
    r = Raw(F["mx"])
    r.cmd("EHLO slow.example")
    r.send(b"MAIL FR")
    started = time.monotonic()
    code, text = r.reply()
    elapsed = time.monotonic() - started
    expect(code == 421 and b"4.4.2" in text, f"slowloris: {code} {text!r}")
    expect(F["line_timeout"] - 0.5 <= elapsed <= F["line_timeout"] + 5, f"slowloris closed after {elapsed:.1f}s")
    expect(r.closed(), "slowloris closed")
    # Idle: closed after the idle timeout.
    r = Raw(F["mx"])
    code, text = r.reply()
    expect(code == 421, f"idle: {code} {text!r}")


def tools():
    alice_messages = mailbox(F["alice"], F["alice_password"])
    bob_messages = mailbox(F["bob"], F["bob_password"])
    for test_id, where, sender, must in [("swaks-plain", alice_messages, "sender@example.com", ["from swaks.example"]),
                                        ("swaks-tls", alice_messages, F["alice"], ["with ESMTPSA"]),
                                        ("msmtp-tls", alice_messages, F["alice"], ["with ESMTPSA"]),
                                        ("swaks-starttls", bob_messages, F["alice"], ["with ESMTPSA"]),
                                        ("msmtp-starttls", bob_messages, F["alice"], ["with ESMTPSA"])]:
        found = find(where, test_id)
        expect(len(found) == 1, f"{test_id}: {len(found)} copies")
        expect(found[0].startswith(b"Return-Path: <" + sender.encode() + b">\r\nReceived: from "), f"{test_id}: {found[0][:200]!r}")
        for fragment in must:
            expect(fragment.encode() in found[0], f"{test_id}: {fragment!r} missing")
    print("tools: ok")


def ratelimit():
    r = Raw(F["mx"])
    r.cmd("EHLO rate.example")
    for i in range(3):
        expect(r.cmd("MAIL FROM:<r@example.com>")[0] == 250, f"MAIL {i}")
        r.cmd("RSET")
    for i in range(3):
        code, text = r.cmd("MAIL FROM:<r@example.com>")
        expect(code == 450 and b"4.7.1" in text, f"over the rate: {code} {text!r}")
    r.cmd("QUIT")
    print("ratelimit: ok")


def load():
    """Sends until the server dies; records every test id that got 250."""
    acknowledged = []
    lock = threading.Lock()

    def worker(n):
        i = 0
        while True:
            try:
                s = smtplib.SMTP(HOST, F["mx"], timeout=10)
                while True:
                    test_id = f"load-{n}-{i}"
                    i += 1
                    s.sendmail("load@example.com", [F["alice"]], message(test_id, (b"z" * 70 + b"\r\n") * 54))
                    with lock:
                        acknowledged.append(test_id)
            except (OSError, smtplib.SMTPException):
                # The server went away: stop once it no longer accepts connections.
                try:
                    socket.create_connection((HOST, F["mx"]), timeout=2).close()
                except OSError:
                    return

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    json.dump(acknowledged, open(F["sent"], "w"))
    expect(len(acknowledged) > 20, f"only {len(acknowledged)} messages before the kill")
    print(f"load: {len(acknowledged)} acknowledged")


def verify_load():
    acknowledged = json.load(open(F["sent"]))
    messages = mailbox(F["alice"], F["alice_password"])
    counts = {}
    for m in messages:
        start = m.find(b"X-Test-Id: load-")
        if start >= 0:
            test_id = m[start + 11: m.index(b"\r\n", start)].decode()
            counts[test_id] = counts.get(test_id, 0) + 1
    missing = [t for t in acknowledged if counts.get(t, 0) != 1]
    expect(not missing, f"acknowledged but not stored exactly once: {missing[:10]}")
    expect(all(c == 1 for c in counts.values()), "a message stored twice")
    print(f"verify-load: {len(acknowledged)} acknowledged, {len(counts)} stored, all present once")


{"clients": clients, "tools": tools, "ratelimit": ratelimit, "load": load, "verify-load": verify_load}[scenario]()

#!/usr/bin/env python3
"""Drives Roost's POP3 server with Python's poplib (and raw sockets where poplib hides the wire).

Usage: test-pop3.py SCENARIO FIXTURE.json
The Swift test (Tests/FrontendsTests/POP3/POP3ClientTests.swift) starts the server, seeds the
maildrop, writes the fixture (ports, CA file, account, expected messages) and checks the journal
and projections after the scenario. Exits non-zero with a traceback on the first mismatch.
"""
import base64
import json
import poplib
import socket
import ssl
import sys
import time

from roost_client import LineSocket, expect, tls_context

scenario, fixture_path = sys.argv[1], sys.argv[2]
F = json.load(open(fixture_path))
HOST = "127.0.0.1"
MESSAGES = [dict(m, content=base64.b64decode(m["content"])) for m in F["messages"]]


def context():
    return tls_context(F["cafile"])


def expect_error(call, prefix):
    try:
        response = call()
    except poplib.error_proto as e:
        text = e.args[0].decode()
        expect(text.startswith(prefix), f"expected {prefix!r}, got {text!r}")
        return text
    raise AssertionError(f"expected {prefix!r}, got success {response!r}")


def stls_session():
    p = poplib.POP3(HOST, F["starttls_port"], timeout=10)
    expect(p.getwelcome().startswith(b"+OK"), p.getwelcome())
    expect("STLS" in p.capa(), "STLS announced before TLS")
    expect("USER" not in p.capa(), "no USER before TLS")
    p.stls(context())
    return p


def implicit_session():
    return poplib.POP3_SSL(HOST, F["implicit_port"], timeout=10, context=context())


def login(p):
    expect(p.user(F["user"]).startswith(b"+OK"), "USER")
    response = p.pass_(F["password"])
    expect(response.startswith(b"+OK"), response)
    return response


def served(lines):
    return b"".join(line + b"\r\n" for line in lines)


def expected_body(content):
    return content if content.endswith(b"\r\n") else content + b"\r\n"


class Raw(LineSocket):
    """A line-level client over TLS for pipelining and exact wire checks."""

    def __init__(self, implicit=True):
        sock = socket.create_connection((HOST, F["implicit_port"] if implicit else F["starttls_port"]), timeout=10)
        super().__init__(context().wrap_socket(sock) if implicit else sock)

    def multiline(self):
        """The raw lines (still stuffed) up to the terminator."""
        lines = []
        while True:
            line = self.line()
            if line == b".":
                return lines
            lines.append(line)

    def closed(self):
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, ssl.SSLError, OSError):
            return True


def test_commands():
    p = stls_session()
    caps = p.capa()
    for cap in ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER"]:
        expect(cap in caps, f"{cap} in {caps}")
    expect(caps["SASL"] == ["PLAIN", "LOGIN"], caps)
    expect("STLS" not in caps, "no STLS after TLS")
    response = login(p)
    total = sum(m["size"] for m in MESSAGES)
    expect(response == f"+OK maildrop has 3 messages ({total} octets)".encode(), response)
    expect(p.stat() == (3, total), p.stat())
    resp, listing, _ = p.list()
    expect(listing == [f"{i + 1} {m['size']}".encode() for i, m in enumerate(MESSAGES)], listing)
    expect(p.list(2) == f"+OK 2 {MESSAGES[1]['size']}".encode(), p.list(2))
    resp, uidls, _ = p.uidl()
    expect(uidls == [f"{i + 1} {m['uidl']}".encode() for i, m in enumerate(MESSAGES)], uidls)
    expect(p.uidl(3) == f"+OK 3 {MESSAGES[2]['uidl']}".encode(), p.uidl(3))
    for i, m in enumerate(MESSAGES):
        resp, lines, _ = p.retr(i + 1)
        expect(resp == f"+OK {len(m['content'])} octets".encode(), resp)
        expect(len(m["content"]) == m["size"], "RETR octets equal LIST size")
        expect(served(lines) == expected_body(m["content"]), (lines, m["content"]))
    resp, lines, _ = p.top(2, 1)
    expect(lines == [b"Subject: two", b"", b"line1"], lines)
    resp, lines, _ = p.top(1, 0)
    expect(lines[-1] == b"" and lines[0].startswith(b"Return-Path:"), lines)
    expect(p.dele(1) == b"+OK message 1 deleted", "DELE")
    expect_error(lambda: p.dele(1), "-ERR message 1 already deleted")
    expect_error(lambda: p.retr(1), "-ERR message 1 already deleted")
    expect_error(lambda: p.list(1), "-ERR message 1 already deleted")
    expect_error(lambda: p.top(1, 0), "-ERR message 1 already deleted")
    expect_error(lambda: p.uidl(1), "-ERR message 1 already deleted")
    expect(p.stat() == (2, total - MESSAGES[0]["size"]), p.stat())
    resp, uidls, _ = p.uidl()
    expect(uidls == [f"{i + 1} {m['uidl']}".encode() for i, m in enumerate(MESSAGES) if i > 0], uidls)
    expect(p.rset().startswith(b"+OK"), "RSET")
    expect(p.stat() == (3, total), "RSET unmarks")
    expect(p.noop() == b"+OK", "NOOP")
    expect(p.quit().startswith(b"+OK"), "QUIT")


def test_errors():
    p = poplib.POP3(HOST, F["starttls_port"], timeout=10)
    # Passwords are refused without TLS, before any password is sent.
    expect_error(lambda: p.user(F["user"]), "-ERR [AUTH] plaintext authentication disallowed")
    expect_error(lambda: p._shortcmd("AUTH PLAIN AGFAYgBj"), "-ERR [AUTH] plaintext")
    p.stls(context())
    # Wrong state.
    for command in ["STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 1", "UIDL"]:
        expect_error(lambda: p._shortcmd(command), f"-ERR {command.split()[0]} is not valid before authentication")
    expect_error(lambda: p.pass_("x"), "-ERR send USER first")
    p.user(F["user"])
    expect_error(lambda: p.pass_("wrong"), "-ERR [AUTH] invalid user name or password")
    # Garbage and limits.
    expect_error(lambda: p._shortcmd("XYZZY"), "-ERR unknown command")
    expect_error(lambda: p._shortcmd("APOP alice 0123456789abcdef0123456789abcdef"), "-ERR unknown command")
    expect_error(lambda: p._shortcmd("USER " + "a" * 300), "-ERR command line too long")
    expect_error(lambda: p._shortcmd("AUTH"), "-ERR syntax error in AUTH arguments")
    expect_error(lambda: p._shortcmd("AUTH CRAM-MD5"), "-ERR unsupported authentication mechanism")
    login(p)
    expect_error(lambda: p.user(F["user"]), "-ERR already authenticated")
    expect_error(lambda: p._shortcmd("STLS"), "-ERR STLS is only valid before authentication")
    for command, prefix in [("RETR 0", "-ERR no such message"), ("RETR 4", "-ERR no such message"),
                            ("RETR x", "-ERR syntax error in RETR arguments"), ("DELE -1", "-ERR syntax error in DELE arguments"),
                            ("LIST 99999999999999999999", "-ERR no such message"), ("TOP 1", "-ERR syntax error in TOP arguments"),
                            ("UIDL 9", "-ERR no such message"), ("STAT 1", "-ERR syntax error in STAT arguments")]:
        expect_error(lambda: p._shortcmd(command), prefix)
    expect(p.stat()[0] == 3, "errors changed nothing")
    p.quit()
    # An implicit-TLS session has no STLS.
    q = implicit_session()
    expect("STLS" not in q.capa(), "no STLS on 995")
    expect_error(lambda: q._shortcmd("STLS"), "-ERR TLS already active")
    q.quit()
    # A line longer than the framer allows closes the connection with a farewell.
    r = Raw()
    r.line()
    r.send(b"USER " + b"a" * 10000 + b"\r\n")
    expect(r.line() == b"-ERR line too long or not terminated by CRLF", "farewell")
    expect(r.closed(), "closed after an overlong line")
    # So does a bare LF (RFC 1939 §3: lines end with CRLF).
    r = Raw()
    r.line()
    r.send(b"NOOP\n")
    expect(r.line() == b"-ERR line too long or not terminated by CRLF", "bare LF farewell")
    expect(r.closed(), "closed after a bare LF")


def test_pipelining():
    r = Raw()
    expect(r.line().startswith(b"+OK"), "greeting")
    r.send(b"CAPA\r\nUSER %s\r\nPASS %s\r\nSTAT\r\nLIST\r\nUIDL 1\r\nRETR 1\r\nBOGUS\r\nDELE 2\r\nRETR 2\r\nTOP 3 0\r\nRSET\r\nNOOP\r\nQUIT\r\n"
           % (F["user"].encode(), F["password"].encode()))
    expect(r.line() == b"+OK capability list follows", "CAPA")
    expect(b"PIPELINING" in r.multiline(), "PIPELINING")
    expect(r.line() == b"+OK send PASS", "USER")
    expect(r.line().startswith(b"+OK maildrop has 3"), "PASS")
    expect(r.line().startswith(b"+OK 3 "), "STAT")
    expect(r.line().startswith(b"+OK 3 messages"), "LIST")
    expect(len(r.multiline()) == 3, "LIST lines")
    expect(r.line() == f"+OK 1 {MESSAGES[0]['uidl']}".encode(), "UIDL 1")
    expect(r.line() == f"+OK {MESSAGES[0]['size']} octets".encode(), "RETR 1")
    raw = r.multiline()
    # The wire form: byte-stuffed lines, CRLF everywhere.
    expect(b"..leading dot" in raw and b"...two dots" in raw and b".." in raw and b"not a dot." in raw, raw)
    expect(all(not line.startswith(b".") or line.startswith(b"..") for line in raw), raw)
    expect(r.line() == b"-ERR unknown command", "BOGUS")
    expect(r.line() == b"+OK message 2 deleted", "DELE 2")
    expect(r.line() == b"-ERR message 2 already deleted", "RETR 2")
    expect(r.line() == b"+OK top of message follows", "TOP")
    expect(r.multiline() == [b"Subject: three", b""], "TOP 3 0")
    expect(r.line().startswith(b"+OK maildrop has 3"), "RSET")
    expect(r.line() == b"+OK", "NOOP")
    expect(r.line() == b"+OK Roost POP3 server signing off", "QUIT without deletions")
    expect(r.closed(), "closed after QUIT")


def test_sasl():
    plain = base64.b64encode(b"\0" + F["user"].encode() + b"\0" + F["password"].encode()).decode()
    p = implicit_session()
    expect(p._shortcmd("AUTH PLAIN " + plain).startswith(b"+OK maildrop has 3"), "AUTH PLAIN with initial response")
    expect(p.stat()[0] == 3, "in TRANSACTION")
    p.quit()
    # Without an initial response: an empty "+ " challenge (RFC 5034 §4).
    r = Raw()
    r.line()
    r.send(b"AUTH PLAIN\r\n")
    expect(r.line() == b"+ ", "empty challenge")
    r.send(plain.encode() + b"\r\n")
    expect(r.line().startswith(b"+OK maildrop has 3"), "AUTH PLAIN after challenge")
    r.send(b"QUIT\r\n")
    r.line()
    # Cancelled, wrong password, bad base64, LOGIN.
    r = Raw()
    r.line()
    r.send(b"AUTH PLAIN\r\n*\r\n")
    expect(r.line() == b"+ ", "challenge")
    expect(r.line() == b"-ERR authentication cancelled", "cancel")
    wrong = base64.b64encode(b"\0" + F["user"].encode() + b"\0nope").decode()
    r.send(b"AUTH PLAIN " + wrong.encode() + b"\r\n")
    expect(r.line() == b"-ERR [AUTH] invalid user name or password", "wrong password")
    r.send(b"AUTH PLAIN !!!\r\n")
    expect(r.line() == b"-ERR cannot decode response", "bad base64")
    other = base64.b64encode(b"bob@example.org\0" + F["user"].encode() + b"\0" + F["password"].encode()).decode()
    r.send(b"AUTH PLAIN " + other.encode() + b"\r\n")
    expect(r.line() == b"-ERR [AUTH] authorization identity not allowed", "authzid")
    r.send(b"AUTH LOGIN\r\n")
    expect(r.line() == b"+ " + base64.b64encode(b"Username:"), "LOGIN user challenge")
    r.send(base64.b64encode(F["user"].encode()) + b"\r\n")
    expect(r.line() == b"+ " + base64.b64encode(b"Password:"), "LOGIN password challenge")
    r.send(base64.b64encode(F["password"].encode()) + b"\r\n")
    expect(r.line().startswith(b"+OK maildrop has 3"), "AUTH LOGIN")
    r.send(b"QUIT\r\n")
    expect(r.line().startswith(b"+OK"), "QUIT")


def drop(p):
    """Closes the connection without QUIT (poplib's file object would keep the socket open)."""
    p.sock.shutdown(socket.SHUT_RDWR)
    p.file.close()
    p.sock.close()


def login_when_free(attempts=50):
    for _ in range(attempts):
        p = implicit_session()
        p.user(F["user"])
        try:
            p.pass_(F["password"])
            return p
        except poplib.error_proto as e:
            expect(e.args[0].startswith(b"-ERR [IN-USE]"), e.args[0])
            p.quit()
            time.sleep(0.1)
    raise AssertionError("maildrop lock never released")


def test_in_use():
    a = implicit_session()
    login(a)
    b = stls_session()
    b.user(F["user"])
    expect_error(lambda: b.pass_(F["password"]), "-ERR [IN-USE] maildrop in use by another session")
    plain = base64.b64encode(b"\0" + F["user"].encode() + b"\0" + F["password"].encode()).decode()
    expect_error(lambda: b._shortcmd("AUTH PLAIN " + plain), "-ERR [IN-USE]")
    a.quit()
    login(b)  # released on QUIT
    # Released on disconnect.
    drop(b)
    c = login_when_free()
    c.quit()


def test_quit_delete():
    p = implicit_session()
    login(p)
    p.dele(1)
    p.dele(3)
    response = p.quit()
    expect(response == b"+OK Roost POP3 server signing off (2 messages deleted)", response)
    # The next session sees the deletion at once, and the survivor keeps its unique id.
    q = implicit_session()
    login(q)
    expect(q.stat() == (1, MESSAGES[1]["size"]), q.stat())
    expect(q.uidl()[1] == [b"1 " + MESSAGES[1]["uidl"].encode()], "UIDL stable")
    q.quit()


def test_drop():
    p = implicit_session()
    login(p)
    p.dele(1)
    p.dele(2)
    drop(p)  # no QUIT: nothing is deleted
    q = login_when_free()
    expect(q.stat()[0] == 3, "dropped connection deleted nothing")
    q.quit()


def test_stls_injection():
    r = Raw(implicit=False)
    r.line()
    r.send(b"STLS\r\nUSER " + F["user"].encode() + b"\r\n")
    try:
        data = r.sock.recv(1000)
    except OSError:
        data = b""
    expect(data == b"", f"no go-ahead and no reply to the injected command, got {data!r}")


def test_timeout():
    idle = F["idle_timeout"]
    p = implicit_session()
    login(p)
    p.dele(1)
    quiet_since = time.monotonic()
    p.sock.settimeout(idle + 60)
    r = p.file.readline()  # the server speaks first when the autologout timer fires
    waited = time.monotonic() - quiet_since
    expect(r.startswith(b"-ERR autologout timer expired"), r)
    expect(waited >= idle - 0.5, f"autologout after {waited:.2f} s, before the {idle} s timer")
    q = login_when_free()
    expect(q.stat()[0] == 3, "timeout deleted nothing")
    q.quit()


{
    "commands": test_commands, "errors": test_errors, "pipelining": test_pipelining, "sasl": test_sasl,
    "in-use": test_in_use, "quit-delete": test_quit_delete, "drop": test_drop,
    "stls-injection": test_stls_injection, "timeout": test_timeout,
}[scenario]()
print(f"{scenario}: ok")

#!/usr/bin/env python3
"""ManageSieve end to end against a real `roost serve` (not the dev profile: passwords need TLS).

sievelib's client (STARTTLS, SASL PLAIN, every command), raw sockets for the error paths
(ENCRYPT-NEEDED, garbage, oversized literals and lines, STARTTLS injection), and a SIGKILL
after the last acknowledged change: everything acknowledged is there after the restart.
"""
import base64, os, re, shutil, signal, socket, ssl, subprocess, sys, tempfile, time

from roost_client import LineSocket
from test_config import rewrite

bin_path = subprocess.run(["swift", "build", "--show-bin-path"], capture_output=True, text=True, check=True).stdout.strip() + "/roost"
tmp = tempfile.mkdtemp()
server = None


def fail(message):
    print(f"test-managesieve: FAIL: {message}", file=sys.stderr)
    log = os.path.join(tmp, "serve.log")
    if os.path.exists(log):
        print("".join(open(log).readlines()[-20:]), file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def start():
    global server
    path = os.path.join(tmp, "serve.log")
    seen = os.path.getsize(path) if os.path.exists(path) else 0
    log = open(path, "a")
    server = subprocess.Popen([bin_path, "serve", "--config", config], stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
    deadline = time.time() + 90
    while time.time() < deadline:
        if "roost is running" in open(path).read()[seen:]:
            return
        check(server.poll() is None, "serve exited at start")
        time.sleep(0.1)
    fail("serve did not start")


class Raw(LineSocket):
    """A line-level client for the error paths; `line()` is None once the server has closed."""
    def __init__(self):
        super().__init__(socket.create_connection(("127.0.0.1", port), timeout=30))

    def line(self):
        try:
            return super().line()
        except EOFError:
            return None

    def response(self):
        """Lines up to and including the OK/NO/BYE line."""
        lines = []
        while True:
            line = self.line()
            if line is None:
                return lines
            lines.append(line)
            if re.match(rb"^(OK|NO|BYE)\b", line):
                return lines

    def starttls(self):
        self.send(b"STARTTLS\r\n")
        check(self.response()[-1].startswith(b"OK"), "STARTTLS refused")
        ctx = ssl.create_default_context(cafile=certificate)
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        caps = self.response()
        check(caps[-1].startswith(b"OK") and b'"SASL" "PLAIN LOGIN"' in caps, f"capabilities after TLS: {caps}")


try:
    pw = os.path.join(tmp, "pw")
    open(pw, "w").write("s3cret-alice\n")
    config = os.path.join(tmp, "roost.toml")
    data = os.path.join(tmp, "data")
    subprocess.run([bin_path, "init", "--domain", "example.org", "--user", "alice", "--hostname", "localhost",
                    "--password-file", pw, "--config", config, "--data", data], check=True, capture_output=True)
    certificate = re.search(r'^certificate\s*=\s*"([^"]+)"', open(config).read(), re.M).group(1)
    port, metrics = free_port(), free_port()
    rewrite(config, [("managesieve", port, "starttls")], f'[metrics]\naddress = "127.0.0.1"\nport = {metrics}\n')
    start()

    # --- Before TLS: STARTTLS offered, no password mechanism, AUTHENTICATE refused.
    raw = Raw()
    greeting = raw.response()
    check(greeting[-1].startswith(b"OK") and b'"STARTTLS"' in greeting and b'"SASL" ""' in greeting, f"greeting: {greeting}")
    check(b'"IMPLEMENTATION" "Roost"' in greeting and b'"VERSION" "1.0"' in greeting, f"greeting: {greeting}")
    sieve_caps = [l for l in greeting if l.startswith(b'"SIEVE"')][0]
    check(b"fileinto" in sieve_caps and b"vacation" in sieve_caps, f"SIEVE capability: {sieve_caps}")
    token = base64.b64encode(b"\0alice@example.org\0s3cret-alice")
    raw.send(b'AUTHENTICATE "PLAIN" "' + token + b'"\r\n')
    check(raw.response()[-1].startswith(b"NO (ENCRYPT-NEEDED)"), "AUTHENTICATE before TLS was not refused")
    raw.send(b"LISTSCRIPTS\r\n")
    check(raw.response()[-1].startswith(b"NO"), "LISTSCRIPTS before auth")
    # Garbage gets NO and the session goes on.
    for junk in [b"FROBNICATE\r\n", b"\r\n", b'NOOP "unclosed\r\n', b"NOOP {x}\r\n", b"\x00\xff\xfe\r\n", b"HAVESPACE \"a\" 01\r\n"]:
        raw.send(junk)
        check(raw.response()[-1].startswith(b"NO"), f"garbage {junk!r} not refused")
    raw.send(b'NOOP "t1"\r\n')
    check(raw.response()[-1] == b'OK (TAG "t1") "done"', "NOOP after garbage")
    # STARTTLS injection: a command pipelined behind STARTTLS in the same packet is never run.
    raw.send(b"STARTTLS\r\nLOGOUT\r\n")
    reply = raw.response()
    check(reply == [] or raw.line() is None, f"input after STARTTLS was answered: {reply}")
    raw.sock.close()

    # --- sievelib: STARTTLS, SASL PLAIN, every command.
    os.environ["SSL_CERT_FILE"] = certificate
    from sievelib.managesieve import Client
    c = Client("localhost", port)
    check(c.connect("alice@example.org", "wrong", starttls=True, authmech="PLAIN") is False, "a wrong password was accepted")
    c = Client("localhost", port)
    check(c.connect("alice@example.org", "s3cret-alice", starttls=True, authmech="PLAIN"), "sievelib login")
    check(c.get_implementation() == "Roost", "implementation")
    script = 'require ["fileinto"];\r\nif header :contains "subject" "[list]" {\r\n  fileinto "Lists";\r\n}\r\n'
    check(c.havespace("main", len(script)), "HAVESPACE")
    check(not c.havespace("main", 10 * 1024 * 1024), "HAVESPACE over the limit")
    check(c.checkscript(script), "CHECKSCRIPT of a valid script")
    check(not c.checkscript('fileinto "x";'), "CHECKSCRIPT of a script without require")
    check(c.putscript("main", script), "PUTSCRIPT")
    check(not c.putscript("broken", "if true { keep;"), "PUTSCRIPT of a broken script")
    check(c.putscript("spare", "keep;\r\n"), "PUTSCRIPT spare")
    check(c.setactive("main"), "SETACTIVE")
    active, others = c.listscripts()
    check(active == "main" and others == ["spare"], f"LISTSCRIPTS: {active} {others}")
    # sievelib gives the script back with its line ends as "\n" and none at the end.
    check(c.getscript("main") == "\n".join(script.splitlines()), "GETSCRIPT returns the stored script")
    check(not c.deletescript("main"), "DELETESCRIPT of the active script")
    check(not c.getscript("nope"), "GETSCRIPT of a missing script")
    check(c.renamescript("spare", "vacation ☀"), "RENAMESCRIPT to a UTF-8 name")
    check(not c.renamescript("main", "vacation ☀"), "RENAMESCRIPT onto an existing name")
    check(c.putscript("tmp", "discard;"), "PUTSCRIPT tmp")
    check(c.deletescript("tmp"), "DELETESCRIPT")
    active, others = c.listscripts()
    check(active == "main" and others == ["vacation ☀"], f"LISTSCRIPTS after changes: {active} {others}")
    c.logout()

    # --- Bounds over TLS: an oversized literal is refused (read past), a huge line closes.
    raw = Raw(); raw.response(); raw.starttls()
    raw.send(b'AUTHENTICATE "PLAIN" "' + token + b'"\r\n')
    check(raw.response()[-1].startswith(b"OK"), "AUTHENTICATE over TLS")
    # GETSCRIPT gives back exactly the bytes that were stored, as a literal.
    raw.send(b'GETSCRIPT "main"\r\n')
    expected = b"{%d}\r\n" % len(script.encode()) + script.encode() + b'\r\nOK "getscript completed"\r\n'
    while len(raw.buf) < len(expected):
        raw.buf += raw.sock.recv(65536)
    check(raw.buf == expected, f"raw GETSCRIPT: {raw.buf!r}")
    raw.buf = b""
    size = (1 << 20) + 8 * 1024
    raw.send(b'PUTSCRIPT "big" {%d+}\r\n' % size + b"#" * size + b"\r\n")
    check(raw.response()[-1].startswith(b"NO (QUOTA/MAXSIZE)"), "oversized PUTSCRIPT")
    raw.send(b"LISTSCRIPTS\r\n")
    listing = raw.response()
    check(b'"big"' not in b"".join(listing) and listing[-1].startswith(b"OK"), f"after oversized: {listing}")
    raw.send(b"A" * 20000 + b"\r\n")
    bye = raw.response()
    check(bye and bye[-1].startswith(b"BYE") and raw.line() is None, f"overlong line: {bye}")

    # --- SIGKILL right after the last acknowledged change; restart; all of it is there.
    c = Client("localhost", port)
    check(c.connect("alice@example.org", "s3cret-alice", starttls=True, authmech="PLAIN"), "login before kill")
    check(c.setactive("vacation ☀"), "SETACTIVE before kill")
    server.send_signal(signal.SIGKILL); server.wait()
    start()
    c = Client("localhost", port)
    check(c.connect("alice@example.org", "s3cret-alice", starttls=True, authmech="PLAIN"), "login after restart")
    active, others = c.listscripts()
    check(active == "vacation ☀" and others == ["main"], f"after SIGKILL: {active} {others}")
    check(c.getscript("main") == "\n".join(script.splitlines()), "script after restart")
    c.logout()
    server.send_signal(signal.SIGTERM)
    check(server.wait(timeout=60) == 0, "SIGTERM did not exit 0")
    server = None
    print("test-managesieve: ok")
finally:
    if server is not None and server.poll() is None:
        server.kill()
    shutil.rmtree(tmp, ignore_errors=True)

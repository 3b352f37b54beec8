"""What the end-to-end Python tests share: `expect`, the TLS context for a test certificate, and a
CRLF line reader over a plain or TLS socket for the raw sessions that imaplib, poplib and smtplib
cannot drive (literals, pipelining, garbage)."""
import ssl


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False  # the test certificates name the mail host, not 127.0.0.1
    return ctx


class LineSocket:
    """`line()` returns the next line without its CRLF; what follows stays in `buf`."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

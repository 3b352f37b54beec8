#!/usr/bin/env python3
"""Turns a `roost init` config into a test's: everything init wrote before its listeners, then the
given listeners on 127.0.0.1, then the sections read from standard input ([limits], [metrics], …).

Usage: test_config.py CONFIG PROTOCOL:PORT:TLS [...] < sections.toml
       e.g. test_config.py "$tmp/roost.toml" smtp:2525:starttls imaps:2993:implicit <<'TOML' … TOML
Python tests import `rewrite(path, listeners, sections)` instead.
"""
import sys


def rewrite(path, listeners, sections=""):
    text = open(path).read()
    text = text[:text.index("\n[[listeners]]") + 1]
    for protocol, port, tls in listeners:
        text += f'[[listeners]]\nprotocol = "{protocol}"\naddress = "127.0.0.1"\nport = {port}\ntls = "{tls}"\n\n'
    open(path, "w").write(text + sections)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rewrite(sys.argv[1], [spec.split(":") for spec in sys.argv[2:]], sys.stdin.read())

#!/usr/bin/env python3
"""Turns a `roost init` config into the one the inbound-check tests run: SMTP (MX) and IMAP
listeners with STARTTLS on loopback, no rate limit, no metrics, and the test DNS server as the
only nameserver; the sections on standard input ([pipeline], [policy], …) follow.

Usage: mx-test-config.py CONFIG MX-PORT IMAP-PORT DNS-PORT < extra-sections.toml
(used by scripts/test-pipeline.sh and scripts/test-dmarc.sh)
"""
import sys

path, mx, imap, ns = sys.argv[1:]
text = open(path).read()
text = text[:text.index("\n[[listeners]]") + 1]
for proto, port in [("smtp", mx), ("imap", imap)]:
    text += f'[[listeners]]\nprotocol = "{proto}"\naddress = "127.0.0.1"\nport = {port}\ntls = "starttls"\n\n'
text += f'''[limits]
smtp_messages_per_minute = 0

[metrics]
enabled = false

[dns]
nameservers = ["127.0.0.1:{ns}"]
timeout = 0.5
attempts = 1

'''
text += sys.stdin.read()
open(path, "w").write(text)

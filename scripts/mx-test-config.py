#!/usr/bin/env python3
"""Turns a `roost init` config into the one the inbound-check tests run: SMTP (MX) and IMAP
listeners with STARTTLS on loopback, no rate limit, no metrics, and the test DNS server as the
only nameserver; the sections on standard input ([pipeline], [policy], …) follow.

Usage: mx-test-config.py CONFIG MX-PORT IMAP-PORT DNS-PORT < extra-sections.toml
(used by scripts/test-pipeline.sh and scripts/test-dmarc.sh)
"""
import sys

from test_config import rewrite

path, mx, imap, ns = sys.argv[1:]
rewrite(path, [("smtp", mx, "starttls"), ("imap", imap, "starttls")], f'''[limits]
smtp_messages_per_minute = 0

[metrics]
enabled = false

[dns]
nameservers = ["127.0.0.1:{ns}"]
timeout = 0.5
attempts = 1

''' + sys.stdin.read())

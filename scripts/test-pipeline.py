#!/usr/bin/env python3
"""Scenarios for scripts/test-pipeline.sh: SMTP from several loopback addresses against a real
`roost serve` whose [dns] points at the local test DNS server; IMAP to look at Junk and change
the junked message; checks of `roost audit --json` output."""
import imaplib
import json
import smtplib
import ssl
import sys

def expect(cond, what):
    if not cond:
        print(f"test-pipeline.py: FAIL: {what}", file=sys.stderr)
        sys.exit(1)

def client(F, source):
    s = smtplib.SMTP("127.0.0.1", F["mx"], local_hostname="mail.pipeline.test", timeout=30, source_address=(source, 0))
    expect(s.ehlo()[0] == 250, "EHLO")
    return s

def message(mid, sender, subject):
    return (f"From: {sender}\r\nTo: alice@example.org\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n"
            f"Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n\r\n{subject}\r\n").encode()

def deliver(F, source, sender, mid, subject):
    s = client(F, source)
    code, text = s.mail(sender)
    expect(code == 250, f"MAIL FROM {sender} from {source}: {code} {text!r}")
    expect(s.rcpt("alice@example.org")[0] == 250, "RCPT")
    code, text = s.data(message(mid, sender, subject))
    expect(code == 250 and b"queued as" in text, f"DATA {mid}: {code} {text!r}")
    s.quit()
    return int(text.split()[-1])

def refused(F, source, sender):
    s = client(F, source)
    code, text = s.mail(sender)
    s.quit()
    return code, text.decode()

def send(F):
    out = {}
    out["pass"] = deliver(F, "127.0.0.10", "ann@pass.pipeline.test", "pass-1@pipeline.test", "spf pass")
    # SPF softfail: the policy says Junk; the message is still delivered, to Junk.
    out["soft"] = deliver(F, "127.0.0.10", "bob@soft.pipeline.test", "soft-1@pipeline.test", "spf softfail")
    # SPF fail → 550 5.7.23 with the reason, at MAIL FROM (before DATA).
    code, text = refused(F, "127.0.0.10", "eve@fail.pipeline.test")
    expect(code == 550 and text.startswith("5.7.23 ") and "SPF fail" in text, f"SPF fail: {code} {text!r}")
    # A DNSBL-listed client is refused, with the zone's TXT reason.
    code, text = refused(F, "127.0.0.20", "ann@pass.pipeline.test")
    expect(code == 554 and text.startswith("5.7.1 ") and "dnsbl.test" in text and "listed for the pipeline test" in text,
           f"DNSBL: {code} {text!r}")
    # A sender domain with no MX and no A cannot get bounces: refused.
    code, text = refused(F, "127.0.0.10", "x@nomail.pipeline.test")
    expect(code == 550 and text.startswith("5.1.8 "), f"no MX/A: {code} {text!r}")
    # SERVFAIL: a temporary failure, never a pass or a fail.
    code, text = refused(F, "127.0.0.10", "x@servfail.test")
    expect(code == 451 and text.startswith("4.4.3 "), f"SERVFAIL: {code} {text!r}")

    # IMAP: the softfail message is in Junk, not INBOX; read it and move it to INBOX.
    m = imaplib.IMAP4("127.0.0.1", F["imap"], timeout=30)
    ctx = ssl.create_default_context(cafile=F["cafile"])
    ctx.check_hostname = False  # the certificate names the configured hostname, not 127.0.0.1
    m.starttls(ssl_context=ctx)
    m.login(F["alice"], F["alice_password"])
    m.select("INBOX")
    typ, data = m.search(None, "HEADER", "Message-ID", "pass-1@pipeline.test")
    expect(data[0].split() == [b"1"], f"INBOX has the passing message: {data}")
    typ, data = m.search(None, "HEADER", "Message-ID", "soft-1@pipeline.test")
    expect(data[0] == b"", f"the junked message is not in INBOX: {data}")
    m.select("Junk")
    typ, data = m.uid("SEARCH", None, "HEADER", "Message-ID", "soft-1@pipeline.test")
    expect(data[0].split() == [b"1"], f"Junk has the softfail message: {data}")
    typ, data = m.uid("FETCH", "1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    expect(b"spf softfail" in data[0][1], f"Junk message: {data}")
    expect(m.uid("STORE", "1", "+FLAGS", "(\\Seen)")[0] == "OK", "STORE")
    expect(m.uid("MOVE", "1", "INBOX")[0] == "OK", "MOVE")
    m.logout()
    json.dump(out, open(F["out"], "w"))

def audit(F, pass_path, junk_path, rejected_path):
    stories = json.load(open(pass_path))
    expect(len(stories) == 1, f"one story: {len(stories)}")
    s = stories[0]
    expect(s["messageId"] == "<pass-1@pipeline.test>", s.get("messageId"))
    e = s["envelope"]
    expect(e["mailFrom"] == "ann@pass.pipeline.test" and e["recipients"] == ["alice@example.org"], e)
    expect(e["clientIP"] == "127.0.0.10" and e["helo"] == "mail.pipeline.test" and e["listener"] == "mx", e)
    stages = [d["stage"] for d in s["decisions"]]
    expect(stages == ["sender", "sender-domain", "spf", "rdns", "dnsbl", "policy"], stages)
    results = {d["stage"]: d["result"] for d in s["decisions"]}
    expect(results == {"sender": "valid", "sender-domain": "pass", "spf": "pass", "rdns": "confirmed", "dnsbl": "none",
                       "policy": "accept"}, results)
    for d in s["decisions"]:
        expect(d["rules"] and all(r["evidence"] for r in d["rules"]), f"evidence of {d['stage']}: {d}")
        expect(isinstance(d["scoreMilli"], int) and d["sequence"] > s["sequence"], d)
    expect([h["kind"] for h in s["history"]] == ["delivered"], s["history"])

    junk = json.load(open(junk_path))
    expect(len(junk) == 1 and junk[0]["messageId"] == "<soft-1@pipeline.test>", junk)
    j = junk[0]
    verdicts = {d["stage"]: d["verdict"] for d in j["decisions"]}
    expect(verdicts["spf"] == "junk" and verdicts["policy"] == "junk", verdicts)
    kinds = [h["kind"] for h in j["history"]]
    expect(kinds == ["delivered", "flags", "moved"], kinds)
    expect("Junk" in j["history"][0]["text"] and "alice@example.org" in j["history"][1]["actor"], j["history"])

    groups = json.load(open(rejected_path))
    def find(sender, stage, verdict):
        for g in groups:
            ds = g["decisions"]
            if ds[0].get("mailFrom") == sender and any(d["stage"] == stage and d["verdict"] == verdict for d in ds):
                return ds
        return None
    spf = find("eve@fail.pipeline.test", "spf", "reject")
    expect(spf is not None, f"refused SPF-fail transaction in {json.dumps(groups)[:2000]}")
    expect(spf[-1]["stage"] == "policy" and spf[-1]["verdict"] == "reject", spf[-1])
    expect(spf[0]["client"].startswith("127.0.0.10:") and spf[0]["helo"] == "mail.pipeline.test", spf[0])
    expect(find("ann@pass.pipeline.test", "dnsbl", "reject") is not None, "refused DNSBL transaction")
    expect(find("x@servfail.test", "policy", "tempfail") is not None, "SERVFAIL tempfail")
    expect(find("x@nomail.pipeline.test", "sender-domain", "reject") is not None, "no-MX refusal")

def timeout(F):
    code, text = refused(F, "127.0.0.10", "ann@pass.pipeline.test")
    expect(400 <= code < 500 and text.startswith("4.4.3 ") and "temporary DNS failure" in text, f"timeout: {code} {text!r}")

if __name__ == "__main__":
    mode, F = sys.argv[1], json.load(open(sys.argv[2]))
    {"send": lambda: send(F), "audit": lambda: audit(F, *sys.argv[3:6]), "timeout": lambda: timeout(F)}[mode]()

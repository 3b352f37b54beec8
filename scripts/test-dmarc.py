#!/usr/bin/env python3
"""Scenarios for scripts/test-dmarc.sh: messages signed by dkimpy and OpenDKIM (and forged or
tampered ones) sent with smtplib to a real `roost serve`; what the MX answers after DATA; the
Authentication-Results each delivered message carries, read back over IMAP."""
import imaplib
import json
import os
import smtplib
import ssl
import sys


def expect(cond, what):
    if not cond:
        print(f"test-dmarc.py: FAIL: {what}", file=sys.stderr)
        sys.exit(1)


def send(F, raw, sender="bounce@other.test"):
    s = smtplib.SMTP("127.0.0.1", F["mx"], local_hostname="client.other.test", timeout=30)
    expect(s.ehlo()[0] == 250, "EHLO")
    expect(s.mail(sender)[0] == 250, f"MAIL FROM {sender}")
    expect(s.rcpt("alice@example.org")[0] == 250, "RCPT")
    try:
        code, text = s.data(raw)
    except smtplib.SMTPDataError as e:
        code, text = e.smtp_code, e.smtp_error
    s.quit()
    return code, text.decode()


def signed(F, name):
    return open(os.path.join(F["signed"], name), "rb").read()


def main(F):
    # 1. A forged From of a p=reject domain, no signature: refused after DATA with the reason.
    forged = (b"From: CEO <ceo@dkim.test>\r\nTo: alice@example.org\r\nSubject: wire the money\r\n"
              b"Message-ID: <forged-1@other.test>\r\n\r\nToday, please.\r\n")
    code, text = send(F, forged)
    expect(code == 550 and text.startswith("5.7.26 rejected by the sender domain's DMARC policy (reject): header.from=dkim.test"),
           f"forged From: {code} {text!r}")
    expect("no aligned SPF or DKIM pass" in text, f"forged From reason: {text!r}")

    # 2. The same From with a broken DKIM signature (body changed after signing): refused too.
    code, text = send(F, signed(F, "dkimpy-tampered-body.eml"))
    expect(code == 550 and "DMARC policy (reject)" in text, f"tampered body: {code} {text!r}")

    # 3. Signed by dkimpy (rsa) and by OpenDKIM (ed25519): delivered, DKIM and DMARC pass. The
    #    first also carries an Authentication-Results claiming to be Roost's, which must not survive.
    claim = f"Authentication-Results: {F['authserv']}; dkim=pass header.d=bank.example\r\n".encode()
    # (Both have the same Message-ID; the OpenDKIM one is found by its selector.)
    for name, raw in [("dkimpy rsa", claim + signed(F, "dkimpy-rsa-relaxed.eml")), ("opendkim ed25519", signed(F, "opendkim-ed25519.eml"))]:
        code, text = send(F, raw)
        expect(code == 250, f"{name}: {code} {text!r}")

    # 4. A subdomain without a record of its own gets the parent's sp=quarantine: Junk.
    code, text = send(F, b"From: shop@shop.dkim.test\r\nTo: alice@example.org\r\nSubject: sale\r\nMessage-ID: <sale-1@shop.dkim.test>\r\n\r\nsale\r\n")
    expect(code == 250, f"sp=quarantine: {code} {text!r}")
    # 5. p=none: delivered to INBOX, DMARC fail recorded in the header.
    code, text = send(F, b"From: m@monitor.dkim.test\r\nTo: alice@example.org\r\nSubject: monitor\r\nMessage-ID: <monitor-1@dkim.test>\r\n\r\nhi\r\n")
    expect(code == 250, f"p=none: {code} {text!r}")

    m = imaplib.IMAP4("127.0.0.1", F["imap"], timeout=30)
    ctx = ssl.create_default_context(cafile=F["cafile"])
    ctx.check_hostname = False
    m.starttls(ssl_context=ctx)
    m.login(F["alice"], F["alice_password"])

    def header(mailbox, mid):
        m.select(mailbox)
        typ, data = m.search(None, "HEADER", "Message-ID", mid)
        ids = data[0].split()
        expect(len(ids) == 1, f"{mid} in {mailbox}: {data}")
        typ, data = m.fetch(ids[0], "(BODY.PEEK[HEADER])")
        return data[0][1].decode()

    def header_by_selector(selector):
        m.select("INBOX")
        typ, data = m.search(None, "HEADER", "DKIM-Signature", f"s={selector};")
        expect(len(data[0].split()) == 1, f"the message signed with s={selector}: {data}")
        typ, data = m.fetch(data[0].split()[0], "(BODY.PEEK[HEADER])")
        return data[0][1].decode()

    rsa = header_by_selector("py2048")
    expect(f"Authentication-Results: {F['authserv']};\r\n\tspf=" in rsa, f"A-R at the top: {rsa[:600]!r}")
    expect("dkim=pass header.d=dkim.test header.i=@dkim.test header.s=py2048 header.a=rsa-sha256" in rsa, f"dkim pass: {rsa[:800]!r}")
    expect("dmarc=pass (p=reject dis=none) header.from=dkim.test" in rsa, f"dmarc pass: {rsa[:800]!r}")
    expect(f"X-Roost-Untrusted-Authentication-Results: {F['authserv']}; dkim=pass header.d=bank.example" in rsa,
           f"the forged claim is renamed: {rsa[:1200]!r}")
    expect(rsa.count("\nAuthentication-Results:") + rsa.startswith("Authentication-Results:") == 1, f"only Roost's own A-R: {rsa[:1200]!r}")
    ed = header_by_selector("odked")
    expect("dkim=pass header.d=dkim.test header.i=@dkim.test header.s=odked header.a=ed25519-sha256" in ed, f"ed25519 pass: {ed[:800]!r}")
    expect("dmarc=pass" in ed, f"ed25519 dmarc: {ed[:800]!r}")
    monitor = header("INBOX", "monitor-1@dkim.test")
    expect("dkim=none" in monitor and "dmarc=fail (p=none dis=none) header.from=monitor.dkim.test" in monitor, f"p=none: {monitor[:800]!r}")
    sale = header("Junk", "sale-1@shop.dkim.test")
    expect("dmarc=fail (p=reject dis=quarantine) header.from=shop.dkim.test" in sale, f"sp=quarantine: {sale[:800]!r}")
    m.logout()


if __name__ == "__main__":
    main(json.load(open(sys.argv[1])))

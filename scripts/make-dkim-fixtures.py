#!/usr/bin/env python3
"""Signs test messages with dkimpy and with OpenDKIM (the opendkim daemon's test mode, and
opendkim-testmsg for an rsa-sha1 signature), tampers with some, and writes them with the
public keys as a DNS zone and the result Roost must give for each signature.

    scripts/make-dkim-fixtures.py OUT     # writes OUT/dkim/*.eml, OUT/dkim/expected.tsv, OUT/dns/dkim.test.zone

Tests/Fixtures holds one run of it (the keys are fresh each run and test-only); the unit tests
also run it into a temporary folder, so a fresh signature by each tool is verified every time.
"""
import base64, os, subprocess, sys, tempfile

import dkim
import nacl.signing

DOMAIN = "dkim.test"

BASE = (
    b"From: Alice Example <alice@dkim.test>\r\n"
    b"To: Bob <bob@example.org>\r\n"
    b"Subject: Lunch\r\n"
    b"  on Friday?\r\n"
    b"Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
    b"Message-ID: <lunch-1@dkim.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hi Bob,  \r\n"
    b"\r\n"
    b"shall we\tmeet at noon?\r\n"
    b"\r\n"
    b"Alice\r\n"
    b"\r\n"
    b"\r\n"
)


# DMARC for the same domain, for the end-to-end tests: reject for dkim.test, quarantine for its
# subdomains (sp=), monitoring only for monitor.dkim.test, which has a record of its own.
DMARC_RECORDS = (
    '_dmarc IN TXT "v=DMARC1; p=reject; sp=quarantine"\n'
    '_dmarc.monitor IN TXT "v=DMARC1; p=none"\n'
)


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw).stdout


def rsa_key(path, bits):
    run(["openssl", "genrsa", "-traditional", "-out", path, str(bits)])
    der = run(["openssl", "rsa", "-in", path, "-pubout", "-outform", "DER"])
    return open(path, "rb").read(), base64.b64encode(der).decode()


def ed_key():
    key = nacl.signing.SigningKey.generate()
    return base64.b64encode(bytes(key)), base64.b64encode(bytes(key.verify_key)).decode()


def dkimpy_sign(msg, selector, key, algorithm=b"rsa-sha256", canon=(b"relaxed", b"relaxed"), **kw):
    header = dkim.sign(msg, selector.encode(), DOMAIN.encode(), key, signature_algorithm=algorithm,
                       canonicalize=canon, **kw)
    return header + msg


def opendkim_sign(msg, work, keyfile, selector, algorithm):
    """The opendkim daemon's -t test mode signs and prints the field it would insert."""
    conf = os.path.join(work, f"{selector}.conf")
    with open(conf, "w") as f:
        f.write(f"Mode s\nDomain {DOMAIN}\nSelector {selector}\nKeyFile {keyfile}\n"
                f"SignatureAlgorithm {algorithm}\nCanonicalization relaxed/relaxed\nSyslog no\n"
                "RequireSafeKeys false\nOversignHeaders From\n")
    path = os.path.join(work, "message.eml")
    with open(path, "wb") as f:
        f.write(msg)
    out = subprocess.run(["opendkim", "-x", conf, "-t", path, "-vvvv"], capture_output=True, check=True)
    text = (out.stdout + out.stderr).decode()
    start = text.index("### INSHEADER: idx=0 hname='DKIM-Signature' hvalue='") + len("### INSHEADER: idx=0 hname='DKIM-Signature' hvalue='")
    value = text[start:text.index("'", start)]
    return b"DKIM-Signature: " + value.replace("\n", "\r\n").encode() + b"\r\n" + msg


def opendkim_testmsg_sha1(msg, keyfile, selector):
    out = run(["opendkim-testmsg", "-C", "-d", DOMAIN, "-k", keyfile, "-s", selector], input=msg)
    return out.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def txt_strings(text):
    return " ".join('"%s"' % text[i:i + 200] for i in range(0, len(text), 200))


def main(out):
    os.makedirs(os.path.join(out, "dkim"), exist_ok=True)
    os.makedirs(os.path.join(out, "dns"), exist_ok=True)
    records, messages = {}, []
    with tempfile.TemporaryDirectory() as work:
        os.chmod(work, 0o700)
        rsa2048, rsa2048_pub = rsa_key(os.path.join(work, "rsa2048.pem"), 2048)
        rsa1024, rsa1024_pub = rsa_key(os.path.join(work, "rsa1024.pem"), 1024)
        rsa512, rsa512_pub = rsa_key(os.path.join(work, "rsa512.pem"), 512)
        ed, ed_pub = ed_key()
        records["py2048"] = f"v=DKIM1; k=rsa; p={rsa2048_pub}"
        records["py1024"] = f"v=DKIM1; k=rsa; p={rsa1024_pub}"
        records["weak512"] = f"v=DKIM1; k=rsa; p={rsa512_pub}"
        records["pyed"] = f"v=DKIM1; k=ed25519; p={ed_pub}"
        records["revoked"] = "v=DKIM1; k=rsa; p="
        records["testing"] = f"v=DKIM1; k=rsa; t=y; p={rsa2048_pub}"
        records["strict"] = f"v=DKIM1; k=rsa; t=s; p={rsa2048_pub}"
        records["edasrsa"] = f"v=DKIM1; k=ed25519; p={ed_pub}"
        records["sha1only"] = f"v=DKIM1; k=rsa; h=sha1; p={rsa2048_pub}"
        records["garbage"] = "v=DKIM1; k=rsa; p=not*base64"

        # OpenDKIM's own key generator for its RSA key; openssl for its Ed25519 key.
        run(["opendkim-genkey", "--bits=2048", f"--domain={DOMAIN}", "--selector=odk", f"--directory={work}"])
        odk_pub = run(["openssl", "rsa", "-in", os.path.join(work, "odk.private"), "-pubout", "-outform", "DER"])
        records["odk"] = f"v=DKIM1; k=rsa; p={base64.b64encode(odk_pub).decode()}"
        odked = os.path.join(work, "odked.pem")
        run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", odked])
        odked_der = run(["openssl", "pkey", "-in", odked, "-pubout", "-outform", "DER"])
        records["odked"] = f"v=DKIM1; k=ed25519; p={base64.b64encode(odked_der[-32:]).decode()}"

        def add(name, msg, *expected):
            messages.append((name, msg, expected))

        add("dkimpy-rsa-relaxed", dkimpy_sign(BASE, "py2048", rsa2048), "pass")
        add("dkimpy-rsa-simple", dkimpy_sign(BASE, "py2048", rsa2048, canon=(b"simple", b"simple")), "pass")
        add("dkimpy-ed25519", dkimpy_sign(BASE, "pyed", ed, algorithm=b"ed25519-sha256"), "pass")
        add("dkimpy-rsa1024", dkimpy_sign(BASE, "py1024", rsa1024), "pass")
        add("dkimpy-rsa512", dkimpy_sign(BASE, "weak512", rsa512), "permerror\tRSA key shorter than 1024 bits")
        signed = dkimpy_sign(BASE, "py2048", rsa2048)
        add("dkimpy-tampered-header", signed.replace(b"Subject: Lunch", b"Subject: Dinner"), "fail\tsignature mismatch")
        add("dkimpy-tampered-body", signed.replace(b"at noon", b"at one"), "fail\tbody hash mismatch")
        # Relaxed canonicalisation survives whitespace changes in header and body; simple does not.
        rewhitespaced = lambda m: m.replace(b"Subject: Lunch\r\n  on", b"Subject:   Lunch on").replace(b"Hi Bob,  \r\n", b"Hi   Bob,\r\n")
        add("dkimpy-relaxed-rewhitespaced", rewhitespaced(signed), "pass")
        add("dkimpy-simple-rewhitespaced", rewhitespaced(dkimpy_sign(BASE, "py2048", rsa2048, canon=(b"simple", b"simple"))),
            "fail\tbody hash mismatch")
        limited = dkimpy_sign(BASE, "py2048", rsa2048, length=True)
        add("dkimpy-length", limited, "pass\tbody length limit")
        add("dkimpy-length-extended", limited + b"P.S. Click http://phish.example/ now\r\n", "policy\tleaves 42 bytes unsigned")
        oversign = [b"from", b"from", b"to", b"subject", b"subject", b"date", b"message-id"]
        over = dkimpy_sign(BASE, "py2048", rsa2048, include_headers=oversign)
        add("dkimpy-oversigned", over, "pass")
        add("dkimpy-oversigned-added-subject", over.replace(b"Date: ", b"Subject: Free money\r\nDate: "), "fail\tsignature mismatch")
        # Without oversigning, a second Subject above the signed one goes unnoticed by the hash.
        add("dkimpy-two-signatures", dkimpy_sign(dkimpy_sign(BASE, "py2048", rsa2048), "pyed", ed, algorithm=b"ed25519-sha256"),
            "pass", "pass")
        add("dkimpy-one-of-two-broken",
            dkimpy_sign(dkimpy_sign(BASE, "nokey", rsa2048), "pyed", ed, algorithm=b"ed25519-sha256"),
            "pass", "permerror\tno key for signature")
        add("dkimpy-revoked", dkimpy_sign(BASE, "revoked", rsa2048), "fail\tkey revoked")
        add("dkimpy-testing", dkimpy_sign(BASE, "testing", rsa2048), "pass")
        add("dkimpy-nokey", dkimpy_sign(BASE, "nokey", rsa2048), "permerror\tno key for signature")
        add("dkimpy-strict-subdomain", dkimpy_sign(BASE, "strict", rsa2048, identity=b"@mail.dkim.test"),
            "permerror\tkey t=s requires")
        add("dkimpy-key-type-mismatch", dkimpy_sign(BASE, "edasrsa", rsa2048), "permerror\tkey type k=ed25519 does not match")
        add("dkimpy-key-hash-sha1-only", dkimpy_sign(BASE, "sha1only", rsa2048), "permerror\tkey h= does not allow sha256")
        add("dkimpy-garbage-key", dkimpy_sign(BASE, "garbage", rsa2048), "permerror\tkey p= is not base64")
        odk_key = os.path.join(work, "odk.private")
        add("opendkim-rsa", opendkim_sign(BASE, work, odk_key, "odk", "rsa-sha256"), "pass")
        add("opendkim-ed25519", opendkim_sign(BASE, work, odked, "odked", "ed25519-sha256"), "pass")
        add("opendkim-tampered-body", opendkim_sign(BASE, work, odk_key, "odk", "rsa-sha256").replace(b"Alice\r\n", b"Mallory\r\n"),
            "fail\tbody hash mismatch")
        add("opendkim-added-from", opendkim_sign(BASE, work, odk_key, "odk", "rsa-sha256").replace(b"To: Bob", b"From: ceo@dkim.test\r\nTo: Bob"),
            "fail\tsignature mismatch")
        add("opendkim-testmsg-rsa-sha1", opendkim_testmsg_sha1(BASE, odk_key, "odk"), "permerror\trsa-sha1 is not accepted")

    # Check the fixtures against dkimpy's own verifier, so a fixture that is wrong is caught here.
    def dns(name, timeout=5):
        label = name.decode().rstrip(".")
        selector = label.split("._domainkey.")[0]
        return records.get(selector, "").encode() or None
    for name, msg, expected in messages:
        want = expected[0].split("\t")[0] == "pass"
        if name.startswith("dkimpy-one-of-two") or name in ("dkimpy-rsa1024",):
            continue  # dkimpy checks only the first signature / refuses 1024-bit keys by default
        try:
            got = dkim.verify(msg, dnsfunc=dns, minkey=512 if name == "dkimpy-rsa512" else 1024)
        except Exception:
            got = False
        if name in ("dkimpy-rsa512", "dkimpy-length-extended", "opendkim-testmsg-rsa-sha1", "dkimpy-testing",
                    "dkimpy-strict-subdomain", "dkimpy-key-hash-sha1-only"):
            continue  # Roost is stricter than dkimpy here, by design (RFC 8301, RFC 6376 §8.2)
        if got != want:
            sys.exit(f"make-dkim-fixtures: dkimpy says {got} for {name}, expected {expected[0]}")

    with open(os.path.join(out, "dkim", "expected.tsv"), "w") as f:
        f.write("# file\tsignature\tresult\treason contains (one line per DKIM-Signature, top first)\n")
        for name, msg, expected in messages:
            with open(os.path.join(out, "dkim", name + ".eml"), "wb") as m:
                m.write(msg)
            for index, e in enumerate(expected):
                f.write(f"{name}.eml\t{index}\t{e}\n")
    with open(os.path.join(out, "dns", "dkim.test.zone"), "w") as f:
        f.write(f"; DKIM test keys (test-only), written by scripts/make-dkim-fixtures.py\n$ORIGIN {DOMAIN}.\n$TTL 300\n")
        f.write(f"@ IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. 1 3600 600 86400 300\n@ IN NS ns.{DOMAIN}.\nns IN A 127.0.0.1\n")
        for selector, text in sorted(records.items()):
            f.write(f"{selector}._domainkey IN TXT {txt_strings(text)}\n")
        f.write(DMARC_RECORDS)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

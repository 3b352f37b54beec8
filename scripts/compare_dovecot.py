#!/usr/bin/env python3
"""Compares Roost's IMAP FETCH views with Dovecot's, message by message, item by item.

Run by scripts/compare-dovecot.sh, which starts Dovecot and fills its maildir. For each message
this fetches a fixed set of items plus per-part sections from Dovecot over IMAP, asks Roost's
`imap-views` tool for the same items on the same file, parses both responses into value trees
and compares them.

Normalised, because RFC 9051 leaves them open (nothing else is):
  - whitespace between list items and around parentheses (RFC 9051 §4.4: the list syntax
    fixes single SP, but Dovecot and Roost both emit that; the parser is tolerant only so a
    layout change shows up as a value difference instead of a parse failure);
  - quoted string versus literal (RFC 9051 §4.3: "string = quoted / literal", the server picks);
  - letter case of atoms (NIL, item names: RFC 9051 §9 "case-insensitive" for the grammar's
    literal strings);
  - the order of items inside one FETCH response (RFC 9051 §7.5.2 "pairs of data item names
    and their values", no order fixed).

A difference is accepted only when tests/.../dovecot-differences.txt lists it (file, item,
and a reason citing the RFC section that shows Roost is right). Anything else fails the run.
"""
import argparse
import imaplib
import os
import re
import subprocess
import sys

# ---------------------------------------------------------------------------------------
# IMAP response value parser (RFC 9051 §9: nil, number, string (quoted / literal / literal8),
# atom, parenthesized list). Item names like BODY[HEADER.FIELDS (A B)]<0> are read as one atom.


class ParseError(Exception):
    pass


NIL = ("nil",)


def parse_value(b, i):
    if i >= len(b):
        raise ParseError("end of data")
    c = b[i:i + 1]
    if c == b"(":
        items = []
        i += 1
        while True:
            while i < len(b) and b[i:i + 1] == b" ":
                i += 1
            if i >= len(b):
                raise ParseError("unterminated list")
            if b[i:i + 1] == b")":
                return ("list", items), i + 1
            v, i = parse_value(b, i)
            items.append(v)
    if c == b'"':
        out = bytearray()
        i += 1
        while i < len(b) and b[i:i + 1] != b'"':
            if b[i:i + 1] == b"\\":
                i += 1
            out += b[i:i + 1]
            i += 1
        if i >= len(b):
            raise ParseError("unterminated quoted string")
        return ("str", bytes(out)), i + 1
    if c == b"{" or b[i:i + 2] == b"~{":
        j = b.index(b"}", i)
        n = int(b[i + (2 if c == b"~" else 1):j].rstrip(b"+"))
        if b[j + 1:j + 3] != b"\r\n":
            raise ParseError("literal without CRLF")
        start = j + 3
        if start + n > len(b):
            raise ParseError("short literal")
        return ("str", b[start:start + n]), start + n
    m = re.compile(rb"[^ ()\[\]{}\"\r\n]+").match(b, i)
    if not m:
        raise ParseError("unexpected byte %r at %d" % (c, i))
    tok = m.group(0)
    i = m.end()
    if i < len(b) and b[i:i + 1] == b"[":
        depth = 0
        j = i
        while j < len(b):
            if b[j:j + 1] == b"[":
                depth += 1
            elif b[j:j + 1] == b"]":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        tok += b[i:j + 1]
        i = j + 1
        m2 = re.compile(rb"<[0-9]+>").match(b, i)
        if m2:
            tok += m2.group(0)
            i = m2.end()
    if tok.isdigit():
        return ("num", int(tok)), i
    if tok.upper() == b"NIL":
        return NIL, i
    return ("atom", tok), i


def parse_fetch(resp):
    """`* n FETCH (name value ...)` -> {normalised name: value}."""
    m = re.match(rb"\* [0-9]+ FETCH ", resp)
    if not m:
        raise ParseError("not a FETCH response: %r" % resp[:80])
    v, i = parse_value(resp, m.end())
    if resp[i:] not in (b"\r\n", b""):
        raise ParseError("trailing bytes %r" % resp[i:i + 40])
    if v[0] != "list" or len(v[1]) % 2:
        raise ParseError("FETCH data is not name/value pairs")
    items = {}
    for k in range(0, len(v[1]), 2):
        name = v[1][k]
        if name[0] != "atom":
            raise ParseError("item name %r" % (name,))
        items[norm_item(name[1].decode("latin-1"))] = v[1][k + 1]
    return items


def norm_item(name):
    """Item name as a key: upper case, .PEEK dropped, single spaces, partial as <origin>."""
    s = name.upper().replace(".PEEK[", "[")
    s = re.sub(r"\s+", " ", s).replace("( ", "(").replace(" )", ")")
    s = re.sub(r"<([0-9]+)\.[0-9]+>$", r"<\1>", s)
    return s


def show(v, limit=300):
    if v[0] == "nil":
        return "NIL"
    if v[0] == "num":
        return str(v[1])
    if v[0] == "atom":
        return v[1].decode("latin-1")
    if v[0] == "str":
        s = repr(v[1])[2:-1]
        return '"' + (s if len(s) <= limit else s[:limit] + "...") + '"'
    return "(" + " ".join(show(x, limit) for x in v[1]) + ")"


def first_difference(a, b, path=""):
    if a == b:
        return None
    if a[0] == "list" and b[0] == "list":
        for k, (x, y) in enumerate(zip(a[1], b[1])):
            d = first_difference(x, y, "%s/%d" % (path, k))
            if d:
                return d
        return "%s: %d vs %d items" % (path or "/", len(a[1]), len(b[1]))
    return "%s: roost %s | dovecot %s" % (path or "/", show(a, 120), show(b, 120))


# ---------------------------------------------------------------------------------------
# Dovecot side: imaplib for login/select, then raw FETCH commands so the bytes are exact.


class Dovecot:
    def __init__(self, port, user, password):
        self.args = (port, user, password)
        self.connect()

    def connect(self):
        port, user, password = self.args
        self.imap = imaplib.IMAP4("127.0.0.1", port)
        self.imap.login(user, password)
        typ, _ = self.imap.select("INBOX", readonly=True)
        if typ != "OK":
            raise RuntimeError("SELECT failed")
        self.n = 0

    def fetch(self, uid, items):
        """Like fetch_once; a dropped connection (Dovecot disconnects when it cannot read a
        message, e.g. base64 that ends prematurely) is reported as "DISCONNECTED"."""
        try:
            return self.fetch_once(uid, items)
        except (RuntimeError, OSError, imaplib.IMAP4.abort):
            self.connect()
            return None, "DISCONNECTED"

    def fetch_once(self, uid, items):
        """Returns (raw `* n FETCH ...` bytes, None) or (None, tagged NO/BAD line)."""
        self.n += 1
        tag = b"R%d" % self.n
        self.imap.send(tag + b" UID FETCH %d (%s)\r\n" % (uid, items.encode()))
        untagged = []
        while True:
            line = self.imap.readline()
            if not line:
                raise RuntimeError("connection closed")
            # Collect literals that end the line: {n}\r\n
            while True:
                m = re.search(rb"~?\{([0-9]+)\}\r\n$", line)
                if not m:
                    break
                line += self.imap.read(int(m.group(1)))
                line += self.imap.readline()
            if line.startswith(tag + b" "):
                status = line[len(tag) + 1:]
                break
            if re.match(rb"\* [0-9]+ FETCH ", line):
                untagged.append(line)
        if not status.startswith(b"OK"):
            return None, status.strip().decode("latin-1")
        fetches = [u for u in untagged if b"UID %d" % uid in u or True]
        if len(fetches) != 1:
            raise RuntimeError("expected one FETCH response for UID %d, got %d" % (uid, len(fetches)))
        return fetches[0], None


def uid_map(maildir):
    """UID -> original file name, from Dovecot's dovecot-uidlist (written at SELECT)."""
    out = {}
    with open(os.path.join(maildir, "dovecot-uidlist"), "rb") as f:
        next(f)
        for line in f:
            line = line.decode("latin-1").rstrip("\n")
            uid, _, rest = line.partition(" ")
            fname = rest[rest.index(":") + 1:] if rest.startswith(":") else rest.split(" :", 1)[1]
            out[int(uid)] = fname.split(":2,")[0]
    return out


# ---------------------------------------------------------------------------------------
# Roost side: imap-views in batch mode (one process for all messages).


class Roost:
    def __init__(self, views):
        self.p = subprocess.Popen([views, "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def request(self, path, items):
        self.p.stdin.write(("%s\t%s\n" % (path, items)).encode())
        self.p.stdin.flush()
        header = self.p.stdout.readline()
        if not header:
            raise RuntimeError("imap-views exited")
        kind, n = header.split()
        body = self.p.stdout.read(int(n))
        return kind.decode(), body


# How a listed difference may look. Each kind is narrow: the entry matches only when the two
# values differ in exactly that way.
def _collapse(b):
    return re.sub(rb"[ \t]+", b" ", b).strip(b" \t")


def _envelope_subject_ws(v):
    if v[0] == "list" and len(v[1]) == 10 and v[1][1][0] == "str":
        items = list(v[1])
        items[1] = ("str", _collapse(items[1][1]))
        return ("list", items)
    return v


def _lf_to_crlf(v):
    if v[0] == "str":
        return ("str", re.sub(rb"(?<!\r)\n", b"\r\n", v[1]))
    return v


def _lower(v):
    if v[0] == "str":
        return ("str", v[1].lower())
    if v[0] == "list":
        return ("list", [_lower(x) for x in v[1]])
    return v


KINDS = {
    # Only letter case differs (media types, subtypes, charset names: RFC 2045 §5.1, RFC 2046 §4.1.2).
    "case": lambda roost, dove: _lower(roost) == _lower(dove),
    # Any difference in the item.
    "any": lambda roost, dove: True,
    # Dovecot collapses runs of whitespace in the subject ("string for humans").
    "subject-whitespace": lambda roost, dove: _envelope_subject_ws(roost) == _envelope_subject_ws(dove),
    # Dovecot sends decoded text with the line endings the decoded bytes have.
    "crlf": lambda roost, dove: roost == _lf_to_crlf(dove),
    # Dovecot's value starts with the mbox "From " separator line, Roost's does not.
    "from-line": lambda roost, dove: roost[0] == "str" and dove[0] == "str" and dove[1].startswith(b"From ")
        and b"\r\n" in dove[1] and dove[1][dove[1].index(b"\r\n") + 2:] == roost[1],
    # Dovecot's value has a CRLF more at the end.
    "trailing-crlf": lambda roost, dove: roost[0] == "str" and dove == ("str", roost[1] + b"\r\n"),
    # Roost's value has a CRLF more at the end.
    "extra-crlf": lambda roost, dove: dove[0] == "str" and roost == ("str", dove[1] + b"\r\n"),
}


def load_differences(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                sys.exit("%s:%d: expected file<TAB>item<TAB>kind<TAB>reason" % (path, no))
            if parts[2] not in KINDS:
                sys.exit("%s:%d: unknown kind %r (one of %s)" % (path, no, parts[2], ", ".join(KINDS)))
            if not re.search(r"RFC [0-9]+ §[0-9]", parts[3]):
                sys.exit("%s:%d: the reason must cite the RFC section that shows Roost is right" % (path, no))
            entries.append({"file": parts[0], "item": parts[1], "kind": parts[2], "reason": parts[3],
                            "line": no, "used": False})
    return entries


def glob_match(pattern, s):
    """`*` matches any run of characters; everything else (brackets too) is literal."""
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), s, re.S) is not None


def listed(entries, fname, item, roost=None, dove=None):
    for e in entries:
        if not (glob_match(e["file"], fname) and glob_match(e["item"], item)):
            continue
        if roost is None or dove is None:
            ok = e["kind"] == "any"
        else:
            ok = KINDS[e["kind"]](roost, dove)
        if ok:
            e["used"] = True
            return e
    return None


BASE_ITEMS = [
    "ENVELOPE", "BODYSTRUCTURE", "BODY", "RFC822.SIZE",
    "BODY.PEEK[]", "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]", "BODY.PEEK[1]", "BODY.PEEK[1.MIME]",
    "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]",
    "BODY.PEEK[HEADER.FIELDS.NOT (FROM SUBJECT RECEIVED CONTENT-TYPE)]",
    "BODY.PEEK[]<0.100>", "BODY.PEEK[TEXT]<10.50>", "BODY.PEEK[HEADER]<5000.100>",
]
MAX_PARTS = 8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--views", required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--differences", required=True)
    ap.add_argument("--verbose", action="store_true", help="print both values of each difference")
    ap.add_argument("--suggest", action="store_true", help="print a difference-list line (kind, no reason) for each unlisted difference")
    args = ap.parse_args()

    entries = load_differences(args.differences)
    dove = Dovecot(args.port, args.user, args.password)
    roost = Roost(args.views)
    uids = uid_map(args.maildir)
    cur = os.path.join(args.maildir, "cur")
    files = {f.split(":2,")[0]: os.path.join(cur, f) for f in os.listdir(cur)}
    files.update({f: os.path.join(args.maildir, "new", f) for f in os.listdir(os.path.join(args.maildir, "new"))})

    compared = 0
    listed_count = 0
    failures = []
    seen_files = set()
    suggestions = []
    for uid in sorted(uids):
        mname = uids[uid]
        path = files[mname]
        fname = mname.split(".", 1)[1]  # drop the numbering prefix the shell script added
        seen_files.add(fname)
        kind, parts = roost.request(path, "PARTS")
        plan = [BASE_ITEMS]
        binary = []
        for line in parts.decode().splitlines()[:MAX_PARTS]:
            num, ptype = line.split()
            if num != "1":
                plan.append(["BODY.PEEK[%s]" % num, "BODY.PEEK[%s.MIME]" % num])
            if ptype == "message":
                plan.append(["BODY.PEEK[%s.HEADER]" % num, "BODY.PEEK[%s.TEXT]" % num,
                             "BODY.PEEK[%s.HEADER.FIELDS (SUBJECT DATE)]" % num])
            if ptype == "leaf":
                binary += ["BINARY.PEEK[%s]" % num, "BINARY.SIZE[%s]" % num, "BINARY.PEEK[%s]<3.40>" % num]
        # BINARY fails the whole command on an unknown transfer encoding: one item per command.
        plan += [[b] for b in binary]
        for group in plan:
            items = " ".join(group)
            draw, dstatus = dove.fetch(uid, items)
            rkind, rraw = roost.request(path, items)
            key = norm_item(group[0]) if len(group) == 1 else None
            if dstatus is not None or rkind != "OK":
                compared += 1
                dgot = "NO" if dstatus and ("UNKNOWN-CTE" in dstatus) else (dstatus or "OK")
                rgot = rraw.decode("latin-1").strip() if rkind != "OK" else "OK"
                same = (rgot.startswith("NO [UNKNOWN-CTE]") and dgot == "NO")
                if not same:
                    item = key or items
                    if listed(entries, fname, item):
                        listed_count += 1
                    else:
                        failures.append("%s %s: roost %s | dovecot %s" % (fname, item, rgot[:100], dgot[:100]))
                        suggestions.append("%s\t%s\tany\t" % (fname, item))
                continue
            try:
                dv = parse_fetch(draw)
            except ParseError as e:
                failures.append("%s %s: cannot parse Dovecot's response: %s" % (fname, items, e))
                continue
            try:
                rv = parse_fetch(rraw)
            except ParseError as e:
                failures.append("%s %s: cannot parse Roost's response: %s" % (fname, items, e))
                continue
            dv.pop("UID", None)
            for name in sorted(set(dv) | set(rv)):
                compared += 1
                a, b = rv.get(name), dv.get(name)
                if a is None or b is None:
                    failures.append("%s %s: only in %s" % (fname, name, "dovecot" if a is None else "roost"))
                    continue
                if a == b:
                    continue
                if listed(entries, fname, name, a, b):
                    listed_count += 1
                    continue
                failures.append("%s %s: %s" % (fname, name, first_difference(a, b)))
                if args.suggest:
                    kind = next(k for k in ["subject-whitespace", "crlf", "from-line", "trailing-crlf", "extra-crlf", "case", "any"]
                                if KINDS[k](a, b))
                    suggestions.append("%s\t%s\t%s\t" % (fname, name, kind))
                if args.verbose:
                    failures.append("    roost   %s\n    dovecot %s" % (show(a, 2000), show(b, 2000)))

    stale = [e for e in entries if not e["used"] and any(glob_match(e["file"], f) for f in seen_files)]
    print("compare-dovecot: %d messages, %d items compared, %d listed differences, %d unlisted"
          % (len(uids), compared, listed_count, len(failures)))
    for f in failures:
        print("  DIFF " + f)
    for line in suggestions:
        print("  SUGGEST " + line)
    for e in stale:
        print("  STALE %s:%d %s %s (no longer differs)" % (args.differences, e["line"], e["file"], e["item"]))
    if failures or stale:
        sys.exit(1)


if __name__ == "__main__":
    main()

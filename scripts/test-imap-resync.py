#!/usr/bin/env python3
"""CONDSTORE and QRESYNC (RFC 7162) over real sockets, on the wire.

Usage:
  test-imap-resync.py condstore FIXTURE.json      RFC 7162's examples adapted to Roost's data
  test-imap-resync.py special-use FIXTURE.json    CREATE-SPECIAL-USE (RFC 6154 §3)
                                                  (run by Tests/FrontendsTests/IMAP/IMAPResyncClientTests.swift)
  test-imap-resync.py prepare FIXTURE.json STATE  a client saves its state; another session
                                                  changes flags and expunges (scripts/test-qresync.sh)
  test-imap-resync.py check FIXTURE.json STATE    QRESYNC SELECT gives the same answer as before
FIXTURE.json has implicit_port, cafile, user, password. Exits non-zero on the first mismatch.
"""
import json
import re
import socket
import sys

from roost_client import LineSocket, expect, tls_context

mode, fixture_path = sys.argv[1], sys.argv[2]
F = json.load(open(fixture_path))
HOST = "127.0.0.1"


class Session(LineSocket):
    """One IMAP connection over TLS; `cmd` returns (untagged lines, tagged line)."""
    counter = 0

    def __init__(self, login=True):
        super().__init__(tls_context(F["cafile"]).wrap_socket(socket.create_connection((HOST, F["implicit_port"]), timeout=30)))
        self.greeting = self.line()
        if login:
            self.ok(f'LOGIN "{F["user"]}" "{F["password"]}"')

    def line(self):
        return super().line().decode()

    def cmd(self, text, literal=None):
        Session.counter += 1
        tag = f"t{Session.counter}"
        if literal is None:
            self.sock.sendall(f"{tag} {text}\r\n".encode())
        else:
            self.sock.sendall(f"{tag} {text} {{{len(literal)}+}}\r\n".encode() + literal + b"\r\n")
        untagged = []
        while True:
            line = self.line()
            if line.startswith(tag + " "):
                return untagged, line[len(tag) + 1:]
            # These are IMAP4rev1 sessions, so Roost also reports \Recent (RFC 3501 §2.3.2),
            # which RFC 7162's examples leave out; scripts/test-imap.py `recent` tests it.
            if re.fullmatch(r"\* \d+ RECENT", line):
                continue
            untagged.append(line.replace(" \\Recent)", ")").replace("(\\Recent ", "(").replace(" \\Recent ", " ").replace("(\\Recent)", "()"))

    def ok(self, text, literal=None):
        untagged, tagged = self.cmd(text, literal)
        expect(tagged.startswith("OK"), f"{text}: {tagged} {untagged}")
        return untagged, tagged

    def bad(self, text):
        untagged, tagged = self.cmd(text)
        expect(tagged.startswith("BAD"), f"{text}: expected BAD, got {tagged}")

    def close(self):
        self.cmd("LOGOUT")
        self.sock.close()


def code(lines, name):
    """The value of `* OK [NAME value]` among untagged lines (or a tagged line), or None."""
    for line in lines if isinstance(lines, list) else [lines]:
        m = re.search(r"\[" + name + r" ([^\]]*)\]", line)
        if m:
            return m.group(1)
    return None


def fetches(lines):
    """uid -> (number, modseq, flags or None) from `* n FETCH (UID u MODSEQ (m) [FLAGS (...)])` lines."""
    out = {}
    for line in lines:
        m = re.match(r"\* (\d+) FETCH \((.*)\)$", line)
        if not m:
            continue
        body = m.group(2)
        uid = int(re.search(r"UID (\d+)", body).group(1))
        modseq = re.search(r"MODSEQ \((\d+)\)", body)
        flags = re.search(r"FLAGS \(([^)]*)\)", body)
        out[uid] = (int(m.group(1)), int(modseq.group(1)) if modseq else None, flags.group(1).split() if flags else None)
    return out


def message(n):
    return (f"From: Ann <ann@example.net>\r\nTo: alice@example.org\r\nSubject: resync {n}\r\n"
            f"Message-ID: <resync{n}@example.net>\r\n\r\nBody {n}.\r\n").encode()


def condstore():
    a = Session()
    caps = a.ok("CAPABILITY")[0][0].split()
    expect("CONDSTORE" in caps and "QRESYNC" in caps and "ENABLE" in caps, caps)
    for n in range(2, 6):
        a.ok("APPEND INBOX ()", message(n))
    # A plain SELECT tells no HIGHESTMODSEQ (no CONDSTORE enabling command yet).
    untagged, tagged = a.ok("SELECT INBOX")
    expect(code(untagged, "HIGHESTMODSEQ") is None, untagged)
    uidvalidity = int(code(untagged, "UIDVALIDITY"))
    # Example 13: FETCH MODSEQ enables CONDSTORE, so HIGHESTMODSEQ comes first (§3.1).
    untagged, _ = a.ok("FETCH 1:3 (MODSEQ)")
    expect(untagged[0].startswith("* OK [HIGHESTMODSEQ "), untagged)
    h0 = int(code(untagged, "HIGHESTMODSEQ"))
    modseqs = [int(re.match(r"\* (\d) FETCH \(MODSEQ \((\d+)\)\)$", l).group(2)) for l in untagged[1:]]
    expect(len(modseqs) == 3 and modseqs == sorted(modseqs) and modseqs[-1] <= h0, untagged)
    # Example 17: STATUS HIGHESTMODSEQ.
    untagged, _ = a.ok("STATUS INBOX (UIDNEXT MESSAGES HIGHESTMODSEQ)")
    expect(re.match(r'\* STATUS "?INBOX"? \(UIDNEXT 6 MESSAGES 5 HIGHESTMODSEQ %d\)$' % h0, untagged[0]), untagged)

    # Example 3: every message passes; .SILENT still answers with UID and MODSEQ.
    untagged, tagged = a.ok(f"UID STORE 4,2 (UNCHANGEDSINCE {h0}) +FLAGS.SILENT (\\Deleted)")
    got = fetches(untagged)
    expect(set(got) == {2, 4} and all(m > h0 and f is None for _, m, f in got.values()), untagged)
    expect("MODIFIED" not in tagged, tagged)
    after_delete = max(m for _, m, _ in got.values())
    # Example 6 and 10: message 3 changed after the client's MODSEQ: left alone, in [MODIFIED],
    # and its current flags are sent; message 1 is changed.
    a.ok("STORE 3 +FLAGS.SILENT ($Seen3)")
    untagged, tagged = a.ok(f"STORE 1,3 (UNCHANGEDSINCE {modseqs[0]}) +FLAGS.SILENT (\\Answered)")
    got = fetches(untagged)
    expect(code(tagged, "MODIFIED") == "3", tagged)
    expect(got[1][1] > after_delete and got[1][2] is None, untagged)
    expect(got[3][2] == ["$Seen3"], f"the failed message is sent with its flags: {untagged}")
    # Example 8: UNCHANGEDSINCE 0 always fails; nothing changes.
    _, tagged = a.ok("STORE 5 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)")
    expect(code(tagged, "MODIFIED") == "5", tagged)
    untagged, _ = a.ok("FETCH 5 (FLAGS)")
    expect("$MDNSent" not in untagged[0], untagged)
    # A plain STORE with CONDSTORE on answers with UID and MODSEQ too.
    untagged, _ = a.ok("STORE 5 +FLAGS (\\Flagged)")
    expect(re.match(r"\* 5 FETCH \(UID 5 MODSEQ \(\d+\) FLAGS \(\\Flagged\)\)$", untagged[0]), untagged)

    # Example 12: UID FETCH CHANGEDSINCE returns only the changed messages, with MODSEQ.
    untagged, _ = a.ok(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h0})")
    got = fetches(untagged)
    expect(set(got) == {1, 2, 3, 4, 5}, untagged)
    untagged, _ = a.ok(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {got[3][1]})")
    expect(set(fetches(untagged)) == {1, 5}, f"after message 3's change only 1 and 5 changed: {untagged}")
    # Examples 15, 16 and 19: SEARCH MODSEQ adds the highest MODSEQ of the messages found.
    untagged, _ = a.ok(f"SEARCH MODSEQ \"/flags/\\\\draft\" all {got[3][1] + 1}")
    top = max(got[1][1], got[5][1])
    expect(untagged == [f"* SEARCH 1 5 (MODSEQ {top})"], untagged)
    untagged, _ = a.ok(f"UID SEARCH RETURN (ALL) MODSEQ {h0 + 1}")
    expect(re.match(r"\* ESEARCH \(TAG \"t\d+\"\) UID ALL 1:5 MODSEQ %d$" % top, untagged[0]), untagged)
    untagged, _ = a.ok("SEARCH MODSEQ 9223372036854775807")
    expect(untagged == ["* SEARCH"], untagged)
    untagged, _ = a.ok("SEARCH OR NOT MODSEQ 1 LARGER 50000")
    expect(untagged == ["* SEARCH"], untagged)
    # QRESYNC forms before ENABLE QRESYNC: BAD (§3.2.3, §3.2.6).
    a.bad(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h0} VANISHED)")
    a.bad(f"SELECT INBOX (QRESYNC ({uidvalidity} {h0}))")

    # Another session expunges 2 and 4; the CONDSTORE-only session still gets EXPUNGE.
    b = Session()
    b.ok("SELECT INBOX")
    untagged, _ = b.ok("EXPUNGE")
    expect(untagged == ["* 4 EXPUNGE", "* 2 EXPUNGE"], untagged)
    untagged, _ = a.ok("NOOP")
    expect(untagged == ["* 4 EXPUNGE", "* 2 EXPUNGE"], untagged)

    # A QRESYNC client resynchronises from h0 (§3.2.5): VANISHED (EARLIER) for 2 and 4, FETCH
    # with UID, FLAGS and MODSEQ for what changed. Uidvalidity wrong: nothing.
    c = Session()
    untagged, _ = c.ok("ENABLE QRESYNC")
    expect(untagged == ["* ENABLED QRESYNC"], untagged)
    untagged, _ = c.ok(f"SELECT INBOX (QRESYNC ({uidvalidity} {h0}))")
    current = int(code(untagged, "HIGHESTMODSEQ"))
    expect("* VANISHED (EARLIER) 2,4" in untagged, untagged)
    got = fetches(untagged)
    expect(set(got) == {1, 3, 5} and got[1][0] == 1 and got[3][0] == 2 and got[5][0] == 3, untagged)
    expect(all(current >= m > h0 for _, m, _ in got.values()), untagged)
    untagged, _ = c.ok(f"SELECT INBOX (QRESYNC ({uidvalidity + 1} {h0}))")
    expect(untagged[0] == "* OK [CLOSED] previous mailbox closed", untagged)
    expect(not any("VANISHED" in l or "FETCH" in l for l in untagged), untagged)
    # Known UIDs narrow both; sequence match data (1→1, 2→3) trims VANISHED below UID 3.
    untagged, _ = c.ok(f"EXAMINE INBOX (QRESYNC ({uidvalidity} {h0} 3,5))")
    expect(not any("VANISHED" in l for l in untagged) and set(fetches(untagged)) == {3, 5}, untagged)
    untagged, _ = c.ok(f"EXAMINE INBOX (QRESYNC ({uidvalidity} {h0} 1:5 (1:2 1,3)))")
    expect("* VANISHED (EARLIER) 4" in untagged, untagged)
    # §3.2.6: UID FETCH (CHANGEDSINCE … VANISHED), the same answer; VANISHED only for UID FETCH.
    c.ok(f"SELECT INBOX (CONDSTORE)")
    untagged, _ = c.ok(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {h0} VANISHED)")
    expect(untagged[0] == "* VANISHED (EARLIER) 2,4" and set(fetches(untagged)) == {1, 3, 5}, untagged)
    c.bad(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {h0} VANISHED)")

    # Changes by others reach a QRESYNC session as FETCH (UID … MODSEQ) and VANISHED (§3.2.10.2).
    d = Session()
    d.ok("ENABLE QRESYNC")
    d.ok("SELECT INBOX")
    untagged, _ = c.ok("STORE 1 +FLAGS (\\Seen)")
    _, seen_modseq, _ = fetches(untagged)[1]
    untagged, _ = d.ok("NOOP")
    expect(untagged == [f"* 1 FETCH (UID 1 FLAGS (\\Answered \\Seen) MODSEQ ({seen_modseq}))"], untagged)
    c.ok("UID STORE 5 +FLAGS.SILENT (\\Deleted)")
    untagged, tagged = c.ok("UID EXPUNGE 5")
    expect(untagged == ["* VANISHED 5"], untagged)
    expunged_at = int(code(tagged, "HIGHESTMODSEQ"))
    expect(expunged_at > seen_modseq, tagged)
    # During FETCH by number the expunge is held back, and so is the HIGHESTMODSEQ (§3.2).
    untagged, _ = d.ok("FETCH 1 (FLAGS)")
    expect(not any("VANISHED" in l for l in untagged), untagged)
    expect(int(code(untagged, "HIGHESTMODSEQ")) < expunged_at, untagged)
    untagged, _ = d.ok("NOOP")
    expect(untagged == ["* VANISHED 5"], untagged)
    # The CONDSTORE-only session gets EXPUNGE for it, and the \\Seen with UID and MODSEQ.
    untagged, _ = a.ok("NOOP")
    expect(untagged == ["* 3 EXPUNGE", f"* 1 FETCH (UID 1 FLAGS (\\Answered \\Seen) MODSEQ ({seen_modseq}))"], untagged)
    # EXAMINE with CONDSTORE: HIGHESTMODSEQ, and no STORE.
    e = Session()
    untagged, _ = e.ok("EXAMINE INBOX (CONDSTORE)")
    expect(int(code(untagged, "HIGHESTMODSEQ")) == expunged_at, untagged)
    _, tagged = e.cmd(f"STORE 1 (UNCHANGEDSINCE {expunged_at}) +FLAGS (\\Draft)")
    expect(tagged.startswith("NO [READ-ONLY]"), tagged)
    # ENABLE CONDSTORE alone is accepted too.
    f = Session()
    untagged, _ = f.ok("ENABLE CONDSTORE")
    expect(untagged == ["* ENABLED CONDSTORE"], untagged)
    for s in (a, b, c, d, e, f):
        s.close()


def special_use():
    """CREATE-SPECIAL-USE (RFC 6154 §3, §5.3): CREATE with USE, LIST shows it, \\All is refused."""
    a = Session()
    caps = a.ok("CAPABILITY")[0][0].split()
    expect("CREATE-SPECIAL-USE" in caps and "SPECIAL-USE" in caps, caps)
    a.ok('CREATE "Sent Items" (USE (\\Sent))')
    untagged, _ = a.ok('LIST "" "Sent Items"')
    expect(untagged == ['* LIST (\\HasNoChildren \\Sent) "/" "Sent Items"'], untagged)
    untagged, _ = a.ok('LIST (SPECIAL-USE) "" "*"')
    expect(any(l.endswith('"Sent Items"') for l in untagged), untagged)
    _, tagged = a.cmd("CREATE MySpecial (USE (\\All))")
    expect(tagged.startswith("NO [USEATTR]"), tagged)
    untagged, _ = a.ok('LIST "" "MySpecial"')
    expect(untagged == [], f"a refused CREATE makes no mailbox: {untagged}")
    a.bad("CREATE Other (USE (Sent))")
    a.close()


def resync_answer(state):
    """What a QRESYNC SELECT from the saved state says (HIGHESTMODSEQ, VANISHED, FETCH), and the
    same for UID FETCH (CHANGEDSINCE … VANISHED)."""
    s = Session()
    s.ok("ENABLE QRESYNC")
    untagged, _ = s.ok(f"SELECT INBOX (QRESYNC ({state['uidvalidity']} {state['highestmodseq']} {state['known']}))")
    answer = [l for l in untagged if "HIGHESTMODSEQ" in l or "VANISHED" in l or "FETCH" in l]
    untagged, _ = s.ok(f"UID FETCH {state['known']} (FLAGS) (CHANGEDSINCE {state['highestmodseq']} VANISHED)")
    s.close()
    return answer, untagged


def prepare(state_path):
    a = Session()
    for n in range(1, 7):
        a.ok("APPEND INBOX ()", message(n))
    a.ok("ENABLE QRESYNC")
    untagged, _ = a.ok("SELECT INBOX")
    state = {"uidvalidity": int(code(untagged, "UIDVALIDITY")), "highestmodseq": int(code(untagged, "HIGHESTMODSEQ"))}
    uids = sorted(fetches(a.ok("UID FETCH 1:* (FLAGS MODSEQ)")[0]))
    expect(len(uids) >= 6, uids)
    state["known"] = f"{uids[0]}:{uids[-1]}"
    # Another session changes flags on two messages and expunges two more.
    b = Session()
    b.ok("ENABLE QRESYNC")
    b.ok("SELECT INBOX")
    changed = {}
    for uid, flag in ((uids[1], "\\Flagged"), (uids[4], "$Label1")):
        untagged, _ = b.ok(f"UID STORE {uid} +FLAGS ({flag})")
        changed[uid] = fetches(untagged)[uid][1]
    b.ok(f"UID STORE {uids[2]}:{uids[3]} +FLAGS.SILENT (\\Deleted)")
    untagged, _ = b.ok(f"UID EXPUNGE {uids[2]}:{uids[3]}")
    expect(untagged == [f"* VANISHED {uids[2]}:{uids[3]}"], untagged)
    b.close()
    a.close()
    select_answer, fetch_answer = resync_answer(state)
    expect(f"* VANISHED (EARLIER) {uids[2]}:{uids[3]}" in select_answer, select_answer)
    got = fetches(select_answer)
    expect({u: m for u, (_, m, _) in got.items()} == changed, f"{select_answer} vs {changed}")
    state["select"], state["fetch"] = select_answer, fetch_answer
    json.dump(state, open(state_path, "w"))
    print(f"prepared: {select_answer}")


def check(state_path):
    state = json.load(open(state_path))
    select_answer, fetch_answer = resync_answer(state)
    expect(select_answer == state["select"], f"QRESYNC SELECT changed:\n  before {state['select']}\n  now    {select_answer}")
    expect(fetch_answer == state["fetch"], f"UID FETCH VANISHED changed:\n  before {state['fetch']}\n  now    {fetch_answer}")


{"condstore": condstore, "special-use": special_use, "prepare": lambda: prepare(sys.argv[3]), "check": lambda: check(sys.argv[3])}[mode]()
print(f"test-imap-resync {mode}: ok")

/// Hand-written messages, each with the tree Roost must produce. Written with LF; the tests
/// run every one with LF and with CRLF line endings. Each case names the construct or the
/// malformation it covers (several were learnt from the shared corpus, noted as such).
struct MIMEFixture: Sendable {
    var name: String
    var message: String
    var shape: String
}

enum MIMEFixtures {
    static let all: [MIMEFixture] = [
        MIMEFixture(
            name: "no MIME at all: RFC 2045 §5.2 default text/plain",
            message: """
                From: a@example.com
                Subject: hi

                Hello.
                """,
            shape: "text/plain"),
        MIMEFixture(
            name: "simple multipart with preamble and epilogue",
            message: """
                Content-Type: multipart/mixed; boundary="xyz"

                This is the preamble.
                --xyz
                Content-Type: text/plain

                one
                --xyz
                Content-Type: application/pdf; name=a.pdf
                Content-Transfer-Encoding: base64

                AAAA
                --xyz--
                This is the epilogue.
                """,
            shape: """
                multipart/mixed
                  text/plain
                  application/pdf
                """),
        MIMEFixture(
            name: "nested multipart/alternative inside multipart/mixed",
            message: """
                Content-Type: multipart/mixed; boundary=outer

                --outer
                Content-Type: multipart/alternative; boundary=inner

                --inner
                Content-Type: text/plain

                plain
                --inner
                Content-Type: text/html

                <p>html</p>
                --inner--
                --outer
                Content-Type: image/png

                PNG
                --outer--
                """,
            shape: """
                multipart/mixed
                  multipart/alternative
                    text/plain
                    text/html
                  image/png
                """),
        MIMEFixture(
            name: "missing final boundary at the end of the message (RFC 2046 §5.1.1)",
            message: """
                Content-Type: multipart/mixed; boundary=b

                --b
                Content-Type: text/plain

                one
                --b
                Content-Type: text/plain

                two, and the message just ends
                """,
            shape: """
                multipart/mixed !close
                  text/plain
                  text/plain
                """),
        MIMEFixture(
            name: "inner multipart never closed: ended by the outer delimiter (RFC 2046 §5.1.2)",
            message: """
                Content-Type: multipart/mixed; boundary=outer

                --outer
                Content-Type: multipart/alternative; boundary=inner

                --inner
                Content-Type: text/plain

                plain
                --outer
                Content-Type: text/plain

                after
                --outer--
                """,
            shape: """
                multipart/mixed
                  multipart/alternative !close
                    text/plain
                  text/plain
                """),
        MIMEFixture(
            name: "message/rfc822 part with its own multipart",
            message: """
                Content-Type: multipart/mixed; boundary=b

                --b
                Content-Type: text/plain

                see attached
                --b
                Content-Type: message/rfc822

                From: inner@example.com
                Subject: inner
                Content-Type: multipart/alternative; boundary=c

                --c
                Content-Type: text/plain

                inner plain
                --c--
                --b--
                """,
            shape: """
                multipart/mixed
                  text/plain
                  message/rfc822
                    multipart/alternative
                      text/plain
                """),
        MIMEFixture(
            name: "multipart/digest parts default to message/rfc822 (RFC 2046 §5.1.5)",
            message: """
                Content-Type: multipart/digest; boundary=d

                --d

                From: one@example.com
                Subject: one

                first
                --d
                Content-Type: text/plain

                explicit text
                --d--
                """,
            shape: """
                multipart/digest
                  message/rfc822
                    text/plain
                  text/plain
                """),
        MIMEFixture(
            name: "part with no header fields at all (blank line right after the delimiter)",
            message: """
                Content-Type: multipart/mixed; boundary=b

                --b

                bare body
                --b--
                """,
            shape: """
                multipart/mixed
                  text/plain
                """),
        MIMEFixture(
            name: "part header cut off by the next delimiter (no empty line)",
            message: """
                Content-Type: multipart/mixed; boundary=b

                --b
                Content-Type: text/plain
                --b
                Content-Type: text/html

                <b>x</b>
                --b--
                """,
            shape: """
                multipart/mixed
                  text/plain
                  text/html
                """),
        MIMEFixture(
            name: "multipart without a boundary parameter is a leaf",
            message: """
                Content-Type: multipart/mixed

                --whatever
                text
                """,
            shape: "multipart/mixed !boundary"),
        MIMEFixture(
            name: "boundary never appears: everything is preamble",
            message: """
                Content-Type: multipart/mixed; boundary=nothere

                just text
                --other
                """,
            shape: "multipart/mixed !delimiter"),
        MIMEFixture(
            name: "close delimiter before any part: empty multipart",
            message: """
                Content-Type: multipart/mixed; boundary=b

                preamble
                --b--
                epilogue
                """,
            shape: "multipart/mixed"),
        MIMEFixture(
            name: "boundary that is a prefix of a body line is not a delimiter",
            message: """
                Content-Type: multipart/mixed; boundary=ab

                --ab
                Content-Type: text/plain

                --abc is text, not a delimiter
                --ab--
                """,
            shape: """
                multipart/mixed
                  text/plain
                """),
        MIMEFixture(
            name: "transport padding after delimiters (RFC 2046 §5.1.1) and junk after the close",
            message: "Content-Type: multipart/mixed; boundary=b\n\n--b  \t\nContent-Type: text/plain\n\nx\n--b-- trailing junk\n",
            shape: """
                multipart/mixed
                  text/plain
                """),
        MIMEFixture(
            name: "message/rfc822 with base64 transfer encoding is opaque (RFC 2046 §5.2.1)",
            message: """
                Content-Type: message/rfc822
                Content-Transfer-Encoding: base64

                RnJvbTogYUBiLmNvbQoKaGkK
                """,
            shape: "message/rfc822 !encodedmessage"),
        MIMEFixture(
            name: "Content-Type that does not parse falls back to text/plain (RFC 2045 §5.2)",
            message: """
                Content-Type: /

                x
                """,
            shape: "text/plain !contenttype"),
        MIMEFixture(
            name: "unquoted boundary containing '=' (Outlook style, learnt from the corpus)",
            message: """
                Content-Type: multipart/alternative;
                \tboundary=----=_NextPart_000_0001_01C0A1B2.3C4D5E60

                ------=_NextPart_000_0001_01C0A1B2.3C4D5E60
                Content-Type: text/plain

                x
                ------=_NextPart_000_0001_01C0A1B2.3C4D5E60--
                """,
            shape: """
                multipart/alternative
                  text/plain
                """),
        MIMEFixture(
            name: "uppercase type and subtype are lowercased; comments in Content-Type",
            message: """
                Content-Type: (comment) MULTIPART/Mixed (another); BOUNDARY="b"

                --b
                Content-Type: Text/HTML; Charset=UTF-8

                x
                --b--
                """,
            shape: """
                multipart/mixed
                  text/html
                """),
        MIMEFixture(
            name: "header line without colon and no fields after it starts the body (Python email; cpython msg_47)",
            message: """
                Subject: broken
                Content-Type: text/html
                this line has no colon

                more body
                """,
            shape: "text/html !colon"),
        MIMEFixture(
            name: "no empty line: the whole message is header",
            message: "Subject: only a header\nFrom: a@b.c",
            shape: "text/plain !separator"),
        MIMEFixture(
            name: "message/rfc822 that is empty",
            message: """
                Content-Type: multipart/mixed; boundary=b

                --b
                Content-Type: message/rfc822

                --b--
                """,
            shape: """
                multipart/mixed
                  message/rfc822
                    text/plain
                """),
        MIMEFixture(
            name: "message/global is encapsulated too (RFC 6532 §3.7)",
            message: """
                Content-Type: message/global

                Subject: =?utf-8?q?caf=C3=A9?=
                Content-Type: text/plain; charset=utf-8

                café
                """,
            shape: """
                message/global
                  text/plain
                """),
        MIMEFixture(
            name: "boundary with ':' is valid (RFC 2046 §5.1.1 bchars; learnt from stalwart-malformed-000)",
            message: """
                Content-Type: multipart/mixed; boundary=":foo"

                --:foo
                --:foo
                Content-Type: text/plain
                --:foo
                Content-Type: text/html

                x
                --:foo--
                """,
            shape: """
                multipart/mixed
                  text/plain
                  text/plain
                  text/html
                """),
        MIMEFixture(
            name: "inner boundary a prefix of the outer: '--ab' is not a delimiter of 'a' (stalwart-malformed-001)",
            message: """
                Content-Type: multipart/mixed; boundary="ab"

                --ab
                Content-Type: multipart/mixed; boundary="a"

                --ab
                Content-Type: text/plain

                --a

                """,
            shape: """
                multipart/mixed !close
                  multipart/mixed !delimiter
                  text/plain
                """),
        MIMEFixture(
            name: "duplicate Content-Type: the first wins (stalwart-malformed-020)",
            message: """
                Content-Type: multipart/alternative; boundary=b
                Content-Type: text/plain

                --b
                Content-Type: text/plain

                x
                --b--
                """,
            shape: """
                multipart/alternative
                  text/plain
                """),
        MIMEFixture(
            name: "empty part right before the next delimiter (stalwart-malformed-020)",
            message: """
                Content-Type: multipart/related; boundary=outer

                --outer
                Content-Type: multipart/alternative; boundary=inner

                --inner
                Content-Type: text/plain

                x
                --inner

                --outer
                Content-Type: image/png

                PNG
                --outer--
                """,
            shape: """
                multipart/related
                  multipart/alternative !close
                    text/plain
                    text/plain
                  image/png
                """),
        MIMEFixture(
            name: "encapsulated multipart whose boundary never appears ends at the outer delimiter (stalwart-thirdparty-015)",
            message: """
                Content-Type: multipart/mixed; boundary=outer

                --outer
                Content-Type: message/rfc822

                Subject: one
                Content-Type: multipart/alternative; boundary=missing

                truncated body
                --outer
                Content-Type: message/rfc822

                Subject: two

                second
                --outer--
                """,
            shape: """
                multipart/mixed
                  message/rfc822
                    multipart/alternative !delimiter
                  message/rfc822
                    text/plain
                """),
        MIMEFixture(
            name: "inner close delimiter right before the outer one (mimekit rfc2060 shape)",
            message: """
                Content-Type: multipart/mixed; boundary=x

                --x
                Content-Type: message/rfc822

                Content-Type: multipart/mixed; boundary=y

                --y

                inner
                --y--
                --x--
                """,
            shape: """
                multipart/mixed
                  message/rfc822
                    multipart/mixed
                      text/plain
                """),
        MIMEFixture(
            name: "header line without colon followed by more fields is a broken fold (MimeKit issue 358 in the corpus)",
            message: """
                Subject: broken
                DKIM-Signature: v=1; b=abcdefgh
                ijklmnop-wrapped-without-whitespace
                Content-Type: multipart/mixed; boundary=b

                --b

                x
                --b--
                """,
            shape: """
                multipart/mixed !colon
                  text/plain
                """),
    ]
}

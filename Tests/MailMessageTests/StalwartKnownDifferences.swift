/// Where Roost's parse differs from stalwartlabs/mail-parser's stored result, per corpus
/// file and compared key, with the reason Roost's answer is the right one. The comparison
/// test fails if a difference appears that is not listed here, or a listed one goes away.
enum StalwartKnownDifferences {
    /// Raw 8-bit ISO-8859-1 bytes in a header field, no encoded word. RFC 6532 §3 allows only
    /// UTF-8 there, RFC 5322 §2.2 only ASCII, so the bytes are undeclared; stalwart replaces them
    /// with U+FFFD, Roost reads non-UTF-8 bytes as windows-1252 (the superset of ISO-8859-1 the
    /// message's own body declares) and recovers the text: "Frösche", not "Fr\u{FFFD}sche".
    static let undeclared8bit = "RFC 6532 §3 / RFC 5322 §2.2: undeclared 8-bit header bytes recovered, not replaced"

    /// RFC 2046 §5.1.1: a delimiter line is `"--" boundary transport-padding CRLF`; the grammar
    /// gives no room for other characters after the boundary. Stalwart (like Dovecot) matches a
    /// line that merely starts with "--" plus the boundary, so "--ab" ends a part of boundary "a".
    static let prefixBoundary = "RFC 2046 §5.1.1: \"--ab\" is not a delimiter for boundary \"a\""

    /// RFC 2046 §5.1.1 bchars include ":" — `boundary=":foo"` is valid and its four parts are real.
    static let colonBoundary = "RFC 2046 §5.1.1: ':' is a valid bchar; the parts are found"

    /// RFC 2046 §5.1.2: an enclosing multipart's delimiter ends an inner multipart whose close
    /// delimiter is missing; the parts after it belong to the outer multipart. Stalwart lets the
    /// inner multipart (or encapsulated message) swallow them.
    static let outerEndsInner = "RFC 2046 §5.1.2: the outer delimiter ends the unterminated inner multipart"

    /// RFC 2045 §3 / RFC 5322 §3.6: Content-Type appears once; Roost takes the first of two
    /// (multipart/alternative, as Dovecot does) and parses its parts, stalwart gives none.
    static let duplicateContentType = "RFC 2045 §3: the first Content-Type of a duplicated pair is used"

    /// RFC 5322 §2.2: a header field is `name ":" body`; a line without a colon is not one. When
    /// no field follows it (the next line is empty), Roost reads it as the first body line of a
    /// part whose empty separator line is missing, as Python's email does; stalwart counts it as
    /// a header line and gives the part an empty body (fuzzed message). When fields do follow,
    /// both keep reading the header.
    static let lineWithoutColon = "RFC 5322 §2.2: a line without a colon ends the header"

    /// RFC 5322 §3.4: a mailbox is `name-addr / addr-spec`; a bare word with no "@" and no angle
    /// brackets has no display-name (that needs an angle-addr). Roost keeps it as a local part
    /// without domain, stalwart as a display name without address.
    static let bareWord = "RFC 5322 §3.4: a bare word is not a display-name"

    /// RFC 2045 §6.8: "=" padding "may be taken as evidence that the end of the data has been
    /// reached", and "any characters outside of the base64 alphabet are to be ignored". Roost
    /// ignores "ignored" after "ecO2dMOkIHZhYW4uCg==" on the same line (stalwart decodes it into
    /// garbage) and decodes "?garbage" as the base64 it is after dropping "?" (stalwart returns
    /// the undecoded text). Dovecot's test (this file's origin) expects the former.
    static let base64Rules = "RFC 2045 §6.8: '=' ends the data; characters outside the alphabet are ignored"

    static let list: [String: [String: String]] = [
        "stalwart-legacy-010": ["subject": undeclared8bit, "to": undeclared8bit],
        "stalwart-legacy-016": ["filenames": undeclared8bit],
        "stalwart-legacy-017": ["to": undeclared8bit],
        "stalwart-legacy-020": ["subject": undeclared8bit, "to": undeclared8bit],
        "stalwart-legacy-022": ["subject": undeclared8bit, "to": undeclared8bit],
        "stalwart-legacy-026": ["filenames": undeclared8bit],
        "stalwart-legacy-027": ["subject": undeclared8bit, "to": undeclared8bit],
        "stalwart-malformed-000": ["tree": colonBoundary, "offsets": colonBoundary, "texts": colonBoundary],
        "stalwart-malformed-001": ["tree": prefixBoundary, "offsets": prefixBoundary, "texts": prefixBoundary],
        "stalwart-malformed-004": ["tree": prefixBoundary, "offsets": prefixBoundary, "texts": prefixBoundary],
        "stalwart-malformed-007": ["tree": prefixBoundary, "offsets": prefixBoundary, "texts": prefixBoundary],
        "stalwart-malformed-009": ["tree": outerEndsInner, "offsets": outerEndsInner, "texts": outerEndsInner],
        "stalwart-malformed-019": ["offsets": lineWithoutColon, "texts": lineWithoutColon],
        "stalwart-malformed-020": ["tree": duplicateContentType, "offsets": duplicateContentType, "texts": duplicateContentType],
        "stalwart-rfc-001": ["from": bareWord, "to": bareWord],
        "stalwart-thirdparty-002": ["texts": base64Rules],
        "stalwart-thirdparty-015": ["tree": outerEndsInner, "offsets": outerEndsInner, "filenames": outerEndsInner, "texts": outerEndsInner],
    ]
}

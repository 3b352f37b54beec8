/// IMAP's limits, each with the text that sets it.
public enum IMAPLimits {
    /// One line of a command (a literal's bytes not included). RFC 9051 §4 sets no limit;
    /// RFC 7162 §4 asks servers to take command lines of at least 8192 octets, and long UID sets
    /// from sync clients need more. A longer line is discarded and answered `BAD`; the session
    /// stays open.
    public static let lineLength = 64 * 1024

    /// The largest literal, and so the largest message APPEND takes (RFC 7889 APPENDLIMIT).
    public static let appendLimit = 50 * 1024 * 1024

    /// RFC 7888 §4 (LITERAL-): non-synchronizing literals up to 4096 octets. Roost offers
    /// LITERAL+ (any size up to `appendLimit`), which RFC 9051 §7.2.2 lets a server do.
    public static let literalMinus = 4096

    /// Literals in one command: APPEND has one, LOGIN two, a SEARCH a few.
    public static let literalsPerCommand = 64

    /// All literal bytes of one command other than the largest one (what a SEARCH or LOGIN
    /// can make the server hold).
    public static let smallLiteralTotal = 1024 * 1024

    /// Parenthesis nesting in a command (SEARCH keys, FETCH lists).
    public static let nestingDepth = 32

    /// Items in one list (flags, FETCH attributes, SEARCH keys, sequence-set ranges).
    public static let listItems = 10_000

    /// RFC 9051 §5.4: "the server's inactivity autologout timer MUST be at least 30 minutes".
    public static let idleTimeout: Duration = .seconds(31 * 60)

    /// Commands that fail in a row before Roost ends the session (a client that is not
    /// speaking IMAP, or is lost).
    public static let consecutiveErrors = 50

    /// Bytes of one FETCH response written before the next is built. A literal this long or
    /// longer (BODY[], RFC822, BINARY of a large message) is not copied into the response: it goes
    /// to the connection straight from the message in pieces of this size.
    public static let writeChunk = 256 * 1024
}

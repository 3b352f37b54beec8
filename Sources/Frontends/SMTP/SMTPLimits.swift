/// SMTP's limits, each with the text that sets it. Per-listener values that operators may change
/// (message size, recipients, timeouts, rate) are in `SMTPConfiguration`.
public enum SMTPLimits {
    /// RFC 5321 §4.5.3.1.4: "The maximum total length of a command line including the command word
    /// and the <CRLF> is 512 octets." SMTP extensions may raise it (RFC 1870 §3 SIZE, RFC 3461 §4
    /// DSN parameters, RFC 4954 §4 AUTH parameter); Roost accepts 2048 octets for commands.
    public static let commandLength = 2048

    /// RFC 4954 §4: the AUTH command's initial response and the client's SASL responses are
    /// lines that may be up to 12288 octets. What the framer accepts per command-mode line;
    /// longer lines get `500 5.5.2` and are discarded to their end.
    public static let lineLength = 12288

    /// RFC 5321 §4.5.3.1.6: "The maximum total length of a text line including the <CRLF> is
    /// 1000 octets." Real mail sometimes exceeds it, so Roost accepts message lines up to 64 KiB
    /// and rejects a message with a longer line (`500 5.5.2`) rather than buffer without bound.
    public static let dataLineLength = 64 * 1024

    /// RFC 5321 §4.5.3.1.8: "The minimum total number of recipients that MUST be buffered is 100."
    public static let recipients = 100

    /// RFC 5321 §4.1.2 / §4.5.3.1.1 and .2: local part 64 octets, domain 255, path 256.
    public static let localPartLength = 64
    public static let domainLength = 255
    public static let pathLength = 256

    /// Commands that fail in a row before Roost closes the connection (`421 4.7.0`): a client
    /// that is not speaking SMTP, or a dictionary attack on RCPT.
    public static let consecutiveErrors = 20

    /// Digits accepted in a SIZE or BDAT number (no overflow; larger is too big anyway).
    static let numberDigits = 15
}

/// What an SMTP listener is told by the configuration. (The per-client message rate is the
/// shared `SMTPRateLimiter`, one for all SMTP listeners.)
public struct SMTPConfiguration: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        /// Port 25: mail from the internet for local recipients; no AUTH, no relaying.
        case mx
        /// Ports 587 (STARTTLS) and 465 (implicit TLS): AUTH required, mail from local users.
        case submission
    }

    public var role: Role
    /// The name in the greeting, EHLO reply and Received fields.
    public var hostname: String
    /// RFC 1870: the SIZE announced and enforced, in octets.
    public var maximumMessageSize: Int
    public var maximumRecipients: Int
    /// RFC 5321 §4.5.3.2: what the listener's `ConnectionTimeouts` come from.
    public var timeouts: SMTPTimeouts

    public init(role: Role, hostname: String, maximumMessageSize: Int = 50 * 1024 * 1024,
                maximumRecipients: Int = SMTPLimits.recipients,
                timeouts: SMTPTimeouts = .init()) {
        self.role = role
        self.hostname = hostname
        self.maximumMessageSize = maximumMessageSize
        self.maximumRecipients = maximumRecipients
        self.timeouts = timeouts
    }
}

/// RFC 5321 §4.5.3.2 timeouts, as the server applies them.
public struct SMTPTimeouts: Sendable, Hashable {
    /// §4.5.3.2.7: "An SMTP server SHOULD have a timeout of at least 5 minutes while it is
    /// awaiting the next command from the sender." Also the time allowed between data lines
    /// (§4.5.3.2.5 gives the client 3 minutes per data block; the server waits longer).
    public var idle: Duration
    /// A command or data line that was started and not finished (slowloris guard); §4.5.3.2.5's
    /// 3 minutes per data block.
    public var partialLine: Duration
    public var tlsHandshake: Duration

    public init(idle: Duration = .seconds(300), partialLine: Duration = .seconds(180), tlsHandshake: Duration = .seconds(30)) {
        self.idle = idle
        self.partialLine = partialLine
        self.tlsHandshake = tlsHandshake
    }

    public var connectionTimeouts: ConnectionTimeouts {
        ConnectionTimeouts(idle: idle, command: partialLine, tlsHandshake: tlsHandshake)
    }
}

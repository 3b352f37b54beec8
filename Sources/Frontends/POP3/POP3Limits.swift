/// POP3's limits, each with the text that sets it.
public enum POP3Limits {
    /// RFC 2449 §4: "The maximum length of a command is increased ... to 255 octets, including
    /// the terminating CRLF." Longer commands get `-ERR` (the connection stays open).
    public static let commandLength = 255 - 2

    /// What the framer accepts per line: SASL responses (RFC 5034 §4) are client lines that are
    /// not commands and carry base64 of up to `SASLExchange.maximumResponseLength`. A longer
    /// line closes the connection with the `.malformedInput` farewell.
    public static let lineLength = SASLExchange.maximumResponseLength + 2

    /// RFC 1939 §3: "A POP3 server MAY have an inactivity autologout timer. Such a timer MUST be
    /// of at least 10 minutes' duration."
    public static let idleTimeout: Duration = .seconds(10 * 60)

    /// Consecutive commands that fail to parse or are not valid in the state before Roost closes
    /// the connection (a client that is not speaking POP3, or is lost).
    public static let consecutiveErrors = 20

    /// Octets of a message RETR stuffs and writes at a time (a large message goes out in pieces).
    public static let writeChunk = 256 * 1024

    /// Digits accepted in a message number or line count; larger numbers name no message.
    static let numberDigits = 9
}

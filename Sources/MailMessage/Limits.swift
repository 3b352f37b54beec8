/// Bounds that keep the parser linear in time and memory on hostile input.
///
/// None of these change the answer for a well-formed message; past a bound the parser
/// stops structuring and keeps the rest as opaque bytes, recording a `Defect`.
public struct Limits: Hashable, Sendable {
    /// Multipart / message/rfc822 nesting. RFC 2046 §5.1.1 sets no limit; 50 is far past any
    /// mail program (Thunderbird stops near 20) and keeps recursion shallow. Deeper parts
    /// become opaque leaves.
    public var maxDepth: Int

    /// Header fields kept per part. RFC 5322 §3.6 has no limit; a spammer can send millions.
    /// Fields past the bound are still skipped over (so the body starts in the right place)
    /// but not stored.
    public var maxHeaderFields: Int

    /// Parts kept in one message (all levels). Past it, further body parts are not split out
    /// and stay inside their parent's epilogue.
    public var maxParts: Int

    /// Longest boundary parameter honoured. RFC 2046 §5.1.1: "1*70" characters; we allow
    /// more than 70 since real mailers overshoot, but bound it to keep matching cheap.
    public var maxBoundaryLength: Int

    /// Bytes of one header field value that structured decoding (addresses, dates, encoded
    /// words, parameters) will look at. RFC 5322 §2.1.1 caps a line at 998 octets, but
    /// folding makes a field unbounded.
    public var maxStructuredFieldLength: Int

    public init(
        maxDepth: Int = 50,
        maxHeaderFields: Int = 1_000,
        maxParts: Int = 10_000,
        maxBoundaryLength: Int = 200,
        maxStructuredFieldLength: Int = 64 * 1024
    ) {
        self.maxDepth = maxDepth
        self.maxHeaderFields = maxHeaderFields
        self.maxParts = maxParts
        self.maxBoundaryLength = maxBoundaryLength
        self.maxStructuredFieldLength = maxStructuredFieldLength
    }

    public static let `default` = Limits()
}

/// RFC 5322 §2.1.1: lines "SHOULD be no more than 78 characters" and "MUST be no more than
/// 998 characters", both excluding the CRLF. Used by the header writer.
enum LineLength {
    static let recommended = 78
    static let maximum = 998
}

/// RFC 2045 §5.1 / RFC 2231 §3 put no bound on parameters; real headers carry a handful, and
/// joining continuations is quadratic in their number, so stop at a generous count.
enum ParameterLimits {
    static let maxParameters = 64
}

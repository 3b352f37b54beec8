/// One header field as it appears in the raw message: ranges only, so the original order and
/// bytes are kept exactly (RFC 5322 §3.6 allows fields in any order, and DKIM, RFC 6376 §5.4.2,
/// needs the bytes untouched). Decode through `Message` when needed.
public struct HeaderField: Hashable, Sendable {
    /// The whole field: name, colon, value, folding and the final line ending.
    public var range: Range<Int>
    /// The field name, without the colon and without the obsolete WSP before it (RFC 5322 §4.5.1).
    public var nameRange: Range<Int>
    /// Everything after the colon up to (not including) the final line ending; folding included.
    public var valueRange: Range<Int>

    public init(range: Range<Int>, nameRange: Range<Int>, valueRange: Range<Int>) {
        self.range = range
        self.nameRange = nameRange
        self.valueRange = valueRange
    }
}

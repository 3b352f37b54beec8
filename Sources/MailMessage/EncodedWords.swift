/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header text.
///
/// Beyond the RFC: words glued to other text ("foo=?utf-8?q?bar?=") are decoded too, a space
/// inside a Q word is kept, and adjacent words in one charset are joined *before* charset
/// conversion, so a multibyte character split across two words (a common mailer bug) comes out
/// whole. Whitespace between adjacent encoded words is dropped (RFC 2047 §6.2).
public enum EncodedWords {
    /// Decodes unstructured header text (already unfolded). Bytes outside encoded words are
    /// UTF-8 (RFC 6532) or, when that does not validate, windows-1252.
    public static func decode(_ input: [UInt8]) -> Charset.Decoded {
        guard let first = findStart(input, from: 0) else {
            return decodeRaw(input)
        }
        let lastTerminator = lastTerminator(input)
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var outcome = Charset.Outcome.exact
        var i = 0
        var pendingStart: Int? = first
        // Consecutive encoded words waiting to be charset-converted together.
        var group: [Word] = []

        func flushGroup() {
            guard let cs = group.first?.charset else { return }
            var raw = [UInt8]()
            var k = 0
            while k < group.count {
                if group[k].isBase64 {
                    // Join a run of B words and decode once: tolerates words split mid-quantum.
                    var text = [UInt8]()
                    while k < group.count && group[k].isBase64 {
                        text.append(contentsOf: input[group[k].text])
                        // A line break between words: padding ends only its own word's data.
                        text.append(ASCII.lf)
                        k += 1
                    }
                    raw.append(contentsOf: TransferDecoding.base64(text).bytes)
                } else {
                    raw.append(contentsOf: TransferDecoding.quotedPrintable(input[group[k].text], underscoreIsSpace: true).bytes)
                    k += 1
                }
            }
            let d = Charset.decode(raw, charset: cs)
            out.append(contentsOf: d.text.utf8)
            outcome = worse(outcome, d.outcome)
            group.removeAll(keepingCapacity: true)
        }

        while true {
            guard let start = pendingStart else {
                flushGroup()
                appendRaw(input[i...], to: &out, outcome: &outcome)
                break
            }
            guard let word = parseWord(input, at: start) else {
                // Not an encoded word ("=?" in ordinary text): look further on. With no "?="
                // left at all nothing after can be a word either; stop (keeps this linear).
                pendingStart = start + 2 < lastTerminator ? findStart(input, from: start + 2) : nil
                continue
            }
            let between = input[i..<start]
            let onlySpace = between.allSatisfy(ASCII.isFWS)
            if !group.isEmpty && onlySpace && group[0].charset == word.charset {
                group.append(word)
            } else {
                flushGroup()
                // Whitespace between two encoded words is not text (§6.2); otherwise keep it.
                if !(onlySpace && i > 0 && lastWasWord(i, input)) {
                    appendRaw(between, to: &out, outcome: &outcome)
                }
                group.append(word)
            }
            i = word.end
            pendingStart = findStart(input, from: i)
        }
        return Charset.Decoded(text: String(decoding: out, as: UTF8.self), outcome: outcome)
    }

    struct Word {
        var charset: String
        var isBase64: Bool
        var text: Range<Int>
        var end: Int
    }

    /// Index of the last "?=" in the input, or -1.
    private static func lastTerminator(_ input: [UInt8]) -> Int {
        var k = input.count - 1
        while k > 0 {
            if input[k] == ASCII.equals && input[k - 1] == 63 { return k - 1 }
            k -= 1
        }
        return -1
    }

    // Whether the text before `i` ended with an encoded word ("?=").
    private static func lastWasWord(_ i: Int, _ input: [UInt8]) -> Bool {
        i >= 2 && input[i - 1] == ASCII.equals && input[i - 2] == 63
    }

    private static func decodeRaw(_ input: [UInt8]) -> Charset.Decoded {
        if input.allSatisfy({ $0 < 0x80 }) {
            return Charset.Decoded(text: String(decoding: input, as: UTF8.self), outcome: .exact)
        }
        return Charset.Decoded(text: Charset.fallbackText(input), outcome: .exact)
    }

    private static func appendRaw(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8], outcome: inout Charset.Outcome) {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            out.append(contentsOf: bytes)
        } else {
            out.append(contentsOf: Charset.fallbackText(Array(bytes)).utf8)
        }
    }

    static func worse(_ a: Charset.Outcome, _ b: Charset.Outcome) -> Charset.Outcome {
        switch (a, b) {
        case (.unknownCharset, _): return a
        case (_, .unknownCharset): return b
        case (.repaired, _): return a
        default: return b
        }
    }

    private static func findStart(_ input: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 1 < input.count {
            if input[i] == ASCII.equals && input[i + 1] == 63 { return i }
            i += 1
        }
        return nil
    }

    /// `=?charset[*lang]?E?text?=` at `i`; nil if it is not an encoded word.
    static func parseWord(_ input: [UInt8], at i: Int) -> Word? {
        let n = input.count
        var j = i + 2
        let csStart = j
        // charset = token (RFC 2047 §2): no space, no specials.
        while j < n && input[j] != 63 {
            let b = input[j]
            if b <= 32 || b >= 127 || b == 40 || b == 41 || b == 60 || b == 62 || b == 64 || b == 44
                || b == 59 || b == 58 || b == 34 || b == 47 || b == 91 || b == 93
            {
                return nil
            }
            j += 1
        }
        guard j < n, j > csStart, j + 2 < n, input[j + 2] == 63 else { return nil }
        let enc = input[j + 1] | 0x20
        guard enc == 98 || enc == 113 else { return nil }
        var csEnd = j
        // RFC 2231 §5: charset*language.
        if let star = input[csStart..<j].firstIndex(of: 42) { csEnd = star }
        guard csEnd > csStart else { return nil }
        let textStart = j + 3
        var k = textStart
        while k + 1 < n {
            if input[k] == 63 && input[k + 1] == ASCII.equals { break }
            k += 1
        }
        guard k + 1 < n else { return nil }
        let charset = String(decoding: input[csStart..<csEnd], as: UTF8.self)
        return Word(charset: charset, isBase64: enc == 98, text: textStart..<k, end: k + 2)
    }
}

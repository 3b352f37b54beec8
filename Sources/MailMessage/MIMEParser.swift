/// Builds the MIME tree in one forward pass over the bytes (RFC 2046 §5.1).
///
/// The parser keeps a stack of the boundaries of all open multiparts. A leaf body ends at the
/// first line that is a delimiter of *any* open multipart, so an inner part with a missing close
/// delimiter is ended by its parent's next delimiter (RFC 2046 §5.1.2) and every line is looked
/// at once, however deep the nesting: no quadratic rescans.
struct MIMEParser {
    let p: UnsafeBufferPointer<UInt8>
    let limits: Limits
    var boundaries: [[UInt8]] = []
    var partCount = 0

    init(_ p: UnsafeBufferPointer<UInt8>, limits: Limits) {
        self.p = p
        self.limits = limits
    }

    enum Delimiter {
        case none
        /// `level` indexes `boundaries`; `close` for `--boundary--`.
        case match(level: Int, close: Bool)
    }

    /// Whether the line at `i` is a delimiter of an open multipart, innermost first.
    func delimiter(at i: Int) -> Delimiter {
        let end = p.count
        guard i + 2 <= end, p[i] == ASCII.dash, p[i + 1] == ASCII.dash, !boundaries.isEmpty else { return .none }
        var level = boundaries.count - 1
        while level >= 0 {
            let b = boundaries[level]
            let bEnd = i + 2 + b.count
            // The last byte first: lines that share a prefix with a boundary fail fast.
            if bEnd <= end && p[bEnd - 1] == b[b.count - 1] && matches(b, at: i + 2) {
                var j = bEnd
                if j + 1 < end && p[j] == ASCII.dash && p[j + 1] == ASCII.dash {
                    // RFC 2046 §5.1.1: close-delimiter; whatever follows on the line is ignored.
                    return .match(level: level, close: true)
                }
                // Only transport padding (LWSP) may follow a delimiter (RFC 2046 §5.1.1).
                while j < end && ASCII.isWSP(p[j]) { j += 1 }
                if j >= end || p[j] == ASCII.lf || (p[j] == ASCII.cr && (j + 1 >= end || p[j + 1] == ASCII.lf)) {
                    return .match(level: level, close: false)
                }
            }
            level -= 1
        }
        return .none
    }

    @inline(__always)
    private func matches(_ b: [UInt8], at i: Int) -> Bool {
        var k = 0
        let n = b.count
        while k < n {
            if p[i + k] != b[k] { return false }
            k += 1
        }
        return true
    }

    /// The index after the line starting at `i`.
    @inline(__always)
    func nextLine(_ i: Int) -> Int {
        let lf = p.indexOfLF(from: i, end: p.count)
        return lf < p.count ? lf + 1 : p.count
    }

    /// End of content before the line start `i`: the CRLF (or LF) before a delimiter belongs
    /// to the delimiter (RFC 2046 §5.1.1), not to the body.
    @inline(__always)
    func contentEnd(before i: Int, notBefore start: Int) -> Int {
        guard i > start else { return start }
        var e = i
        if p[e - 1] == ASCII.lf {
            e -= 1
            if e > start && p[e - 1] == ASCII.cr { e -= 1 }
        }
        return e
    }

    /// Scans a body with no further structure from `start` to the next delimiter line of any
    /// open multipart. Returns the body end and where the delimiter line starts (or the end).
    func scanToDelimiter(from start: Int) -> (bodyEnd: Int, next: Int) {
        let end = p.count
        guard !boundaries.isEmpty else { return (end, end) }
        var i = start
        while i < end {
            if p[i] == ASCII.dash, case .match = delimiter(at: i) {
                return (contentEnd(before: i, notBefore: start), i)
            }
            i = nextLine(i)
        }
        return (end, end)
    }

    /// Parses the part whose header starts at `start`. Returns it and where parsing stopped:
    /// the start of a delimiter line of an enclosing multipart, or the end of the input.
    mutating func parsePart(at start: Int, depth: Int, inDigest: Bool) -> (MessagePart, Int) {
        let header = HeaderParser.parse(p, from: start, end: p.count, limits: limits) { i in
            if case .match = self.delimiter(at: i) { return true }
            return false
        }
        var part = MessagePart(
            headerRange: header.headerRange,
            bodyRange: header.bodyStart..<header.bodyStart,
            headerLineCount: header.lineCount,
            fields: header.fields,
            contentType: inDigest ? .messageRFC822Default : .textPlainDefault,
            hasContentTypeField: false,
            transferEncoding: .sevenBit,
            disposition: nil,
            contentID: nil,
            contentDescription: nil,
            contentLanguage: [],
            contentLocation: nil,
            body: .single,
            defects: header.defects
        )
        interpretContentFields(&part)
        if header.stoppedAtBoundary {
            // The line ending before the delimiter belongs to it (RFC 2046 §5.1.1).
            let e = contentEnd(before: header.bodyStart, notBefore: start)
            part.headerRange = start..<e
            part.bodyRange = e..<e
            if let k = part.fields.indices.last, part.fields[k].range.upperBound > e {
                part.fields[k].range = part.fields[k].range.lowerBound..<e
            }
            return (part, header.bodyStart)
        }
        let bodyStart = header.bodyStart
        var next: Int
        let type = part.contentType
        if type.isMultipart {
            if depth >= limits.maxDepth {
                part.defects.append(.nestingTooDeep)
                (part.bodyRange, next) = leafBody(from: bodyStart)
            } else if let boundary = type.boundary, !boundary.isEmpty {
                next = parseMultipart(&part, boundary: boundary, bodyStart: bodyStart, depth: depth)
            } else {
                part.defects.append(.multipartWithoutBoundary)
                (part.bodyRange, next) = leafBody(from: bodyStart)
            }
        } else if type.isEncapsulatedMessage {
            if depth >= limits.maxDepth {
                part.defects.append(.nestingTooDeep)
                (part.bodyRange, next) = leafBody(from: bodyStart)
            } else if !part.transferEncoding.isIdentity {
                part.defects.append(.encodedMessagePart)
                (part.bodyRange, next) = leafBody(from: bodyStart)
            } else {
                partCount += 1
                let (inner, stop) = parsePart(at: bodyStart, depth: depth + 1, inDigest: false)
                part.bodyRange = bodyStart..<max(bodyStart, inner.bodyRange.upperBound)
                part.body = .message(inner)
                next = stop
            }
        } else {
            (part.bodyRange, next) = leafBody(from: bodyStart)
        }
        return (part, next)
    }

    private func leafBody(from start: Int) -> (Range<Int>, Int) {
        let (bodyEnd, next) = scanToDelimiter(from: start)
        return (start..<bodyEnd, next)
    }

    /// RFC 2046 §5.1.1 multipart body: preamble, parts between delimiters, close delimiter,
    /// epilogue. Missing pieces are tolerated; the result is the position parsing stopped at.
    private mutating func parseMultipart(_ part: inout MessagePart, boundary: String, bodyStart: Int, depth: Int) -> Int {
        let end = p.count
        let bBytes = Array(boundary.utf8.prefix(limits.maxBoundaryLength))
        boundaries.append(bBytes)
        let own = boundaries.count - 1
        let isDigest = part.contentType.subtype == "digest"
        var m = MessagePart.Multipart(boundary: boundary, preamble: bodyStart..<bodyStart, parts: [], epilogue: end..<end, closed: false)

        // Preamble: up to the first delimiter of any open multipart.
        var i = bodyStart
        var found = Delimiter.none
        while i < end {
            if p[i] == ASCII.dash {
                found = delimiter(at: i)
                if case .match = found { break }
            }
            i = nextLine(i)
        }
        m.preamble = bodyStart..<contentEnd(before: i, notBefore: bodyStart)
        var stop = i
        var partsEnd = i
        switch found {
        case .none:
            part.defects.append(.noBoundaryFound)
            m.preamble = bodyStart..<end
            partsEnd = end
            stop = end
        case .match(let level, let close) where level == own && !close:
            // Parts follow; each stops at the start of a delimiter line.
            var pos = nextLine(i)
            while true {
                if pos >= end {
                    part.defects.append(.missingCloseDelimiter)
                    stop = end
                    partsEnd = end
                    break
                }
                if partCount >= limits.maxParts {
                    part.defects.append(.tooManyParts)
                    // Keep the rest unsplit: skip to our close delimiter or an outer one.
                    var j = pos
                    var outcome = Delimiter.none
                    while j < end {
                        if p[j] == ASCII.dash, case .match(let lv, let cl) = delimiter(at: j), lv < own || cl {
                            outcome = .match(level: lv, close: cl)
                            break
                        }
                        j = nextLine(j)
                    }
                    // The unsplit rest stays inside this multipart's body range, in no part.
                    m.epilogue = pos..<contentEnd(before: j, notBefore: pos)
                    partsEnd = j < end ? contentEnd(before: j, notBefore: pos) : end
                    if case .match(let lv, _) = outcome, lv == own {
                        return finishClosed(&part, &m, closeLine: j, bodyStart: bodyStart)
                    }
                    stop = j
                    break
                }
                partCount += 1
                let (child, childStop) = parsePart(at: pos, depth: depth + 1, inDigest: isDigest)
                m.parts.append(child)
                let d = childStop < end ? delimiter(at: childStop) : .none
                guard case .match(let level, let close) = d else {
                    part.defects.append(.missingCloseDelimiter)
                    stop = end
                    partsEnd = end
                    break
                }
                if level == own && !close {
                    pos = nextLine(childStop)
                    continue
                }
                if level == own && close {
                    return finishClosed(&part, &m, closeLine: childStop, bodyStart: bodyStart)
                }
                // An enclosing multipart's delimiter: ours never closed (RFC 2046 §5.1.2).
                part.defects.append(.missingCloseDelimiter)
                stop = childStop
                // A part with an empty body may reach the delimiter line itself (its empty
                // header line is the line ending before the delimiter); keep it inside.
                partsEnd = max(contentEnd(before: childStop, notBefore: bodyStart), child.bodyRange.upperBound)
                break
            }
        case .match(let level, _) where level == own:
            // A close delimiter before any part: an empty multipart.
            return finishClosed(&part, &m, closeLine: i, bodyStart: bodyStart)
        case .match:
            // An enclosing delimiter before any of ours.
            part.defects.append(.noBoundaryFound)
            partsEnd = contentEnd(before: i, notBefore: bodyStart)
            stop = i
        }
        boundaries.removeLast()
        if m.epilogue.lowerBound >= end || m.epilogue.lowerBound > partsEnd { m.epilogue = partsEnd..<partsEnd }
        part.body = .multipart(m)
        part.bodyRange = bodyStart..<max(bodyStart, partsEnd)
        return stop
    }

    /// After the close delimiter at `closeLine`: the epilogue runs to an enclosing delimiter or
    /// the end. With no epilogue, the line ending after the close delimiter is the one that
    /// belongs to the enclosing delimiter (RFC 2046 §5.1.1), so the body stops before it.
    private mutating func finishClosed(_ part: inout MessagePart, _ m: inout MessagePart.Multipart, closeLine: Int, bodyStart: Int) -> Int {
        m.closed = true
        let after = nextLine(closeLine)
        boundaries.removeLast()
        let (epiEnd, next) = scanToDelimiter(from: after)
        var end = epiEnd
        if epiEnd == after && next == after && next < p.count {
            end = max(closeLine, contentEnd(before: next, notBefore: closeLine))
        }
        m.epilogue = min(after, end)..<end
        part.body = .multipart(m)
        part.bodyRange = bodyStart..<end
        return next
    }

    /// Reads the MIME fields of a part (RFC 2045 §3, RFC 2183, RFC 3282, RFC 2557); the first
    /// occurrence of each wins (RFC 2045 gives no meaning to repeats).
    private func interpretContentFields(_ part: inout MessagePart) {
        var sawType = false, sawCTE = false
        for f in part.fields {
            let name = f.nameRange
            let len = name.count
            // Every field of interest is "content-*" (8+ bytes starting with c/C).
            guard len >= 10, ASCII.lower(p[name.lowerBound]) == 99 else { continue }
            switch len {
            case 12 where !sawType && p.equalsLowercase(name, "content-type"):
                sawType = true
                if let ct = ContentType.parse(unfold(p, f.valueRange)) {
                    part.contentType = ct
                    part.hasContentTypeField = true
                } else {
                    part.defects.append(.invalidContentType)
                }
            case 25 where !sawCTE && p.equalsLowercase(name, "content-transfer-encoding"):
                sawCTE = true
                part.transferEncoding = TransferEncoding.parse(unfold(p, f.valueRange))
            case 19 where part.disposition == nil && p.equalsLowercase(name, "content-disposition"):
                part.disposition = ContentDisposition.parse(unfold(p, f.valueRange))
            case 10 where part.contentID == nil && p.equalsLowercase(name, "content-id"):
                part.contentID = MessageID.parseOne(unfold(p, f.valueRange))
            case 19 where part.contentDescription == nil && p.equalsLowercase(name, "content-description"):
                part.contentDescription = EncodedWords.decode(unfold(p, f.valueRange)).text
            case 16 where part.contentLanguage.isEmpty && p.equalsLowercase(name, "content-language"):
                part.contentLanguage = Self.languageTags(unfold(p, f.valueRange))
            case 16 where part.contentLocation == nil && p.equalsLowercase(name, "content-location"):
                // RFC 2557 §4.2: folding inside the URI is removed along with the whitespace.
                let v = unfold(p, f.valueRange).filter { !ASCII.isWSP($0) }
                part.contentLocation = String(decoding: v, as: UTF8.self)
            default:
                break
            }
        }
    }

    /// RFC 3282 §2: `Content-Language: en, de-CH` (comments allowed).
    static func languageTags(_ v: [UInt8]) -> [String] {
        var tags: [String] = []
        var i = 0
        while i < v.count {
            i = ParameterParser.skipCFWS(v, i)
            let s = i
            while i < v.count && v[i] != 44 && !ASCII.isFWS(v[i]) && v[i] != 40 { i += 1 }
            if i > s { tags.append(String(decoding: v[s..<i], as: UTF8.self)) }
            i = ParameterParser.skipCFWS(v, i)
            if i < v.count && v[i] == 44 { i += 1 } else if i < v.count && v[i] != 40 { i += 1 }
        }
        return tags
    }
}

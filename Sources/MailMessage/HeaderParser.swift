/// Splits a header block into fields (RFC 5322 §2.2, §3.6), tolerating the obsolete syntax
/// (RFC 5322 §4.5: WSP before the colon, empty continuation lines) and bare-LF line endings.
struct HeaderParser {
    struct Result {
        var fields: [HeaderField] = []
        /// The header block including the empty separator line when present.
        var headerRange: Range<Int>
        /// Where the body starts (after the empty line), or where the header stopped.
        var bodyStart: Int
        var lineCount: Int = 0
        /// The header was cut short by a boundary delimiter line of an enclosing multipart.
        var stoppedAtBoundary = false
        var defects: [Defect] = []
    }

    /// Parses the header starting at `start`. `isDelimiter` is asked about lines that start
    /// with "--" so that a truncated part's header cannot swallow the next part.
    static func parse(
        _ p: UnsafeBufferPointer<UInt8>,
        from start: Int,
        end: Int,
        limits: Limits,
        isDelimiter: (Int) -> Bool
    ) -> Result {
        var r = Result(headerRange: start..<start, bodyStart: start)
        // Typical mail has 10–40 fields: one allocation instead of six doublings.
        r.fields.reserveCapacity(32)
        var i = start
        var sawLongLine = false
        var droppedFields = false
        // RFC 4155 mbox "From " line at the very top: not a header field, skip it.
        if start + 5 <= end && p[start] == 70 && p[start + 1] == 114 && p[start + 2] == 111
            && p[start + 3] == 109 && p[start + 4] == ASCII.space
        {
            let lf = p.indexOfLF(from: start, end: end)
            i = lf < end ? lf + 1 : end
            r.lineCount += 1
        }
        // Whether the previous line belongs to a field we are keeping (for continuation lines).
        var inField = false
        while true {
            if i >= end {
                // RFC 5322 §2.1: the body is separated by an empty line; here there was none.
                if i > start { r.defects.append(.missingHeaderBodySeparator) }
                r.headerRange = start..<end
                r.bodyStart = end
                break
            }
            let lf = p.indexOfLF(from: i, end: end)
            let next = lf < end ? lf + 1 : end
            var contentEnd = lf
            if contentEnd > i && p[contentEnd - 1] == ASCII.cr { contentEnd -= 1 }
            let first = p[i]
            if contentEnd == i {
                // The empty line ends the header (RFC 5322 §2.1).
                r.lineCount += 1
                r.headerRange = start..<next
                r.bodyStart = next
                break
            }
            if contentEnd - i > LineLength.maximum && !sawLongLine {
                sawLongLine = true
                r.defects.append(.headerLineTooLong(offset: i))
            }
            if ASCII.isWSP(first) {
                // A continuation line (folding, RFC 5322 §2.2.3). Before any field it is junk
                // that mail programs ignore; keep it inside the header block.
                if inField {
                    let k = r.fields.count - 1
                    r.fields[k].range = r.fields[k].range.lowerBound..<next
                    r.fields[k].valueRange = r.fields[k].valueRange.lowerBound..<contentEnd
                }
                r.lineCount += 1
                i = next
                continue
            }
            if first == ASCII.dash && i + 1 < contentEnd && p[i + 1] == ASCII.dash && isDelimiter(i) {
                r.headerRange = start..<i
                r.bodyStart = i
                r.stoppedAtBoundary = true
                break
            }
            // field-name ":" ; field-name is printable ASCII but ':'; obs: WSP before ':'.
            var colon = i
            while colon < contentEnd {
                let b = p[colon]
                if b == ASCII.colon || b <= 32 || b == 127 { break }
                colon += 1
            }
            let nameEnd = colon
            while colon < contentEnd && ASCII.isWSP(p[colon]) { colon += 1 }
            if colon >= contentEnd || p[colon] != ASCII.colon || nameEnd == i {
                r.defects.append(.headerLineWithoutColon(offset: i))
                // Not a header line (RFC 5322 §2.2). If header fields go on right after it, it is
                // a broken fold (a long line wrapped without WSP, MimeKit issue 358) or junk
                // between fields: keep it in the header, appended to the field before. Otherwise
                // it is the first line of a body whose empty separator line is missing, as
                // Python's email reads it.
                if next < end && (ASCII.isWSP(p[next]) || isFieldLine(p, next, end)) {
                    if inField {
                        let k = r.fields.count - 1
                        r.fields[k].range = r.fields[k].range.lowerBound..<next
                        r.fields[k].valueRange = r.fields[k].valueRange.lowerBound..<contentEnd
                    }
                    r.lineCount += 1
                    i = next
                    continue
                }
                r.headerRange = start..<i
                r.bodyStart = i
                break
            }
            r.lineCount += 1
            if r.fields.count < limits.maxHeaderFields {
                r.fields.append(HeaderField(range: i..<next, nameRange: i..<nameEnd, valueRange: (colon + 1)..<contentEnd))
                inField = true
            } else {
                if !droppedFields { r.defects.append(.tooManyHeaderFields) }
                droppedFields = true
                inField = false
            }
            i = next
        }
        return r
    }

    /// Whether the line at `i` starts with `field-name ":"` (RFC 5322 §3.6.8 ftext, obs WSP).
    static func isFieldLine(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Bool {
        var j = i
        while j < end {
            let b = p[j]
            if b == ASCII.colon { return j > i }
            if b <= 32 || b >= 127 { break }
            j += 1
        }
        while j < end && ASCII.isWSP(p[j]) { j += 1 }
        return j > i && j < end && p[j] == ASCII.colon
    }
}

/// A compact binary form of a message's ENVELOPE and BODYSTRUCTURE, for projections to store
/// so FETCH does not re-parse the message.
///
/// Layout (all integers unsigned LEB128 varints):
///
///     version (1 byte, `CachedViews.version`)
///     envelope
///     body
///
///     bytes?     = 0 (NIL) / n+1, then n bytes
///     bytes      = n, then n bytes
///     addresses? = 0 (NIL) / n+1, then n × (name? adl? mailbox? host?)
///     envelope   = date? subject? from sender replyTo to cc bcc (addresses?) inReplyTo? messageID?
///     params     = n, then n × (name value)
///     dsp?       = 0 (NIL) / 1, type params
///     langs      = n, then n × bytes
///     body       = 1 single: type subtype params id? desc? encoding octets
///                              kind (0 basic / 1 text lines / 2 message envelope body lines)
///                              md5? dsp? langs location?
///                / 2 multipart: n, n × body, subtype params dsp? langs location?
///
/// Decoding is bounded: every length is checked against the bytes left, nesting is limited to
/// `maxDepth`, and anything malformed (or left over) is a `CachedViewsError`, never a crash.
public enum CachedViews {
    public static let version: UInt8 = 1
    /// Body nesting accepted when decoding. Part 1 stops structuring at 50 levels, and
    /// message/rfc822 adds one level per message, so 128 is out of reach of real data.
    public static let maxDepth = 128

    /// Written in one pass into 1 KiB of stack memory, which holds most messages' cached form
    /// (≈ 400 bytes on average), then copied into an array of its size. A larger one is done in
    /// two passes: one adds up the size, the other writes into memory of exactly that size.
    /// Both go through a pointer (no per-byte capacity checks); same bytes as `CacheWriter`.
    public static func encode(envelope: Envelope, body: BodyStructure) -> [UInt8] {
        // `Array(buffer)` allocates through code specialized here, while
        // `Array(unsafeUninitializedCapacity:)` takes the standard library's generic path
        // (≈ 330 instructions more, about 6 % of an encode).
        let small: [UInt8]? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buf in
            var f = CacheFiller(p: buf.baseAddress!, end: buf.baseAddress! + buf.count)
            f.byte(version)
            f.envelope(envelope)
            f.body(body)
            return f.overflowed ? nil : Array(UnsafeBufferPointer(start: buf.baseAddress!, count: f.p - buf.baseAddress!))
        }
        if let small { return small }
        var s = CacheSizer()
        s.byte(version)
        s.envelope(envelope)
        s.body(body)
        let size = s.n
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { buf in
            var f = CacheFiller(p: buf.baseAddress!, end: buf.baseAddress! + size)
            f.byte(version)
            f.envelope(envelope)
            f.body(body)
            precondition(!f.overflowed && f.p == f.end, "cached views size pass and write pass disagree")
            return Array(UnsafeBufferPointer(buf))
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(CachedViewsError) -> (envelope: Envelope, body: BodyStructure) {
        try bytes.withUnsafeBufferPointer { (p) throws(CachedViewsError) -> (Envelope, BodyStructure) in
            var r = CacheReader(p: p)
            let v = try r.byte()
            guard v == version else { throw CachedViewsError("unknown version \(v)", at: 0) }
            let e = try r.envelope()
            let b = try r.body(depth: 0)
            guard r.i == p.count else { throw CachedViewsError("bytes after the end", at: r.i) }
            return (e, b)
        }
    }
}

/// A cached form that does not decode; the caller rebuilds the views from the message.
public struct CachedViewsError: Error, Hashable, Sendable {
    public var hint: String
    public var offset: Int

    public init(_ hint: String, at offset: Int) {
        self.hint = hint
        self.offset = offset
    }
}

/// Where the cached form is written: the traversal below is shared by the size pass
/// (`CacheSizer`), the pointer write pass (`CacheFiller`) and the plain writer (`CacheWriter`).
protocol CacheSink {
    mutating func byte(_ b: UInt8)
    mutating func varint(_ n: Int)
    mutating func bytes(_ b: [UInt8])
    mutating func optional(_ b: [UInt8]?)
}

struct CacheWriter: CacheSink {
    var out: [UInt8] = []

    @inline(__always)
    mutating func byte(_ b: UInt8) { out.append(b) }

    @inline(__always)
    mutating func varint(_ n: Int) {
        var v = UInt64(n)
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    @inline(__always)
    mutating func bytes(_ b: [UInt8]) {
        varint(b.count)
        out.append(contentsOf: b)
    }

    @inline(__always)
    mutating func optional(_ b: [UInt8]?) {
        guard let b else { return out.append(0) }
        varint(b.count + 1)
        out.append(contentsOf: b)
    }
}

/// The size pass of `CachedViews.encode`.
struct CacheSizer: CacheSink {
    var n = 0

    @inline(__always)
    static func varintSize(_ v: Int) -> Int {
        let bits = UInt64.bitWidth - UInt64(v).leadingZeroBitCount
        return bits <= 7 ? 1 : (bits + 6) / 7
    }

    @inline(__always) mutating func byte(_ b: UInt8) { n &+= 1 }
    @inline(__always) mutating func varint(_ v: Int) { n &+= Self.varintSize(v) }
    @inline(__always) mutating func bytes(_ b: [UInt8]) { n &+= Self.varintSize(b.count) &+ b.count }
    @inline(__always)
    mutating func optional(_ b: [UInt8]?) {
        guard let b else { n &+= 1; return }
        n &+= Self.varintSize(b.count + 1) &+ b.count
    }
}

/// The write pass of `CachedViews.encode`, into memory of a size fixed beforehand. Nothing is
/// written past `end`: a write that does not fit sets `overflowed`, and so do all after it.
struct CacheFiller: CacheSink {
    var p: UnsafeMutablePointer<UInt8>
    let end: UnsafeMutablePointer<UInt8>
    var overflowed = false

    init(p: UnsafeMutablePointer<UInt8>, end: UnsafeMutablePointer<UInt8>) {
        self.p = p
        self.end = end
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        guard p < end else { overflowed = true; return }
        p.pointee = b
        p += 1
    }

    @inline(__always)
    mutating func varint(_ n: Int) {
        var v = UInt64(n)
        guard end - p >= CacheSizer.varintSize(n) else { overflowed = true; return }
        while v >= 0x80 {
            p.pointee = UInt8(truncatingIfNeeded: v) | 0x80
            p += 1
            v >>= 7
        }
        p.pointee = UInt8(v)
        p += 1
    }

    @inline(__always)
    mutating func copy(_ b: [UInt8]) {
        let c = b.count
        guard c > 0 else { return }
        guard end - p >= c else { overflowed = true; return }
        b.withUnsafeBufferPointer { smallCopy(p, $0.baseAddress!, c) }
        p += c
    }

    /// `update(from:count:)` without a `memcpy` call for the short strings most are: two
    /// overlapping loads and stores of 8 (or 4) bytes, never outside either range.
    @inline(__always)
    func smallCopy(_ to: UnsafeMutablePointer<UInt8>, _ from: UnsafePointer<UInt8>, _ n: Int) {
        let d = UnsafeMutableRawPointer(to), s = UnsafeRawPointer(from)
        if n >= 8 && n <= 16 {
            let a = s.loadUnaligned(as: UInt64.self), z = s.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            d.storeBytes(of: a, as: UInt64.self)
            d.storeBytes(of: z, toByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 && n < 8 {
            let a = s.loadUnaligned(as: UInt32.self), z = s.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
            d.storeBytes(of: a, as: UInt32.self)
            d.storeBytes(of: z, toByteOffset: n - 4, as: UInt32.self)
        } else if n < 4 {
            for k in 0..<n { to[k] = from[k] }
        } else {
            to.update(from: from, count: n)
        }
    }

    @inline(__always)
    mutating func bytes(_ b: [UInt8]) {
        varint(b.count)
        copy(b)
    }

    @inline(__always)
    mutating func optional(_ b: [UInt8]?) {
        guard let b else { return byte(0) }
        varint(b.count + 1)
        copy(b)
    }
}

extension CacheSink {
    mutating func addresses(_ list: [EnvelopeAddress]?) {
        guard let list else { return byte(0) }
        varint(list.count + 1)
        // By index, not `for a in list`: copying each address out retains its four arrays.
        for k in list.indices {
            optional(list[k].name)
            optional(list[k].adl)
            optional(list[k].mailbox)
            optional(list[k].host)
        }
    }

    mutating func envelope(_ e: Envelope) {
        optional(e.date)
        optional(e.subject)
        addresses(e.from)
        addresses(e.sender)
        addresses(e.replyTo)
        addresses(e.to)
        addresses(e.cc)
        addresses(e.bcc)
        optional(e.inReplyTo)
        optional(e.messageID)
    }

    mutating func params(_ ps: [BodyParameter]) {
        varint(ps.count)
        for k in ps.indices {
            bytes(ps[k].name)
            bytes(ps[k].value)
        }
    }

    mutating func disposition(_ d: BodyDisposition?) {
        guard let d else { return byte(0) }
        byte(1)
        bytes(d.type)
        params(d.parameters)
    }

    mutating func languages(_ l: [[UInt8]]) {
        varint(l.count)
        for t in l { bytes(t) }
    }

    mutating func body(_ b: BodyStructure) {
        switch b {
        case .single(let s):
            byte(1)
            bytes(s.type)
            bytes(s.subtype)
            params(s.parameters)
            optional(s.id)
            optional(s.description)
            bytes(s.encoding)
            varint(s.octets)
            switch s.kind {
            case .basic:
                byte(0)
            case .text(let lines):
                byte(1)
                varint(lines)
            case .message(let env, let inner, let lines):
                byte(2)
                envelope(env)
                body(inner)
                varint(lines)
            }
            optional(s.md5)
            disposition(s.disposition)
            languages(s.language)
            optional(s.location)
        case .multipart(let m):
            byte(2)
            varint(m.parts.count)
            for k in m.parts.indices { body(m.parts[k]) }
            bytes(m.subtype)
            params(m.parameters)
            disposition(m.disposition)
            languages(m.language)
            optional(m.location)
        }
    }
}

struct CacheReader {
    let p: UnsafeBufferPointer<UInt8>
    var i = 0

    @inline(__always)
    mutating func byte() throws(CachedViewsError) -> UInt8 {
        guard i < p.count else { throw CachedViewsError("truncated", at: i) }
        let b = p[i]
        i += 1
        return b
    }

    /// Most numbers and lengths are below 128: one byte, always in shortest form and in range.
    @inline(__always)
    mutating func varint() throws(CachedViewsError) -> Int {
        if i < p.count {
            let b = p[i]
            if b < 0x80 {
                i += 1
                return Int(b)
            }
        }
        return try longVarint()
    }

    @inline(never)
    mutating func longVarint() throws(CachedViewsError) -> Int {
        let start = i
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 {
                // Only the shortest form is valid, so every value has one encoding.
                guard b != 0 || shift == 0 else { throw CachedViewsError("varint not in shortest form", at: start) }
                break
            }
            shift += 7
            guard shift < 63 else { throw CachedViewsError("varint too long", at: start) }
        }
        guard v <= UInt64(Int32.max) else { throw CachedViewsError("number out of range", at: start) }
        return Int(v)
    }

    @inline(__always)
    mutating func take(_ n: Int) throws(CachedViewsError) -> [UInt8] {
        guard n >= 0, n <= p.count - i else { throw CachedViewsError("length past the end", at: i) }
        if n == 0 { return [] }
        // One copy, allocated through specialized code (see `encode`).
        let out = Array(UnsafeBufferPointer(rebasing: p[i..<(i + n)]))
        i += n
        return out
    }

    @inline(__always)
    mutating func bytes() throws(CachedViewsError) -> [UInt8] {
        try take(try varint())
    }

    @inline(__always)
    mutating func optional() throws(CachedViewsError) -> [UInt8]? {
        let n = try varint()
        if n == 0 { return nil }
        return try take(n - 1)
    }

    /// A count of items that each take at least `minSize` bytes.
    @inline(__always)
    mutating func count(minSize: Int) throws(CachedViewsError) -> Int {
        let at = i
        let n = try varint()
        guard n <= (p.count - i) / minSize else { throw CachedViewsError("count past the end", at: at) }
        return n
    }

    mutating func addresses() throws(CachedViewsError) -> [EnvelopeAddress]? {
        let at = i
        let n = try varint()
        if n == 0 { return nil }
        guard n - 1 <= (p.count - i) / 4 else { throw CachedViewsError("count past the end", at: at) }
        var list: [EnvelopeAddress] = []
        list.reserveCapacity(n - 1)
        for _ in 0..<(n - 1) {
            let name = try optional()
            let adl = try optional()
            let mailbox = try optional()
            let host = try optional()
            list.append(EnvelopeAddress(name: name, adl: adl, mailbox: mailbox, host: host))
        }
        return list
    }

    mutating func envelope() throws(CachedViewsError) -> Envelope {
        var e = Envelope()
        e.date = try optional()
        e.subject = try optional()
        e.from = try addresses()
        e.sender = try addresses()
        e.replyTo = try addresses()
        e.to = try addresses()
        e.cc = try addresses()
        e.bcc = try addresses()
        e.inReplyTo = try optional()
        e.messageID = try optional()
        return e
    }

    mutating func params() throws(CachedViewsError) -> [BodyParameter] {
        let n = try count(minSize: 2)
        var ps: [BodyParameter] = []
        ps.reserveCapacity(n)
        for _ in 0..<n {
            let name = try bytes()
            let value = try bytes()
            ps.append(BodyParameter(name: name, value: value))
        }
        return ps
    }

    mutating func disposition() throws(CachedViewsError) -> BodyDisposition? {
        let at = i
        switch try byte() {
        case 0: return nil
        case 1:
            let type = try bytes()
            return BodyDisposition(type: type, parameters: try params())
        default: throw CachedViewsError("bad disposition tag", at: at)
        }
    }

    mutating func languages() throws(CachedViewsError) -> [[UInt8]] {
        let n = try count(minSize: 1)
        var out: [[UInt8]] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try bytes()) }
        return out
    }

    mutating func body(depth: Int) throws(CachedViewsError) -> BodyStructure {
        let at = i
        guard depth < CachedViews.maxDepth else { throw CachedViewsError("nesting too deep", at: at) }
        switch try byte() {
        case 1:
            let type = try bytes()
            let subtype = try bytes()
            let parameters = try params()
            let id = try optional()
            let description = try optional()
            let encoding = try bytes()
            let octets = try varint()
            let kindAt = i
            let kind: BodyStructure.Kind
            switch try byte() {
            case 0: kind = .basic
            case 1: kind = .text(lines: try varint())
            case 2:
                let env = try envelope()
                let inner = try body(depth: depth + 1)
                kind = .message(envelope: env, body: inner, lines: try varint())
            default: throw CachedViewsError("bad body kind", at: kindAt)
            }
            let md5 = try optional()
            let dsp = try disposition()
            let lang = try languages()
            let location = try optional()
            return .single(BodyStructure.SinglePart(
                type: type, subtype: subtype, parameters: parameters, id: id, description: description,
                encoding: encoding, octets: octets, kind: kind, md5: md5, disposition: dsp,
                language: lang, location: location))
        case 2:
            let n = try count(minSize: 1)
            guard n > 0 else { throw CachedViewsError("multipart without parts", at: at) }
            var parts: [BodyStructure] = []
            parts.reserveCapacity(n)
            for _ in 0..<n { parts.append(try body(depth: depth + 1)) }
            let subtype = try bytes()
            let parameters = try params()
            let dsp = try disposition()
            let lang = try languages()
            let location = try optional()
            return .multipart(BodyStructure.MultipartPart(
                parts: parts, subtype: subtype, parameters: parameters, disposition: dsp,
                language: lang, location: location))
        default:
            throw CachedViewsError("bad body tag", at: at)
        }
    }
}

extension CachedViews {
    /// Writes ENVELOPE and/or BODYSTRUCTURE (or BODY) in wire form straight from the cached
    /// bytes, without building the typed views: what a FETCH answered from the projection does.
    /// The bytes are checked as they are read, with the same bounds as `decode`; on an error
    /// nothing is appended to `w`.
    ///
    /// The wire form is written through a pointer into room made at the end of `w.bytes` (a
    /// copy of zeros: no allocation when `w` has the capacity), then cut to what was written.
    public static func write(
        _ bytes: [UInt8], envelope: Bool, body: Bool, extensions: Bool = true, into w: inout IMAPWriter
    ) throws(CachedViewsError) {
        // Most wire forms are under 1.5 × the cached bytes: room for 2 × + 64 is made first
        // (copying zeros is most of the cost of a small write), and only a write that runs out
        // of it is done again with room for the proven bound.
        do throws(CachedViewsError) {
            try write(bytes, envelope: envelope, body: body, extensions: extensions, into: &w,
                      room: 2 * bytes.count + 64)
        } catch where error.hint == CacheWireFiller.outOfRoom {
            try write(bytes, envelope: envelope, body: body, extensions: extensions, into: &w,
                      room: CacheWireFiller.bound(bytes.count))
        }
    }

    static func write(
        _ bytes: [UInt8], envelope: Bool, body: Bool, extensions: Bool, into w: inout IMAPWriter, room bound: Int
    ) throws(CachedViewsError) {
        let mark = w.bytes.count
        if bound <= zeros.count {
            w.bytes.append(contentsOf: zeros[..<bound])
        } else {
            w.bytes.append(contentsOf: repeatElement(0, count: bound))
        }
        let utf8 = w.utf8Quoted
        let result: Result<Int, CachedViewsError> = bytes.withUnsafeBufferPointer { p in
            w.bytes.withUnsafeMutableBufferPointer { o in
                let start = o.baseAddress! + mark
                var f = CacheWireFiller(p: p, out: start, end: start + bound, utf8Quoted: utf8)
                do throws(CachedViewsError) {
                    let v = try f.r.byte()
                    guard v == version else { throw CachedViewsError("unknown version \(v)", at: 0) }
                    try f.envelope(emit: envelope)
                    if envelope && body { try f.space() }
                    try f.body(depth: 0, emit: body, extensions: extensions)
                    guard f.r.i == p.count else { throw CachedViewsError("bytes after the end", at: f.r.i) }
                } catch {
                    return .failure(error)
                }
                return .success(f.out - start)
            }
        }
        switch result {
        case .success(let used):
            w.bytes.removeLast(bound - used)
        case .failure(let e):
            w.bytes.removeLast(bound)
            throw e
        }
    }

    /// The room `write` makes, copied rather than appended byte by byte (covers cached forms
    /// up to ≈ 10 KiB; larger ones, rare, take the slower append).
    static let zeros = [UInt8](repeating: 0, count: 64 * 1024)
}

/// Reads the cached form and writes its wire form as it goes, through a pointer into room
/// made beforehand (see `CachedViews.write`); same output as `IMAPWriter` on the decoded views.
/// Every write checks the room left: running out (which `bound` rules out) is an error, never a
/// write past the end.
struct CacheWireFiller {
    var r: CacheReader
    var out: UnsafeMutablePointer<UInt8>
    let end: UnsafeMutablePointer<UInt8>
    let utf8Quoted: Bool

    /// The most wire bytes `n` cached bytes can give. Counting each item with the separator
    /// before it: NIL (4) comes from a 1-byte length; a string of k bytes (at most 2k + 3
    /// quoted with every byte escaped, k + 5 + digits(k) as a literal) from k + 1 or more
    /// bytes; a number (digits + 1) from its m-byte varint (7m bits: at most 3m + 1); the
    /// parentheses of a list, disposition or part from its count or tag byte (3). That is 5 per
    /// byte at most, except an address, whose parentheses have no byte of their own: 4 × 5 + 2
    /// from at least 4 bytes, under 6 per byte. An envelope's parentheses (3) have no byte either
    /// but its ten items leave more than that spare under 6 per byte. 64 covers the rest.
    @inline(__always)
    static func bound(_ n: Int) -> Int { 6 * n + 64 }

    /// The error `room` throws when the wire form outgrows the room made for it.
    static let outOfRoom = "wire form larger than its bound"

    init(p: UnsafeBufferPointer<UInt8>, out: UnsafeMutablePointer<UInt8>, end: UnsafeMutablePointer<UInt8>, utf8Quoted: Bool) {
        self.r = CacheReader(p: p)
        self.out = out
        self.end = end
        self.utf8Quoted = utf8Quoted
    }

    @inline(__always)
    func room(_ k: Int) throws(CachedViewsError) {
        guard end - out >= k else { throw CachedViewsError(Self.outOfRoom, at: r.i) }
    }

    @inline(__always)
    mutating func put(_ b: UInt8) throws(CachedViewsError) {
        try room(1)
        out.pointee = b
        out += 1
    }

    @inline(__always) mutating func space() throws(CachedViewsError) { try put(32) }
    @inline(__always) mutating func open() throws(CachedViewsError) { try put(40) }
    @inline(__always) mutating func close() throws(CachedViewsError) { try put(41) }

    @inline(__always)
    mutating func nilValue() throws(CachedViewsError) {
        try room(3)
        out[0] = 78
        out[1] = 73
        out[2] = 76
        out += 3
    }

    /// Decimal digits, as `IMAPWriter.number`.
    @inline(__always)
    mutating func number(_ n: Int) throws(CachedViewsError) {
        precondition(n >= 0, "IMAP numbers are unsigned (RFC 9051 §4.2)")
        if n < 10 { return try put(48 &+ UInt8(n)) }
        var digits = 0
        var v = n
        while v > 0 { v /= 10; digits += 1 }
        try room(digits)
        v = n
        var k = digits - 1
        while k >= 0 {
            out[k] = 48 &+ UInt8(v % 10)
            v /= 10
            k -= 1
        }
        out += digits
    }

    @inline(__always)
    mutating func copy(_ s: UnsafeBufferPointer<UInt8>) throws(CachedViewsError) {
        guard let base = s.baseAddress, s.count > 0 else { return }
        try room(s.count)
        out.update(from: base, count: s.count)
        out += s.count
    }

    mutating func literal(_ s: UnsafeBufferPointer<UInt8>) throws(CachedViewsError) {
        try put(123)
        try number(s.count)
        try room(3)
        out[0] = 125
        out[1] = 13
        out[2] = 10
        out += 3
        try copy(s)
    }

    /// `IMAPWriter.string(_: UnsafeBufferPointer)`, through the pointer. `s` lies inside the
    /// cached bytes, so the bytes before it may be read to test a short string in one load.
    @inline(__always)
    mutating func writeString(_ s: UnsafeBufferPointer<UInt8>) throws(CachedViewsError) {
        let n = s.count
        guard let base = s.baseAddress, n > 0 else {
            try room(2)
            out[0] = 34
            out[1] = 34
            out += 2
            return
        }
        if end - out >= n + 10, plainCopy(base, n) { return }
        switch QuotedForm(s, utf8: utf8Quoted, lead: base - r.p.baseAddress!) {
        case .literal:
            try literal(s)
        case .quoted:
            try room(n + 2)
            out.pointee = 34
            (out + 1).update(from: base, count: n)
            out[n + 1] = 34
            out += n + 2
        case .escaped:
            try room(2 * n + 2)
            out.pointee = 34
            out += 1
            for b in s {
                if b == 34 || b == 92 {
                    out.pointee = 92
                    out += 1
                }
                out.pointee = b
                out += 1
            }
            out.pointee = 34
            out += 1
        }
    }

    /// The quoted form of a string with no byte that needs a look (below 14, `"`, `\\`, 8-bit),
    /// tested and copied in one pass eight bytes at a time, or false (nothing written that
    /// counts) for `QuotedForm` to decide. Needs room for `n + 10`: a word may be written past the
    /// closing quote's place, into room not used yet. A string under 8 bytes is read with the
    /// load ending at its end, as in `QuotedForm`, when that many bytes come before it.
    @inline(__always)
    mutating func plainCopy(_ base: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let src = UnsafeRawPointer(base)
        let dst = UnsafeMutableRawPointer(out + 1)
        var flags: UInt64 = 0
        // One yes/no for the four tests: a flagged byte's high bit, exact as a yes/no as in
        // `QuotedForm` (a borrow only ever flags a byte above one really flagged).
        @inline(__always) func flag(_ w: UInt64) -> UInt64 {
            let q = w ^ (SWAR.ones &* 34), b = w ^ (SWAR.ones &* 92)
            return w | ((w &- SWAR.ones &* 14) & ~w) | ((q &- SWAR.ones) & ~q) | ((b &- SWAR.ones) & ~b)
        }
        if n >= 8 {
            var i = 0
            while i + 8 <= n {
                let w = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                flags |= flag(w)
                dst.storeBytes(of: w, toByteOffset: i, as: UInt64.self)
                i += 8
            }
            if i < n {
                let w = src.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
                flags |= flag(w)
                dst.storeBytes(of: w, toByteOffset: n - 8, as: UInt64.self)
            }
        } else {
            guard base - r.p.baseAddress! >= 8 - n else { return false }
            // Little-endian value: the string in the low n bytes, zeros above, tested as spaces.
            let w = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) >> UInt64((8 - n) * 8)
            flags |= flag(w | (0x2020_2020_2020_2020 << UInt64(n * 8)))
            dst.storeBytes(of: w.littleEndian, as: UInt64.self)
        }
        guard flags & SWAR.highs == 0 else { return false }
        out[0] = 34
        out[n + 1] = 34
        out += n + 2
        return true
    }

    @inline(__always)
    mutating func slice(_ n: Int) throws(CachedViewsError) -> UnsafeBufferPointer<UInt8> {
        guard n >= 0, n <= r.p.count - r.i else { throw CachedViewsError("length past the end", at: r.i) }
        // Not through a slice of `r.p`: its range checks cost more than the rest of `slice`.
        let s = UnsafeBufferPointer(start: r.p.baseAddress! + r.i, count: n)
        r.i += n
        return s
    }

    @inline(__always)
    mutating func string(_ emit: Bool) throws(CachedViewsError) {
        let s = try slice(try r.varint())
        if emit { try writeString(s) }
    }

    @inline(__always)
    mutating func nstring(_ emit: Bool) throws(CachedViewsError) {
        let n = try r.varint()
        if n == 0 {
            if emit { try nilValue() }
            return
        }
        let s = try slice(n - 1)
        if emit { try writeString(s) }
    }

    mutating func addresses(_ emit: Bool) throws(CachedViewsError) {
        let at = r.i
        let n = try r.varint()
        if n == 0 {
            if emit { try nilValue() }
            return
        }
        guard n - 1 <= (r.p.count - r.i) / 4 else { throw CachedViewsError("count past the end", at: at) }
        if emit && n == 1 { try nilValue() }
        if emit && n > 1 { try open() }
        for _ in 0..<(n - 1) {
            if emit { try open() }
            try nstring(emit)
            if emit { try space() }
            try nstring(emit)
            if emit { try space() }
            try nstring(emit)
            if emit { try space() }
            try nstring(emit)
            if emit { try close() }
        }
        if emit && n > 1 { try close() }
    }

    mutating func envelope(emit: Bool) throws(CachedViewsError) {
        if emit { try open() }
        try nstring(emit)
        if emit { try space() }
        try nstring(emit)
        for _ in 0..<6 {
            if emit { try space() }
            try addresses(emit)
        }
        if emit { try space() }
        try nstring(emit)
        if emit { try space() }
        try nstring(emit)
        if emit { try close() }
    }

    mutating func params(_ emit: Bool) throws(CachedViewsError) {
        let n = try r.count(minSize: 2)
        if emit && n == 0 { try nilValue() }
        if emit && n > 0 { try open() }
        for k in 0..<n {
            if emit && k > 0 { try space() }
            try string(emit)
            if emit { try space() }
            try string(emit)
        }
        if emit && n > 0 { try close() }
    }

    mutating func disposition(_ emit: Bool) throws(CachedViewsError) {
        let at = r.i
        switch try r.byte() {
        case 0:
            if emit { try nilValue() }
        case 1:
            if emit { try open() }
            try string(emit)
            if emit { try space() }
            try params(emit)
            if emit { try close() }
        default:
            throw CachedViewsError("bad disposition tag", at: at)
        }
    }

    mutating func languages(_ emit: Bool) throws(CachedViewsError) {
        let n = try r.count(minSize: 1)
        if emit && n == 0 { try nilValue() }
        if emit && n > 0 { try open() }
        for k in 0..<n {
            if emit && k > 0 { try space() }
            try string(emit)
        }
        if emit && n > 0 { try close() }
    }

    mutating func tail(_ emit: Bool, _ ext: Bool, single: Bool) throws(CachedViewsError) {
        let e = emit && ext
        if single {
            if e { try space() }
            try nstring(e)
        } else {
            if e { try space() }
            try params(e)
        }
        if e { try space() }
        try disposition(e)
        if e { try space() }
        try languages(e)
        if e { try space() }
        try nstring(e)
    }

    mutating func body(depth: Int, emit: Bool, extensions ext: Bool) throws(CachedViewsError) {
        let at = r.i
        guard depth < CachedViews.maxDepth else { throw CachedViewsError("nesting too deep", at: at) }
        switch try r.byte() {
        case 1:
            if emit { try open() }
            try string(emit)
            if emit { try space() }
            try string(emit)
            if emit { try space() }
            try params(emit)
            if emit { try space() }
            try nstring(emit)
            if emit { try space() }
            try nstring(emit)
            if emit { try space() }
            try string(emit)
            if emit { try space() }
            let octets = try r.varint()
            if emit { try number(octets) }
            let kindAt = r.i
            switch try r.byte() {
            case 0:
                break
            case 1:
                let lines = try r.varint()
                if emit { try space(); try number(lines) }
            case 2:
                if emit { try space() }
                try envelope(emit: emit)
                if emit { try space() }
                try body(depth: depth + 1, emit: emit, extensions: ext)
                let lines = try r.varint()
                if emit { try space(); try number(lines) }
            default:
                throw CachedViewsError("bad body kind", at: kindAt)
            }
            try tail(emit, ext, single: true)
            if emit { try close() }
        case 2:
            let n = try r.count(minSize: 1)
            guard n > 0 else { throw CachedViewsError("multipart without parts", at: at) }
            if emit { try open() }
            for _ in 0..<n { try body(depth: depth + 1, emit: emit, extensions: ext) }
            if emit { try space() }
            try string(emit)
            try tail(emit, ext, single: false)
            if emit { try close() }
        default:
            throw CachedViewsError("bad body tag", at: at)
        }
    }
}

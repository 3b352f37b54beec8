/// Stack memory for building the views: header values that are only read (address lists,
/// Content-Type, Content-Disposition, Content-Transfer-Encoding) are looked at in place, or
/// unfolded here when folded, so they cost no array; the address lexer's tokens go here; and a
/// string the views keep is assembled here and copied out once, at its final size. Each region
/// is 1 KiB: `withUnsafeTemporaryAllocation` puts that on the stack without asking the runtime
/// about the stack's bounds (larger requests do). Anything larger goes to the heap.
struct ViewScratch {
    let unfolded: UnsafeMutableBufferPointer<UInt8>
    let text: UnsafeMutableBufferPointer<UInt8>
    let tokens: UnsafeMutableBufferPointer<EnvelopeAddressParser.Token>

    static let regionSize = 1024

    static func with<R>(_ body: (ViewScratch) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: regionSize) { u in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: regionSize) { t in
                withUnsafeTemporaryAllocation(
                    of: EnvelopeAddressParser.Token.self,
                    capacity: regionSize / MemoryLayout<EnvelopeAddressParser.Token>.stride
                ) { k in
                    body(ViewScratch(unfolded: u, text: t, tokens: k))
                }
            }
        }
    }

    /// The bytes `unfold(p, range)` returns, without making the array: the value itself when it
    /// is one line (most are), else unfolded into `unfolded` (or the heap when larger). Valid
    /// only inside `body`, and one at a time: a second call reuses the memory.
    @inline(__always)
    func withUnfolded<R>(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let r = trimFWS(p, range)
        guard let base = p.baseAddress, !r.isEmpty else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        if firstLineEnding(base, from: r.lowerBound, to: r.upperBound) == r.upperBound {
            return body(UnsafeBufferPointer(rebasing: p[r]))
        }
        return withUnfoldedRuns(base, r, body)
    }

    @inline(never)
    func withUnfoldedRuns<R>(_ base: UnsafePointer<UInt8>, _ r: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if r.count <= unfolded.count {
            let n = unfoldRuns(base, r, into: unfolded.baseAddress!)
            return body(UnsafeBufferPointer(start: unfolded.baseAddress!, count: n))
        }
        let heap = UnsafeMutablePointer<UInt8>.allocate(capacity: r.count)
        defer { heap.deallocate() }
        let n = unfoldRuns(base, r, into: heap)
        return body(UnsafeBufferPointer(start: heap, count: n))
    }
}

/// A string the views keep, assembled in scratch memory (moving to the heap if it outgrows it)
/// and copied into an array of its size by `finish`, which must be called exactly once (it frees
/// what the builder took from the heap). `Array(UnsafeBufferPointer)` allocates through code
/// specialized here, unlike appending to an empty array, which allocates and then grows.
struct TextBuilder {
    private(set) var p: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    private var owned = false

    init(_ region: UnsafeMutableBufferPointer<UInt8>) {
        p = region.baseAddress!
        capacity = region.count
    }

    var isEmpty: Bool { count == 0 }

    /// Where the next `k` bytes go (written with `commit`).
    @inline(__always)
    mutating func room(_ k: Int) -> UnsafeMutablePointer<UInt8> {
        if count + k > capacity { grow(count + k) }
        return p + count
    }

    @inline(__always)
    mutating func commit(_ k: Int) { count += k }

    @inline(never)
    mutating func grow(_ need: Int) {
        let c = max(2 * capacity, need)
        let q = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        q.initialize(from: p, count: count)
        if owned { p.deallocate() }
        p = q
        capacity = c
        owned = true
    }

    @inline(__always)
    mutating func append(_ b: UInt8) {
        room(1).pointee = b
        count += 1
    }

    @inline(__always)
    mutating func append(_ s: UnsafePointer<UInt8>, _ n: Int) {
        guard n > 0 else { return }
        room(n).update(from: s, count: n)
        count += n
    }

    mutating func finish() -> [UInt8] {
        let out: [UInt8] = count == 0 ? [] : Array(UnsafeBufferPointer(start: p, count: count))
        if owned {
            p.deallocate()
            owned = false
        }
        return out
    }
}

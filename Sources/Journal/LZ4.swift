internal import CLZ4

/// Block compression of record payloads with the system liblz4.
enum LZ4 {
    /// Payloads smaller than this are stored raw: LZ4's framing would cost more than it saves.
    static let worthwhileSize = 96

    /// Compresses `input`; nil when the result would not be smaller.
    static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        guard input.count >= worthwhileSize, input.count <= Int(LZ4_MAX_INPUT_SIZE) else { return nil }
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        var written = 0
        let out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            let n = LZ4_compress_default(
                input.baseAddress!.assumingMemoryBound(to: CChar.self),
                UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(input.count), Int32(bound))
            written = Int(n)
            count = max(0, Int(n))
        }
        guard written > 0, written < input.count else { return nil }
        // Queued records hold their payload until committed: don't keep the worst-case capacity.
        guard out.count * 5 / 4 < bound else { return out }
        return [UInt8](unsafeUninitializedCapacity: out.count) { buffer, count in
            _ = buffer.initialize(from: out)
            count = out.count
        }
    }

    /// Decompresses into `output`, which must be exactly the recorded uncompressed size.
    /// Returns false on malformed input (LZ4's safe decoder never writes out of bounds).
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        if output.count == 0 { return input.count == 0 || input.count == 1 }
        guard let src = input.baseAddress, let dst = output.baseAddress else { return false }
        let n = LZ4_decompress_safe(
            src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
            Int32(input.count), Int32(output.count))
        return Int(n) == output.count
    }
}

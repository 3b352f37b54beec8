/// The on-disk layout of one journal record (docs/journal-format.md, "Records").
///
/// Every record starts at an 8-byte aligned offset so its length field is never torn:
///
///     0  u32  stored payload length (bytes on disk, before padding)
///     4  u32  CRC32C of bytes 8 ..< 32 + stored length
///     8  u64  sequence number (first record is 1; gap-free)
///    16  i64  timestamp, microseconds since the Unix epoch (UTC)
///    24  u16  event type
///    26  u8   flags (bit 0: payload is LZ4-compressed)
///    27  u8   record format version (1)
///    28  u32  uncompressed payload length
///    32       payload, then zero bytes up to the next multiple of 8
///
/// All integers are little-endian. A header of 32 zero bytes marks the end of the data in a segment
/// (segments are pre-allocated with zeros).
public enum RecordFormat {
    public static let headerSize = 32
    public static let alignment = 8
    public static let version: UInt8 = 1
    /// Larger payloads are refused: a single event never needs more (messages are bounded far lower).
    public static let maximumPayload = 256 << 20

    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let compressed = Flags(rawValue: 1)
        /// Bits a version-1 reader understands; others make the record unreadable to it.
        static let known: Flags = [.compressed]
    }

    /// The decoded fixed header of a record.
    public struct Header: Sendable, Hashable {
        public var storedLength: UInt32
        public var checksum: UInt32
        public var sequence: UInt64
        public var timestamp: Int64
        public var type: UInt16
        public var flags: Flags
        public var version: UInt8
        public var uncompressedLength: UInt32

        /// Bytes the record occupies in its segment, padding included.
        public var footprint: Int { RecordFormat.footprint(payload: Int(storedLength)) }
    }

    @inlinable
    public static func footprint(payload: Int) -> Int {
        (headerSize + payload + alignment - 1) & ~(alignment - 1)
    }

    /// Writes a header at `base` (which must have `headerSize` bytes); the checksum field is written as given.
    static func write(_ h: Header, to base: UnsafeMutableRawPointer) {
        base.storeBytes(of: h.storedLength.littleEndian, toByteOffset: 0, as: UInt32.self)
        base.storeBytes(of: h.checksum.littleEndian, toByteOffset: 4, as: UInt32.self)
        base.storeBytes(of: h.sequence.littleEndian, toByteOffset: 8, as: UInt64.self)
        base.storeBytes(of: h.timestamp.littleEndian, toByteOffset: 16, as: Int64.self)
        base.storeBytes(of: h.type.littleEndian, toByteOffset: 24, as: UInt16.self)
        base.storeBytes(of: h.flags.rawValue, toByteOffset: 26, as: UInt8.self)
        base.storeBytes(of: h.version, toByteOffset: 27, as: UInt8.self)
        base.storeBytes(of: h.uncompressedLength.littleEndian, toByteOffset: 28, as: UInt32.self)
    }

    static func readHeader(_ base: UnsafeRawPointer) -> Header {
        Header(
            storedLength: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 0, as: UInt32.self)),
            checksum: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
            sequence: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            timestamp: Int64(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: Int64.self)),
            type: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 24, as: UInt16.self)),
            flags: Flags(rawValue: base.load(fromByteOffset: 26, as: UInt8.self)),
            version: base.load(fromByteOffset: 27, as: UInt8.self),
            uncompressedLength: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 28, as: UInt32.self))
        )
    }

    /// True when the 32 bytes at `base` are all zero: the end of the data in a segment.
    static func isEndMarker(_ base: UnsafeRawPointer) -> Bool {
        base.loadUnaligned(fromByteOffset: 0, as: UInt64.self) == 0
            && base.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == 0
            && base.loadUnaligned(fromByteOffset: 16, as: UInt64.self) == 0
            && base.loadUnaligned(fromByteOffset: 24, as: UInt64.self) == 0
    }

    /// The checksum a record with this header and stored payload must carry.
    static func checksum(headerAt base: UnsafeRawPointer, payload: UnsafeRawBufferPointer) -> UInt32 {
        let fixed = UnsafeRawBufferPointer(start: base + 8, count: headerSize - 8)
        return CRC32C.checksum(payload, continuing: CRC32C.checksum(fixed))
    }
}

/// Why the bytes at some offset are not a valid record.
public enum RecordDefect: Error, Sendable, Hashable, CustomStringConvertible {
    case truncated(needed: Int, available: Int)
    case impossibleLength(UInt32)
    case unknownVersion(UInt8)
    case unknownFlags(UInt8)
    case checksumMismatch(expected: UInt32, actual: UInt32)
    case unexpectedSequence(expected: UInt64, found: UInt64)
    case undecompressible

    public var description: String {
        switch self {
        case .truncated(let needed, let available): "record needs \(needed) bytes, only \(available) remain"
        case .impossibleLength(let n): "impossible payload length \(n)"
        case .unknownVersion(let v): "unknown record version \(v)"
        case .unknownFlags(let f): "unknown record flags 0x\(String(f, radix: 16))"
        case .checksumMismatch(let e, let a):
            "CRC32C mismatch (recorded 0x\(String(e, radix: 16)), computed 0x\(String(a, radix: 16)))"
        case .unexpectedSequence(let e, let f): "sequence number \(f) where \(e) was expected"
        case .undecompressible: "LZ4 payload does not decompress to its recorded length"
        }
    }
}

extension RecordFormat {
    /// Checks the record at `offset` in `region` (everything but decompression).
    /// Returns the header, or the first defect found.
    static func validate(
        _ region: UnsafeRawBufferPointer, at offset: Int
    ) -> Result<Header, RecordDefect> {
        let available = region.count - offset
        guard available >= headerSize else { return .failure(.truncated(needed: headerSize, available: available)) }
        let base = region.baseAddress! + offset
        let h = readHeader(base)
        guard h.version == version else { return .failure(.unknownVersion(h.version)) }
        guard h.flags.isSubset(of: Flags.known) else { return .failure(.unknownFlags(h.flags.rawValue)) }
        guard Int(h.storedLength) <= maximumPayload, Int(h.uncompressedLength) <= maximumPayload,
              h.flags.contains(.compressed) || h.storedLength == h.uncompressedLength
        else { return .failure(.impossibleLength(h.storedLength)) }
        let needed = headerSize + Int(h.storedLength)
        guard needed <= available else { return .failure(.truncated(needed: needed, available: available)) }
        let payload = UnsafeRawBufferPointer(start: base + headerSize, count: Int(h.storedLength))
        let actual = checksum(headerAt: base, payload: payload)
        guard actual == h.checksum else { return .failure(.checksumMismatch(expected: h.checksum, actual: actual)) }
        return .success(h)
    }
}

internal import CCRC32C

/// CRC32C (Castagnoli) checksums for journal records.
public enum CRC32C {
    /// Continues `crc` over `bytes`; start from 0.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        update(crc, bytes)
    }

    public static func checksum(_ bytes: some Sequence<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ update(crc, UnsafeRawBufferPointer($0)) }) {
            return result
        }
        let copy = Array(bytes)
        return copy.withUnsafeBytes { update(crc, $0) }
    }

    /// The slicing-by-8 path, whatever the CPU has (for tests and benchmarks).
    public static func portableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        roost_crc32c_portable(crc, bytes.baseAddress, bytes.count)
    }

    /// Whether the SSE4.2 instruction is in use on this CPU.
    public static var usesHardware: Bool { roost_crc32c_hardware() != 0 }

    @usableFromInline
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        roost_crc32c(crc, bytes.baseAddress, bytes.count)
    }
}

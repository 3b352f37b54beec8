/// The tagged-field encoding of event payloads (docs/journal-format.md, "Payload encoding").
///
/// A payload is a sequence of fields; each starts with a varint key `number << 3 | wire type`.
/// Wire types: 0 varint, 1 fixed 64-bit little-endian, 2 length-delimited (varint length, bytes).
/// A reader skips fields it does not know, so new fields never break old readers.
public struct FieldWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    enum WireType: UInt8 { case varint = 0, fixed64 = 1, bytes = 2 }

    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always)
    private mutating func key(_ number: Int, _ type: WireType) {
        appendVarint(UInt64(number) << 3 | UInt64(type.rawValue))
    }

    public mutating func uint(_ number: Int, _ value: UInt64) {
        key(number, .varint)
        appendVarint(value)
    }

    /// Signed integers are zigzag-encoded so small negatives stay short.
    public mutating func int(_ number: Int, _ value: Int64) {
        uint(number, UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func bool(_ number: Int, _ value: Bool) { uint(number, value ? 1 : 0) }

    public mutating func fixed64(_ number: Int, _ value: UInt64) {
        key(number, .fixed64)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func data(_ number: Int, _ value: some Collection<UInt8>) {
        key(number, .bytes)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func string(_ number: Int, _ value: String) { data(number, value.utf8) }

    /// Optional values are simply absent when nil.
    public mutating func string(_ number: Int, _ value: String?) { if let value { string(number, value) } }
    public mutating func uint(_ number: Int, _ value: UInt64?) { if let value { uint(number, value) } }
    public mutating func int(_ number: Int, _ value: Int64?) { if let value { int(number, value) } }

    public mutating func message(_ number: Int, _ value: some FieldEncodable) {
        var nested = FieldWriter()
        value.encode(to: &nested)
        data(number, nested.bytes)
    }
}

/// Why a payload could not be decoded. A reader never crashes on one: the caller reports it.
public struct FieldDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var offset: Int
    public var description: String { "malformed event payload at byte \(offset): \(reason)" }
}

/// Reads fields one at a time from a payload.
public struct FieldReader {
    public enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(UnsafeRawBufferPointer)
    }

    private let buffer: UnsafeRawBufferPointer
    private var position = 0
    /// Nested messages are bounded so a hostile payload cannot recurse deeply.
    let depth: Int
    static let maximumDepth = 16

    public init(_ buffer: UnsafeRawBufferPointer, depth: Int = 0) throws {
        guard depth <= FieldReader.maximumDepth else {
            throw FieldDecodingError(reason: "nesting deeper than \(FieldReader.maximumDepth)", offset: 0)
        }
        self.buffer = buffer
        self.depth = depth
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < buffer.count else { throw FieldDecodingError(reason: "truncated varint", offset: position) }
            let byte = buffer[position]
            position += 1
            guard shift < 64 else { throw FieldDecodingError(reason: "varint longer than 10 bytes", offset: position) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The next field, or nil at the end of the payload.
    public mutating func next() throws -> (number: Int, value: Value)? {
        guard position < buffer.count else { return nil }
        let key = try varint()
        let number = Int(truncatingIfNeeded: key >> 3)
        guard number > 0, number < 1 << 28 else { throw FieldDecodingError(reason: "field number \(key >> 3)", offset: position) }
        switch key & 7 {
        case 0:
            return (number, .varint(try varint()))
        case 1:
            guard buffer.count - position >= 8 else { throw FieldDecodingError(reason: "truncated fixed64", offset: position) }
            let v = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            position += 8
            return (number, .fixed64(v))
        case 2:
            let length = try varint()
            guard length <= UInt64(buffer.count - position) else {
                throw FieldDecodingError(reason: "length \(length) past the end", offset: position)
            }
            let slice = UnsafeRawBufferPointer(rebasing: buffer[position..<position + Int(length)])
            position += Int(length)
            return (number, .bytes(slice))
        default:
            throw FieldDecodingError(reason: "unknown wire type \(key & 7)", offset: position)
        }
    }

    public var offset: Int { position }
}

extension FieldReader.Value {
    func uint() throws -> UInt64 {
        switch self {
        case .varint(let v), .fixed64(let v): return v
        case .bytes: throw FieldDecodingError(reason: "expected an integer, found bytes", offset: 0)
        }
    }

    func int() throws -> Int64 {
        let v = try uint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    func bool() throws -> Bool { try uint() != 0 }

    func bytes() throws -> [UInt8] {
        guard case .bytes(let b) = self else { throw FieldDecodingError(reason: "expected bytes, found an integer", offset: 0) }
        return Array(b)
    }

    func string() throws -> String {
        guard case .bytes(let b) = self else { throw FieldDecodingError(reason: "expected a string, found an integer", offset: 0) }
        return String(decoding: b, as: UTF8.self)
    }

    func message<T: FieldDecodable>(_ type: T.Type, depth: Int) throws -> T {
        guard case .bytes(let b) = self else { throw FieldDecodingError(reason: "expected a nested message", offset: 0) }
        var reader = try FieldReader(b, depth: depth + 1)
        return try T(from: &reader)
    }
}

/// A value with a tagged-field encoding.
public protocol FieldEncodable: Sendable {
    func encode(to writer: inout FieldWriter)
}

public protocol FieldDecodable: Sendable {
    /// Reads all fields of `reader`, ignoring unknown ones.
    init(from reader: inout FieldReader) throws
}

public typealias FieldCodable = FieldEncodable & FieldDecodable

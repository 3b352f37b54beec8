public import NIOCore

/// A client's address as Roost counts it for connection limits and authentication throttling:
/// an IPv4 address, or the /64 prefix of an IPv6 address (one home or one server gets a whole
/// /64, so counting single IPv6 addresses would let a client pick a new one per attempt).
/// IPv4-mapped IPv6 addresses count as IPv4.
public struct ClientKey: Hashable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ address: SocketAddress?) {
        switch address {
        case .v4(let v4)?:
            description = address?.ipAddress ?? "\(v4)"
        case .v6(let v6)?:
            var sin6 = v6.address.sin6_addr
            let bytes = withUnsafeBytes(of: &sin6) { Array($0) }
            description = ClientKey.describeIPv6(bytes)
        case .unixDomainSocket?:
            description = "local"
        case nil:
            description = "unknown"
        }
    }

    /// From an address in text ("192.0.2.1", "2001:db8::1"); nil if it is not an IP address.
    public init?(ipAddress: String) {
        guard let address = try? SocketAddress(ipAddress: ipAddress, port: 0) else { return nil }
        self.init(address)
    }

    static func describeIPv6(_ bytes: [UInt8]) -> String {
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        var groups: [String] = []
        for i in stride(from: 0, to: 8, by: 2) {
            groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16))
        }
        return groups.joined(separator: ":") + "::/64"
    }
}

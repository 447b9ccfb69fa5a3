/// An address with a prefix length: a route's destination (`10.1.0.0/16`) or an
/// interface address (`10.1.0.1/24`, where host bits are meaningful).
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible, TextCodable {
    public var address: IPAddress
    public var length: Int

    public init(address: IPAddress, length: Int) {
        precondition(length >= 0 && length <= address.bitWidth)
        self.address = address
        self.length = length
    }

    /// Parses `addr/len`; a bare address is a host prefix (/32 or /128).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let a = IPAddress(String(parts[0])) else { return nil }
        var len = a.bitWidth
        if parts.count == 2 {
            guard let l = Int(parts[1]), l >= 0, l <= a.bitWidth, !parts[1].hasPrefix("+") else { return nil }
            len = l
        }
        self.init(address: a, length: len)
    }

    public var isIPv4: Bool { address.isIPv4 }

    /// The prefix with host bits cleared (the network).
    public var network: IPPrefix { IPPrefix(address: masked(address), length: length) }

    /// True when host bits are zero (a proper route destination).
    public var isNetwork: Bool { masked(address) == address }

    public func contains(_ other: IPAddress) -> Bool {
        guard other.isIPv4 == address.isIPv4 else { return false }
        return masked(other) == masked(address)
    }

    public func contains(_ other: IPPrefix) -> Bool { other.length >= length && contains(other.address) }

    public func overlaps(_ other: IPPrefix) -> Bool { contains(other) || other.contains(self) }

    private func masked(_ a: IPAddress) -> IPAddress {
        switch a {
        case .v4(let v):
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
            return .v4(IPv4Address(v.value & mask))
        case .v6(let v):
            let hm: UInt64 = length == 0 ? 0 : (length >= 64 ? ~0 : ~UInt64(0) << UInt64(64 - length))
            let lm: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
            return .v6(IPv6Address(high: v.high & hm, low: v.low & lm))
        }
    }

    public var description: String { "\(address)/\(length)" }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, stored in network byte order.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible, TextCodable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses dotted-quad IPv4 or RFC 4291 text IPv6; nil for anything else.
    public init?(_ text: String) {
        if let a = IPv4Address(text) { self = .v4(a) } else if let a = IPv6Address(text) { self = .v6(a) } else { return nil }
    }

    public var isIPv4: Bool { if case .v4 = self { return true } else { return false } }
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    /// The address as bytes in network order (4 or 16 of them).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): return a.bytes
        case .v6(let a): return a.bytes
        }
    }

    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self = .v4(IPv4Address(bytes: bytes))
        case 16: self = .v6(IPv6Address(bytes: bytes))
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }
}

/// An IPv4 address; `value` holds it in host order so masks and comparisons read naturally.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 4)
        value = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
    }

    public init?(_ text: String) {
        // inet_pton accepts exactly four decimal octets, nothing looser.
        var addr = in_addr()
        guard !text.isEmpty, inet_pton(AF_INET, text, &addr) == 1 else { return nil }
        value = UInt32(bigEndian: addr.s_addr)
    }

    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
    public var description: String { bytes.map(String.init).joined(separator: ".") }
    public static func < (l: Self, r: Self) -> Bool { l.value < r.value }
}

/// An IPv6 address as 16 bytes in network order.
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        high = h; low = l
    }

    public init?(_ text: String) {
        var addr = in6_addr()
        guard !text.isEmpty, inet_pton(AF_INET6, text, &addr) == 1 else { return nil }
        let b = withUnsafeBytes(of: &addr) { Array($0) }
        self.init(bytes: b)
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8(high >> (56 - 8 * UInt64($0)) & 0xff) } + (0..<8).map { UInt8(low >> (56 - 8 * UInt64($0)) & 0xff) }
    }

    public var isLinkLocal: Bool { high >> 54 == 0x3fa }   // fe80::/10
    public var isMulticast: Bool { high >> 56 == 0xff }

    public var description: String {
        var addr = in6_addr()
        let b = bytes
        withUnsafeMutableBytes(of: &addr) { raw in for i in 0..<16 { raw[i] = b[i] } }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count))
        return String(cString: buf)
    }

    public static func < (l: Self, r: Self) -> Bool { (l.high, l.low) < (r.high, r.low) }
}

import StraitCore

/// Traffic Selector payload, TSi or TSr (RFC 7296 section 3.13): Number of TSs (1) | RESERVED (3) | selectors.
public struct TrafficSelectorsPayload: Hashable, Sendable {
    public var selectors: [TrafficSelector]

    public init(selectors: [TrafficSelector]) { self.selectors = selectors }

    /// The address-range selectors, skipping types this codec keeps opaque.
    public var addressRanges: [AddressRangeSelector] {
        selectors.compactMap { if case .addressRange(let s) = $0 { return s } else { return nil } }
    }

    static func decode(_ r: inout ByteReader) throws -> TrafficSelectorsPayload {
        let start = r.offset
        let count = Int(try r.u8())
        try r.skip(3)
        var selectors: [TrafficSelector] = []
        while !r.isAtEnd {
            guard selectors.count < count else {
                throw IKEWireError(.invalidSyntax, at: r.offset, "more selectors than the \(count) announced")
            }
            selectors.append(try TrafficSelector.decode(&r))
        }
        guard selectors.count == count else {
            throw IKEWireError(.invalidSyntax, at: start, "\(count) selectors announced, \(selectors.count) present")
        }
        return TrafficSelectorsPayload(selectors: selectors)
    }

    func encode(to w: inout ByteWriter) {
        precondition(selectors.count <= 255, "more than 255 traffic selectors in one payload")
        w.u8(UInt8(selectors.count))
        w.zeros(3)
        for s in selectors { s.encode(to: &w) }
    }
}

/// One traffic selector (RFC 7296 section 3.13.1):
///
///     TS Type (1) | IP Protocol ID (1) | Selector Length (2)
///     Start Port (2) | End Port (2) | Starting Address | Ending Address
///
/// Address ranges are decoded; other types (RFC 9478 security labels ...) are kept as their bytes after
/// the 4-byte selector header.
public enum TrafficSelector: Hashable, Sendable {
    case addressRange(AddressRangeSelector)
    /// A selector type this codec does not interpret: `data` follows the 4-byte header, whose second
    /// byte is written as zero.
    case other(type: TrafficSelectorType, data: [UInt8])

    public var type: TrafficSelectorType {
        switch self {
        case .addressRange(let s): return s.type
        case .other(let type, _): return type
        }
    }

    static func decode(_ r: inout ByteReader) throws -> TrafficSelector {
        let start = r.offset
        guard r.remaining >= 4 else { throw IKEWireError(.badLength, at: start, "selector header needs 4 bytes") }
        let type = TrafficSelectorType(try r.u8())
        let ipProtocol = try r.u8()
        let length = Int(try r.u16())
        guard length >= 4, length - 4 <= r.remaining else {
            throw IKEWireError(.badLength, at: start + 2, "selector length \(length)")
        }
        var body = try r.sub(length - 4)
        let addressLength: Int
        switch type {
        case .ipv4AddressRange: addressLength = 4
        case .ipv6AddressRange: addressLength = 16
        default: return .other(type: type, data: body.readRest())
        }
        // The length must be exactly what the type's address family needs (16 for IPv4, 40 for IPv6).
        guard length == 8 + 2 * addressLength else {
            throw IKEWireError(.badLength, at: start + 2, "selector length \(length) for \(type)")
        }
        let startPort = try body.u16()
        let endPort = try body.u16()
        let startBytes = try body.read(addressLength)
        let endBytes = try body.read(addressLength)
        guard let startAddress = IPAddress(bytes: startBytes), let endAddress = IPAddress(bytes: endBytes),
              let s = AddressRangeSelector(ipProtocol: ipProtocol, startPort: startPort, endPort: endPort,
                                           startAddress: startAddress, endAddress: endAddress)
        else { throw IKEWireError(.invalidSyntax, at: start, "selector addresses") }
        return .addressRange(s)
    }

    func encode(to w: inout ByteWriter) {
        let start = w.count
        switch self {
        case .addressRange(let s):
            w.u8(s.type.rawValue)
            w.u8(s.ipProtocol)
            w.u16(0)
            w.u16(s.startPort)
            w.u16(s.endPort)
            w.append(s.startAddress.bytes)
            w.append(s.endAddress.bytes)
        case .other(let type, let data):
            w.u8(type.rawValue)
            w.u8(0)
            w.u16(0)
            w.append(data)
        }
        w.patchLength16(at: start + 2, from: start)
    }
}

/// TS_IPV4_ADDR_RANGE or TS_IPV6_ADDR_RANGE: both addresses of one family (the initializer refuses a mix,
/// so every value of this type encodes to a valid selector).
public struct AddressRangeSelector: Hashable, Sendable {
    /// 0 for any protocol, else an IP protocol number (6 TCP, 17 UDP, 1 ICMP ...).
    public var ipProtocol: UInt8
    /// Ports (or ICMP type/code, RFC 7296 3.13.1); 0...65535 is any, 65535...0 is OPAQUE.
    public var startPort: UInt16
    public var endPort: UInt16
    public private(set) var startAddress: IPAddress
    public private(set) var endAddress: IPAddress

    /// Nil when the two addresses are of different families.
    public init?(ipProtocol: UInt8 = 0, startPort: UInt16 = 0, endPort: UInt16 = 65535,
                 startAddress: IPAddress, endAddress: IPAddress) {
        guard startAddress.isIPv4 == endAddress.isIPv4 else { return nil }
        self.ipProtocol = ipProtocol
        self.startPort = startPort
        self.endPort = endPort
        self.startAddress = startAddress
        self.endAddress = endAddress
    }

    public init(ipProtocol: UInt8 = 0, startPort: UInt16 = 0, endPort: UInt16 = 65535,
                ipv4 start: IPv4Address, _ end: IPv4Address) {
        self.ipProtocol = ipProtocol
        self.startPort = startPort
        self.endPort = endPort
        startAddress = .v4(start)
        endAddress = .v4(end)
    }

    public init(ipProtocol: UInt8 = 0, startPort: UInt16 = 0, endPort: UInt16 = 65535,
                ipv6 start: IPv6Address, _ end: IPv6Address) {
        self.ipProtocol = ipProtocol
        self.startPort = startPort
        self.endPort = endPort
        startAddress = .v6(start)
        endAddress = .v6(end)
    }

    /// Every address, port and protocol of one family.
    public static let anyIPv4 = AddressRangeSelector(ipv4: IPv4Address(0), IPv4Address(.max))
    public static let anyIPv6 = AddressRangeSelector(ipv6: IPv6Address(high: 0, low: 0),
                                                     IPv6Address(high: .max, low: .max))

    /// The selector covering exactly one prefix, any port and protocol.
    public init(prefix: IPPrefix) {
        switch prefix.address {
        case .v4(let a):
            let host: UInt32 = prefix.length >= 32 ? 0 : UInt32.max >> UInt32(prefix.length)
            self.init(ipv4: IPv4Address(a.value & ~host), IPv4Address(a.value | host))
        case .v6(let a):
            let l = prefix.length
            let hostHigh: UInt64 = l >= 64 ? 0 : UInt64.max >> UInt64(l)
            let hostLow: UInt64 = l >= 128 ? 0 : (l <= 64 ? UInt64.max : UInt64.max >> UInt64(l - 64))
            self.init(ipv6: IPv6Address(high: a.high & ~hostHigh, low: a.low & ~hostLow),
                      IPv6Address(high: a.high | hostHigh, low: a.low | hostLow))
        }
    }

    public var type: TrafficSelectorType { startAddress.isIPv4 ? .ipv4AddressRange : .ipv6AddressRange }
}

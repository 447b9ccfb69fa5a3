import StraitCore

/// A VRRPv3 advertisement (RFC 5798 section 5.2, RFC 9568): the IP payload of protocol 112.
///
///     0                   1                   2                   3
///     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///    |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
///    |(rsvd) |     Max Adver Int     |          Checksum             |
///    |                     IPvX Address(es)                          |
///
/// The codec knows nothing of sockets: the I/O shell passes the IP source and destination,
/// which the checksum covers (the pseudo-header), and checks TTL/Hop Limit 255 itself.
public struct VRRPAdvertisement: Equatable, Sendable {
    public static let ipProtocol: UInt8 = 112
    public static let version: UInt8 = 3
    public static let typeAdvertisement: UInt8 = 1
    /// 224.0.0.18 and ff02::12.
    public static let groupV4 = IPAddress("224.0.0.18")!
    public static let groupV6 = IPAddress("ff02::12")!

    public var vrid: UInt8
    public var priority: UInt8
    /// Centiseconds, 12 bits (1...4095).
    public var maxAdvertInterval: UInt16
    /// The virtual addresses, all of the packet's family.
    public var addresses: [IPAddress]

    public init(vrid: UInt8, priority: UInt8, maxAdvertInterval: UInt16, addresses: [IPAddress]) {
        self.vrid = vrid
        self.priority = priority
        self.maxAdvertInterval = maxAdvertInterval
        self.addresses = addresses
    }

    /// How the IPv4 checksum is computed. RFC 5798 includes the pseudo-header for both
    /// families; some older implementations (keepalived's `v3_checksum_as_v2`) leave it out
    /// for IPv4. IPv6 always includes it.
    public enum ChecksumMode: Sendable, Equatable {
        case rfc5798
        case withoutPseudoHeaderForIPv4
    }

    public struct DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        public enum Code: String, Sendable {
            case truncated, badVersion, badType, badVRID, badInterval, badCount, badChecksum, familyMismatch
        }
        public var code: Code
        public var detail: String
        public var description: String { "\(code.rawValue): \(detail)" }
    }

    /// The payload, checksummed for `source` -> `destination` (both of the addresses' family).
    public func encode(source: IPAddress, destination: IPAddress, mode: ChecksumMode = .rfc5798) -> [UInt8] {
        precondition(addresses.count <= 255 && (1...4095).contains(maxAdvertInterval))
        var out: [UInt8] = [Self.version << 4 | Self.typeAdvertisement, vrid, priority, UInt8(addresses.count),
                            UInt8(maxAdvertInterval >> 8 & 0x0f), UInt8(maxAdvertInterval & 0xff), 0, 0]
        for a in addresses { out += a.bytes }
        let sum = Self.checksum(out, source: source, destination: destination, mode: mode)
        out[6] = UInt8(sum >> 8)
        out[7] = UInt8(sum & 0xff)
        return out
    }

    /// Parses and verifies a payload that arrived from `source` to `destination`. Strict: the
    /// length must match the address count exactly, reserved bits are ignored (as the RFC says).
    public static func decode(_ bytes: [UInt8], source: IPAddress, destination: IPAddress,
                              mode: ChecksumMode = .rfc5798) throws -> VRRPAdvertisement {
        func fail(_ c: DecodeError.Code, _ d: String) -> DecodeError { DecodeError(code: c, detail: d) }
        guard bytes.count >= 8 else { throw fail(.truncated, "\(bytes.count) bytes, the header needs 8") }
        guard source.isIPv4 == destination.isIPv4 else { throw fail(.familyMismatch, "\(source) -> \(destination)") }
        guard bytes[0] >> 4 == version else { throw fail(.badVersion, "version \(bytes[0] >> 4)") }
        guard bytes[0] & 0x0f == typeAdvertisement else { throw fail(.badType, "type \(bytes[0] & 0x0f)") }
        guard bytes[1] != 0 else { throw fail(.badVRID, "VRID 0") }
        let interval = UInt16(bytes[4] & 0x0f) << 8 | UInt16(bytes[5])
        guard interval != 0 else { throw fail(.badInterval, "max advertisement interval 0") }
        let width = source.isIPv4 ? 4 : 16
        let count = Int(bytes[3])
        guard count >= 1 else { throw fail(.badCount, "no addresses") }
        guard bytes.count == 8 + count * width else {
            throw fail(.badCount, "\(count) IPv\(source.isIPv4 ? 4 : 6) addresses need \(8 + count * width) bytes, got \(bytes.count)")
        }
        guard checksum(bytes, source: source, destination: destination, mode: mode) == 0 else {
            throw fail(.badChecksum, "checksum 0x\(String(UInt16(bytes[6]) << 8 | UInt16(bytes[7]), radix: 16)) does not verify")
        }
        let addresses = (0..<count).map { i in IPAddress(bytes: Array(bytes[8 + i * width ..< 8 + (i + 1) * width]))! }
        return VRRPAdvertisement(vrid: bytes[1], priority: bytes[2], maxAdvertInterval: interval, addresses: addresses)
    }

    /// The Internet checksum over the pseudo-header (RFC 8200 8.1 / RFC 768 style) and the
    /// payload. Over a payload whose checksum field is filled in, 0 means it verifies.
    static func checksum(_ payload: [UInt8], source: IPAddress, destination: IPAddress, mode: ChecksumMode) -> UInt16 {
        var sum: UInt32 = 0
        func add(_ b: [UInt8]) {
            var i = 0
            while i + 1 < b.count { sum += UInt32(b[i]) << 8 | UInt32(b[i + 1]); i += 2 }
            if i < b.count { sum += UInt32(b[i]) << 8 }
        }
        if !(source.isIPv4 && mode == .withoutPseudoHeaderForIPv4) {
            add(source.bytes)
            add(destination.bytes)
            if source.isIPv4 {
                add([0, ipProtocol, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)])
            } else {
                add([0, 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xff), 0, 0, 0, ipProtocol])
            }
        }
        add(payload)
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

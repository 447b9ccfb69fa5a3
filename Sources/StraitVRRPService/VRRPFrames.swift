import Foundation
import StraitCore

/// The frames and headers the shell builds and parses, as pure functions so that tests can
/// check them byte by byte.
public enum VRRPFrames {
    /// A gratuitous ARP (an ARP announcement, RFC 5227 2.3: a request whose sender and target
    /// are both the address) from `mac` to the broadcast address: switches relearn where the
    /// address lives, neighbours update their caches.
    public static func gratuitousARP(mac: [UInt8], address: IPAddress) -> [UInt8] {
        precondition(mac.count == 6 && address.isIPv4)
        var f: [UInt8] = Array(repeating: 0xff, count: 6) + mac + [0x08, 0x06]
        f += [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]   // Ethernet, IPv4, request
        f += mac + address.bytes + Array(repeating: 0, count: 6) + address.bytes
        return f
    }

    /// An unsolicited Neighbor Advertisement (RFC 4861 4.4 / 7.2.6) for `target`, from the
    /// link-local `source` to all nodes (ff02::1), Hop Limit 255, Router and Override set,
    /// with the target link-layer address option.
    public static func unsolicitedNA(mac: [UInt8], source: IPAddress, target: IPAddress) -> [UInt8] {
        precondition(mac.count == 6 && !source.isIPv4 && !target.isIPv4)
        let allNodes = IPAddress("ff02::1")!
        var icmp: [UInt8] = [136, 0, 0, 0, 0xa0, 0, 0, 0] + target.bytes + [2, 1] + mac
        let sum = checksum(icmp, pseudoHeader: source.bytes + allNodes.bytes + [0, 0, 0, UInt8(icmp.count), 0, 0, 0, 58])
        icmp[2] = UInt8(sum >> 8)
        icmp[3] = UInt8(sum & 0xff)
        let ip: [UInt8] = [0x60, 0, 0, 0, 0, UInt8(icmp.count), 58, 255] + source.bytes + allNodes.bytes
        return [0x33, 0x33, 0, 0, 0, 1] + mac + [0x86, 0xdd] + ip + icmp
    }

    /// The Internet checksum of `pseudoHeader` followed by `data`.
    static func checksum(_ data: [UInt8], pseudoHeader: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        for b in [pseudoHeader, data] {
            var i = 0
            while i + 1 < b.count { sum += UInt32(b[i]) << 8 | UInt32(b[i + 1]); i += 2 }
            if i < b.count { sum += UInt32(b[i]) << 8 }
        }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// An IPv4 packet as a raw socket returns it: its source, destination, TTL and payload
    /// (nil when the header does not parse or is not protocol 112).
    public struct IPv4Packet: Equatable {
        public var source: IPAddress
        public var destination: IPAddress
        public var ttl: Int
        public var payload: [UInt8]
    }

    public static func parseIPv4(_ packet: [UInt8]) -> IPv4Packet? {
        guard packet.count >= 20, packet[0] >> 4 == 4 else { return nil }
        let headerLength = Int(packet[0] & 0x0f) * 4
        let total = Int(packet[2]) << 8 | Int(packet[3])
        guard headerLength >= 20, packet.count >= headerLength, packet[9] == 112 else { return nil }
        // The kernel hands over the datagram as it came; trust the total length when it fits.
        let end = total >= headerLength && total <= packet.count ? total : packet.count
        return IPv4Packet(source: IPAddress(bytes: Array(packet[12..<16]))!, destination: IPAddress(bytes: Array(packet[16..<20]))!,
                          ttl: Int(packet[8]), payload: Array(packet[headerLength..<end]))
    }

    /// `00:11:22:33:44:55` as six bytes.
    public static func mac(_ text: String) -> [UInt8]? {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":")
        guard parts.count == 6 else { return nil }
        let bytes = parts.compactMap { UInt8($0, radix: 16) }
        return bytes.count == 6 ? bytes : nil
    }
}

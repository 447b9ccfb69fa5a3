import StraitCore
import XCTest
@testable import StraitVRRPService

/// The frames the shell sends, byte by byte against scapy's (scapy 2.5: Ether/ARP and
/// Ether/IPv6/ICMPv6ND_NA(R=1, O=1)/ICMPv6NDOptDstLLAddr), and the IPv4 header parser.
final class VRRPFramesTests: XCTestCase {
    let mac: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]

    func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    func testGratuitousARPMatchesScapy() {
        XCTAssertEqual(hex(VRRPFrames.gratuitousARP(mac: mac, address: IPAddress("203.0.113.100")!)),
                       "ffffffffffff02000000000108060001080006040001020000000001cb007164000000000000cb007164")
    }

    func testUnsolicitedNAMatchesScapy() {
        XCTAssertEqual(hex(VRRPFrames.unsolicitedNA(mac: mac, source: IPAddress("fe80::1")!, target: IPAddress("2001:db8::100")!)),
                       "33330000000102000000000186dd6000000000203afffe800000000000000000000000000001ff020000000000000000000000000001"
                       + "8800a763a000000020010db80000000000000000000001000201020000000001")
    }

    func testIPv4HeaderGivesSourceDestinationTTLAndPayload() {
        var packet: [UInt8] = [0x45, 0, 0, 28, 0, 0, 0, 0, 254, 112, 0, 0, 10, 0, 0, 2, 224, 0, 0, 18]
        packet += [0x31, 10, 200, 1, 0, 10, 0, 0]
        let p = VRRPFrames.parseIPv4(packet)
        XCTAssertEqual(p?.source, IPAddress("10.0.0.2"))
        XCTAssertEqual(p?.destination, IPAddress("224.0.0.18"))
        XCTAssertEqual(p?.ttl, 254)
        XCTAssertEqual(p?.payload, [0x31, 10, 200, 1, 0, 10, 0, 0])
        packet[9] = 17
        XCTAssertNil(VRRPFrames.parseIPv4(packet), "not protocol 112")
        XCTAssertNil(VRRPFrames.parseIPv4(Array(packet[0..<12])), "short")
    }

    func testMACText() {
        XCTAssertEqual(VRRPFrames.mac("02:00:00:00:00:01\n"), mac)
        XCTAssertNil(VRRPFrames.mac("02:00:00:00:01"))
    }
}

import StraitCore
@testable import StraitIKE
import StraitIKEService
import XCTest

final class NATTraversalFramingTests: XCTestCase {
    func testPort500CarriesBareMessages() {
        XCTAssertEqual(NATTraversalFraming.decode([1, 2, 3], natT: false), .ike([1, 2, 3]))
        XCTAssertEqual(NATTraversalFraming.decode([0, 0, 0, 0, 9], natT: false), .ike([0, 0, 0, 0, 9]))
        XCTAssertEqual(NATTraversalFraming.decode([], natT: false), .short)
        XCTAssertEqual(NATTraversalFraming.encode([7, 8], natT: false), [7, 8])
    }

    func testNATTPortsStripAndAddTheMarker() {
        XCTAssertEqual(NATTraversalFraming.decode([0, 0, 0, 0, 1, 2], natT: true), .ike([1, 2]))
        XCTAssertEqual(NATTraversalFraming.decode([0, 0, 0, 0], natT: true), .ike([]), "the engine calls it malformed")
        XCTAssertEqual(NATTraversalFraming.decode([0xFF], natT: true), .keepalive)
        XCTAssertEqual(NATTraversalFraming.decode([0xFE], natT: true), .short)
        XCTAssertEqual(NATTraversalFraming.decode([0, 0, 0], natT: true), .short)
        XCTAssertEqual(NATTraversalFraming.decode([0, 0, 0, 1, 5], natT: true), .esp, "an SPI, not the marker")
        XCTAssertEqual(NATTraversalFraming.decode([0xc0, 0, 0, 0, 0, 0, 0, 1], natT: true), .esp)
        XCTAssertEqual(NATTraversalFraming.encode([7, 8], natT: true), [0, 0, 0, 0, 7, 8])
    }
}

final class IKEEventLogTests: XCTestCase {
    static let sa = IKESAReport(
        id: 12, vpn: "sites", state: "established", role: .responder,
        local: IKEEndpoint(IPAddress("192.0.2.1")!, 4500), remote: IKEEndpoint(IPAddress("198.51.100.7")!, 4500),
        localID: "gw.example.net", remoteID: "s1.sites.example.net", initiatorSPI: 0x0123_4567_89ab_cdef,
        responderSPI: 0xfedc_ba98_7654_3210, proposal: "aes128gcm16-prfsha256-x25519", natLocal: false, natRemote: true,
        ageSeconds: 61, nextMessageID: 2, children: [child])
    static let child = ChildSAReport(
        name: "sites/lan#12", inboundSPI: 0xc001_2345, outboundSPI: 0x0a0b_0c0d, proposal: "aes128gcm16-esn",
        localTS: [IPPrefix("10.1.0.0/16")!], remoteTS: [IPPrefix("10.128.1.0/24")!], encapsulated: true, ageSeconds: 60,
        usage: nil)

    func testEstablishedAndInstalledLinesNameThePeerIDsProposalAndSPIs() {
        let established = IKEEventLog.line(for: .ikeSAEstablished(Self.sa))
        XCTAssertEqual(established?.level, .info)
        XCTAssertEqual(established?.text, "IKE SA #12 established: vpn sites, responder, 192.0.2.1:4500 <-> 198.51.100.7:4500, "
                       + "ids gw.example.net <-> s1.sites.example.net, aes128gcm16-prfsha256-x25519, NAT remote, "
                       + "SPIs 0x0123456789abcdef/0xfedcba9876543210")
        XCTAssertEqual(IKEEventLog.line(for: .childSAInstalled(ikeSA: 12, child: Self.child))?.text,
                       "CHILD SA sites/lan#12 installed on IKE SA #12: SPIs in 0xc0012345 out 0x0a0b0c0d, aes128gcm16-esn, "
                       + "10.1.0.0/16 === 10.128.1.0/24, ESP in UDP")
        XCTAssertEqual(IKEEventLog.line(for: .childSARemoved(ikeSA: 12, inboundSPI: 0x1001, outboundSPI: 0x2002,
                                                              reason: "rekeyed"))?.text,
                       "CHILD SA removed from IKE SA #12: SPIs in 0x00001001 out 0x00002002: rekeyed")
        XCTAssertEqual(IKEEventLog.line(for: .ikeSADeleted(id: 12, reason: "peer sent a Delete"))?.text,
                       "IKE SA #12 deleted: peer sent a Delete")
        XCTAssertNotNil(IKEEventLog.line(for: .ikeSARekeyed(old: 12, new: Self.sa)))
        XCTAssertNil(IKEEventLog.line(for: .messageIDs(ikeSA: 12, nextInitiatorRequest: 3, nextExpectedRequest: 4)))
    }
}

import Logging
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// NAT keepalives (RFC 3948 4): sent every 20 s from our NAT-T port while NAT detection says
/// *we* are behind a NAT, never otherwise.
final class NATKeepaliveTests: XCTestCase {
    let plane = FakeDataPlane()
    let t0 = IKETime(nanoseconds: 1_000_000_000)

    /// An SA set up by the test initiator, whose NAT_DETECTION_DESTINATION_IP hashes
    /// `gatewaySeenAs` (the address the site sent to): our own address means no NAT on our side.
    func establish(gatewaySeenAs: IPAddress) throws -> IKEEngine {
        let e = try IKEEngine(config: TestConfig.make(), dataPlane: plane, logger: Logger(label: "test"), now: t0)
        var i = TestInitiator()
        var m = try IKEMessage.decode(i.initRequestBytes())
        m.payloads += [
            .notify(NotifyPayload(type: .natDetectionSourceIP,
                                  data: try NATDetection.hash(spiI: i.spiI, spiR: 0, address: i.local.address.bytes, port: 500))),
            .notify(NotifyPayload(type: .natDetectionDestinationIP,
                                  data: try NATDetection.hash(spiI: i.spiI, spiR: 0, address: gatewaySeenAs.bytes, port: 500))),
        ]
        i.initRequest = m.encode()
        let r = try XCTUnwrap(e.receive(IKEDatagram(local: i.gateway, remote: i.local, bytes: i.initRequest), now: t0).first)
        try i.takeInitResponse(r.bytes)
        let gw4500 = IKEEndpoint(i.gateway.address, 4500), site4500 = IKEEndpoint(i.local.address, 4500)
        let a = try XCTUnwrap(e.receive(IKEDatagram(local: gw4500, remote: site4500, bytes: try i.authRequest()), now: t0).first)
        XCTAssertTrue(i.responderAuthVerifies(try i.opened(a.bytes).1))
        XCTAssertEqual(plane.installed.count, 1)
        return e
    }

    /// The keepalives among a tick's output, every second from t0 for `seconds`, with their times.
    func keepalives(_ e: IKEEngine, seconds: Int) -> [(Int, IKEDatagram)] {
        (0...seconds).flatMap { s in e.tick(now: t0 + .seconds(s)).filter(\.natKeepalive).map { (s, $0) } }
    }

    func testBehindANATWeSendAKeepaliveEveryTwentySecondsFromThePort4500Flow() throws {
        let e = try establish(gatewaySeenAs: IPAddress("203.0.113.1")!)   // the site wrote to our NAT's address
        let k = keepalives(e, seconds: 65)
        XCTAssertEqual(k.map(\.0), [20, 40, 60])
        XCTAssertEqual(k.first?.1.local, IKEEndpoint(IPAddress("192.0.2.1")!, 4500))
        XCTAssertEqual(k.first?.1.remote, IKEEndpoint(IPAddress("192.0.2.2")!, 4500))
        XCTAssertEqual(k.first?.1.bytes, [])
        XCTAssertEqual(e.counters.natKeepalivesSent, 3)
    }

    func testWithoutANATOnOurSideNoKeepalives() throws {
        let e = try establish(gatewaySeenAs: IPAddress("192.0.2.1")!)
        XCTAssertTrue(keepalives(e, seconds: 65).isEmpty)
        XCTAssertEqual(e.counters.natKeepalivesSent, 0)
    }
}

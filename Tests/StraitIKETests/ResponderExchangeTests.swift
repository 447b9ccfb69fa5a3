import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// The responder driven back to back by an independent test initiator, message by message:
/// IKE_SA_INIT, IKE_AUTH with a PSK, CHILD SA installation, retransmits, refusals, delete.
final class ResponderExchangeTests: XCTestCase {
    var plane = FakeDataPlane()
    var now = IKETime(nanoseconds: 1_000_000_000)

    func engine(_ config: IKEConfig = TestConfig.make()) throws -> IKEEngine {
        try IKEEngine(config: config, dataPlane: plane, logger: Logger(label: "test"), now: now)
    }

    func send(_ e: IKEEngine, _ i: TestInitiator, _ bytes: [UInt8]) -> [UInt8]? {
        let out = e.receive(IKEDatagram(local: i.gateway, remote: i.local, bytes: bytes), now: now)
        XCTAssertLessThanOrEqual(out.count, 1)
        return out.first?.bytes
    }

    func establish(_ e: IKEEngine, _ i: inout TestInitiator) throws -> [IKEPayload] {
        let r = try XCTUnwrap(send(e, i, i.initRequestBytes()))
        try i.takeInitResponse(r)
        let a = try XCTUnwrap(send(e, i, try i.authRequest()))
        return try i.opened(a).1
    }

    func testPSKTunnelComesUpAndTheChildSAKeysMatchTheInitiators() throws {
        let e = try engine()
        var i = TestInitiator()
        let reply = try establish(e, &i)
        XCTAssertTrue(i.responderAuthVerifies(reply), "the responder's AUTH verifies with the PSK")
        XCTAssertEqual(plane.installed.count, 1)
        let child = try XCTUnwrap(plane.installed.values.first)
        XCTAssertEqual(child.outboundSPI, i.espSPI, "we send to the initiator's SPI")
        XCTAssertTrue(child.esn)
        XCTAssertEqual(child.localTS, [IPPrefix("10.1.0.0/24")!])
        XCTAssertEqual(child.remoteTS, [IPPrefix("10.2.0.0/24")!])
        XCTAssertNil(child.udpEncapsulation, "no NAT-D, encap auto: raw ESP")
        // Keys: the initiator derives the same KEYMAT independently (RFC 7296 2.17).
        let keys = try IKEKeyDerivation.childSAKeys(prf: .hmacSHA2_256, skD: i.keys!.skD,
                                                    suite: try ChildSASuite(encryption: try EncryptionAlgorithm(.aesGCM16, keyLengthBits: 128), integrity: nil),
                                                    nonceI: i.nonceI, nonceR: i.nonceR)
        XCTAssertTrue(child.inboundKey.constantTimeEquals(keys.initiatorToResponder.encryption))
        XCTAssertTrue(child.outboundKey.constantTimeEquals(keys.responderToInitiator.encryption))
        guard case .securityAssociation(let sa)? = reply.first(where: { $0.type == .securityAssociation }) else { return XCTFail("no SA") }
        XCTAssertEqual(sa.proposals.first?.spi32, child.inboundSPI)
        let reports = e.reports(now: now)
        XCTAssertEqual(reports.first?.state, "established")
        XCTAssertEqual(reports.first?.remoteID, "site1.strait.test")
        XCTAssertEqual(reports.first?.children.count, 1)
        XCTAssertEqual(e.counters.ikeSAsEstablished, 1)
    }

    func testRetransmittedRequestsGetTheCachedAnswerAndNoSecondChild() throws {
        let e = try engine()
        var i = TestInitiator()
        let req = i.initRequestBytes()
        let r1 = try XCTUnwrap(send(e, i, req))
        XCTAssertEqual(send(e, i, req), r1, "IKE_SA_INIT retransmit: same answer, same SPI")
        try i.takeInitResponse(r1)
        let auth = try i.authRequest()
        let a1 = try XCTUnwrap(send(e, i, auth))
        XCTAssertEqual(send(e, i, auth), a1)
        XCTAssertEqual(plane.installed.count, 1)
        XCTAssertEqual(e.counters.retransmitsAnswered, 2)
    }

    func testWrongPSKIsRefusedWithAuthenticationFailedAndNothingInstalled() throws {
        let e = try engine()
        var i = TestInitiator()
        i.psk = Array("not-the-right-psk-at-all".utf8)
        let r = try XCTUnwrap(send(e, i, i.initRequestBytes()))
        try i.takeInitResponse(r)
        let (_, reply) = try i.opened(try XCTUnwrap(send(e, i, try i.authRequest())))
        XCTAssertEqual(reply.notifies.map(\.type), [.authenticationFailed])
        XCTAssertTrue(plane.installed.isEmpty)
        XCTAssertTrue(e.reports(now: now).isEmpty, "the half-open SA is gone")
        XCTAssertEqual(e.counters.authFailures, 1)
    }

    func testUnknownIdentityIsRefused() throws {
        let e = try engine()
        var i = TestInitiator()
        try i.takeInitResponse(try XCTUnwrap(send(e, i, i.initRequestBytes())))
        let (_, reply) = try i.opened(try XCTUnwrap(send(e, i, try i.authRequest(id: "intruder.example.org"))))
        XCTAssertEqual(reply.notifies.map(\.type), [.authenticationFailed])
    }

    func testSelectorsOutsideThePolicyGetTSUnacceptableButTheIKESAStands() throws {
        let e = try engine()
        var i = TestInitiator()
        try i.takeInitResponse(try XCTUnwrap(send(e, i, i.initRequestBytes())))
        let (_, reply) = try i.opened(try XCTUnwrap(send(e, i, try i.authRequest(tsi: "172.16.0.0/24"))))
        XCTAssertTrue(i.responderAuthVerifies(reply))
        XCTAssertEqual(reply.notifies.map(\.type), [.tsUnacceptable])
        XCTAssertTrue(plane.installed.isEmpty)
        XCTAssertEqual(e.reports(now: now).first?.state, "established")
    }

    func testWiderSelectorsAreNarrowedToThePolicy() throws {
        let e = try engine()
        var i = TestInitiator()
        try i.takeInitResponse(try XCTUnwrap(send(e, i, i.initRequestBytes())))
        let (_, reply) = try i.opened(try XCTUnwrap(send(e, i, try i.authRequest(tsi: "10.0.0.0/8", tsr: "0.0.0.0/0"))))
        guard case .trafficSelectorsInitiator(let tsi)? = reply.first(where: { $0.type == .trafficSelectorsInitiator }),
              case .trafficSelectorsResponder(let tsr)? = reply.first(where: { $0.type == .trafficSelectorsResponder })
        else { return XCTFail("no TS") }
        XCTAssertEqual(tsi.addressRanges, [AddressRangeSelector(prefix: IPPrefix("10.2.0.0/24")!)])
        XCTAssertEqual(tsr.addressRanges, [AddressRangeSelector(prefix: IPPrefix("10.1.0.0/24")!)])
        XCTAssertEqual(plane.installed.values.first?.remoteTS, [IPPrefix("10.2.0.0/24")!])
    }

    func testAnotherGroupGetsInvalidKEPayloadNamingOurs() throws {
        let e = try engine(TestConfig.make(ikeProposal: "aes128gcm16-prfsha256-ecp256"))
        var i = TestInitiator()
        // The proposal offers X25519 and ECP-256, the KE guess is X25519: we want ECP-256 (2.7).
        let r = try IKEMessage.decode(try XCTUnwrap(send(e, i, i.initRequestBytes(alsoOffer: [.ecp256]))))
        XCTAssertEqual(r.header.responderSPI, 0, "no state")
        XCTAssertEqual(r.payloads.notifies.first?.type, .invalidKEPayload)
        XCTAssertEqual(r.payloads.notifies.first?.data, [0, 19])
    }

    func testNoCommonGroupIsNoProposalChosen() throws {
        let e = try engine(TestConfig.make(ikeProposal: "aes128gcm16-prfsha256-ecp256"))
        var i = TestInitiator()
        let r = try IKEMessage.decode(try XCTUnwrap(send(e, i, i.initRequestBytes())))
        XCTAssertEqual(r.payloads.notifies.map(\.type), [.noProposalChosen])
        XCTAssertEqual(e.counters.noProposal, 1)
    }

    func testPastTheThresholdOnlyCookieEchoesGetState() throws {
        let e = try engine(TestConfig.make(cookieThreshold: 0))
        var i = TestInitiator()
        let r = try IKEMessage.decode(try XCTUnwrap(send(e, i, i.initRequestBytes())))
        let cookie = try XCTUnwrap(r.payloads.notify(.cookie)?.data)
        XCTAssertTrue(e.reports(now: now).isEmpty)
        let r2 = try IKEMessage.decode(try XCTUnwrap(send(e, i, i.initRequestBytes(cookie: cookie))))
        XCTAssertNotEqual(r2.header.responderSPI, 0)
        var forged = cookie; forged[forged.count - 1] ^= 1
        i.spiI += 1
        let r3 = try IKEMessage.decode(try XCTUnwrap(send(e, i, i.initRequestBytes(cookie: forged))))
        XCTAssertNotNil(r3.payloads.notify(.cookie), "a forged cookie gets a new challenge, not state")
        XCTAssertEqual(e.counters.cookiesSent, 2)
    }

    func testDeletesFromThePeerRemoveChildAndIKESA() throws {
        let e = try engine()
        var i = TestInitiator()
        _ = try establish(e, &i)
        let child = try XCTUnwrap(plane.installed.values.first)
        let del = try i.sealed(.informational, messageID: 2, [.delete(.childSAs(.esp, spis: [i.espSPI]))])
        let (_, reply) = try i.opened(try XCTUnwrap(send(e, i, del)))
        guard case .delete(let d)? = reply.first else { return XCTFail("no delete in the answer") }
        XCTAssertEqual(d.spis32, [child.inboundSPI], "we answer with our SPI of the pair (RFC 7296 1.4.1)")
        XCTAssertTrue(plane.installed.isEmpty)
        let dpd = try i.sealed(.informational, messageID: 3, [])
        XCTAssertEqual(try i.opened(try XCTUnwrap(send(e, i, dpd))).1.count, 0, "liveness check: empty answer")
        let delIKE = try i.sealed(.informational, messageID: 4, [.delete(.ikeSA)])
        XCTAssertNotNil(send(e, i, delIKE))
        XCTAssertTrue(e.reports(now: now).isEmpty)
    }

    func testASilentPeerIsCheckedThenDeclaredDead() throws {
        let e = try engine(TestConfig.make(dpd: IKEDPD(interval: .seconds(10), timeout: .seconds(30))))
        var i = TestInitiator()
        _ = try establish(e, &i)
        now = now + .seconds(11)
        let check = e.tick(now: now)
        XCTAssertEqual(check.count, 1, "a liveness check after the interval")
        XCTAssertEqual(try i.opened(check[0].bytes).1.count, 0)
        for _ in 0..<40 { now = now + .seconds(1); _ = e.tick(now: now) }
        XCTAssertTrue(e.reports(now: now).isEmpty, "dead after the DPD timeout")
        XCTAssertTrue(plane.installed.isEmpty, "its CHILD SAs left the fast path")
    }

    func testGarbageIsCountedNotFatal() throws {
        let e = try engine()
        let i = TestInitiator()
        XCTAssertNil(send(e, i, [1, 2, 3]))
        var bad = i.initRequest.isEmpty ? [UInt8](repeating: 0, count: 28) : i.initRequest
        bad[17] = 0x10   // version 1
        XCTAssertNil(send(e, i, bad))
        XCTAssertEqual(e.counters.malformed, 2)
    }
}

import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// Two engines back to back, one initiating (a site), one answering (the concentrator):
/// every datagram one returns is handed to the other until both are quiet.
final class EngineToEngineTests: XCTestCase {
    let now = IKETime(nanoseconds: 7_000_000_000)

    static func siteConfig(proposal: String = "aes128gcm16-prfsha256-x25519", psk: [UInt8] = TestConfig.psk) -> IKEConfig {
        let loc = TestConfig.loc
        let ike = IKEPolicyTemplate(name: "ike", proposals: [try! IKEProposal.parse(proposal).get()], location: loc)
        let esp = IPsecPolicyTemplate(name: "esp", proposals: [try! ESPProposal.parse("aes128gcm16-esn").get()], location: loc)
        let policy = SecurityPolicy(name: "lan", localTS: [ConfigTS(prefix: IPPrefix("10.2.0.0/24")!)],
                                    remoteTS: [ConfigTS(prefix: IPPrefix("10.1.0.0/24")!)], ipsecPolicy: "esp", location: loc)
        let vpn = VPNDefinition(name: "hq", ikePolicy: "ike", ipsecPolicy: "esp", localAddress: IPAddress("192.0.2.2")!,
                                remoteAddress: .address(IPAddress("192.0.2.1")!), localID: try! IKEIdentity.parse("site1.strait.test").get(),
                                remoteID: try! IKEIdentity.parse("gw.strait.test").get(), localAuth: .psk, remoteAuth: .psk,
                                psk: PSK(bytes: psk), securityPolicies: [policy], location: loc)
        return IKEConfig(ikePolicyTemplates: [ike], ipsecPolicyTemplates: [esp], vpns: [vpn])
    }

    /// Deliver datagrams back and forth; returns how many crossed.
    @discardableResult
    func pump(_ first: [IKEDatagram], site: IKEEngine, gw: IKEEngine) -> Int {
        var toGW = first, toSite: [IKEDatagram] = [], n = 0
        // What one side sends from local to remote, the other receives on remote from local.
        let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }
        while !toGW.isEmpty || !toSite.isEmpty, n < 50 {
            for d in toGW { n += 1; toSite += gw.receive(flip(d), now: now) }
            toGW = []
            for d in toSite { n += 1; toGW += site.receive(flip(d), now: now) }
            toSite = []
        }
        return n
    }

    func testASiteInitiatesAndBothEndsInstallMatchingChildSAs() throws {
        let sitePlane = FakeDataPlane(), gwPlane = FakeDataPlane()
        sitePlane.nextSPI = 0x5100_0001
        let site = try IKEEngine(config: Self.siteConfig(), dataPlane: sitePlane, logger: Logger(label: "site"), now: now)
        let gw = try IKEEngine(config: TestConfig.make(), dataPlane: gwPlane, logger: Logger(label: "gw"), now: now)
        XCTAssertEqual(pump(try site.initiate(vpn: "hq", now: now), site: site, gw: gw), 4, "IKE_SA_INIT and IKE_AUTH, two messages each")
        XCTAssertEqual(site.reports(now: now).first?.state, "established")
        XCTAssertEqual(gw.reports(now: now).first?.state, "established")
        XCTAssertEqual(site.reports(now: now).first?.role, .initiator)
        let s = try XCTUnwrap(sitePlane.installed.values.first), g = try XCTUnwrap(gwPlane.installed.values.first)
        XCTAssertEqual(s.outboundSPI, g.inboundSPI)
        XCTAssertEqual(g.outboundSPI, s.inboundSPI)
        XCTAssertTrue(s.outboundKey.constantTimeEquals(g.inboundKey))
        XCTAssertTrue(g.outboundKey.constantTimeEquals(s.inboundKey))
        XCTAssertFalse(s.outboundKey.constantTimeEquals(s.inboundKey), "each direction has its own key")
        XCTAssertEqual(s.localTS, g.remoteTS)
        XCTAssertEqual(s.remoteTS, g.localTS)
        // Terminate from the site: both ends clean up.
        pump(site.terminate(ikeSA: try XCTUnwrap(site.reports(now: now).first?.id), now: now), site: site, gw: gw)
        XCTAssertTrue(site.reports(now: now).isEmpty)
        XCTAssertTrue(gw.reports(now: now).isEmpty)
        XCTAssertTrue(sitePlane.installed.isEmpty && gwPlane.installed.isEmpty)
    }

    func testTheInitiatorRetriesWithTheGroupTheResponderAsksFor() throws {
        let site = try IKEEngine(config: Self.siteConfig(proposal: "aes128gcm16-prfsha256-x25519-ecp256"), dataPlane: FakeDataPlane(),
                                 logger: Logger(label: "site"), now: now)
        let gw = try IKEEngine(config: TestConfig.make(ikeProposal: "aes128gcm16-prfsha256-ecp256"), dataPlane: FakeDataPlane(),
                               logger: Logger(label: "gw"), now: now)
        XCTAssertEqual(pump(try site.initiate(vpn: "hq", now: now), site: site, gw: gw), 6)
        XCTAssertEqual(site.reports(now: now).first?.proposal, "aes128gcm16-prfsha256-ecp256")
        XCTAssertEqual(gw.reports(now: now).first?.state, "established")
    }

    func testTheInitiatorNoticesAWrongPSK() throws {
        let sitePlane = FakeDataPlane()
        let site = try IKEEngine(config: Self.siteConfig(psk: Array("a-different-psk-of-some-length".utf8)), dataPlane: sitePlane,
                                 logger: Logger(label: "site"), now: now)
        let gw = try IKEEngine(config: TestConfig.make(), dataPlane: FakeDataPlane(), logger: Logger(label: "gw"), now: now)
        pump(try site.initiate(vpn: "hq", now: now), site: site, gw: gw)
        XCTAssertTrue(site.reports(now: now).isEmpty)
        XCTAssertTrue(gw.reports(now: now).isEmpty)
        XCTAssertEqual(sitePlane.released.count, 1, "the reserved inbound SPI went back")
    }

    func testAnUnansweredIKEAuthIsRetransmittedThenItsSPIGoesBack() throws {
        let sitePlane = FakeDataPlane()
        let site = try IKEEngine(config: Self.siteConfig(), dataPlane: sitePlane, logger: Logger(label: "site"), now: now)
        let gw = try IKEEngine(config: TestConfig.make(), dataPlane: FakeDataPlane(), logger: Logger(label: "gw"), now: now)
        let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }
        let initReq = try site.initiate(vpn: "hq", now: now)
        let auth = initReq.flatMap { gw.receive(flip($0), now: now) }.flatMap { site.receive(flip($0), now: now) }
        XCTAssertEqual(auth.count, 1, "IKE_AUTH sent; the test drops it")
        var t = now, resent = 0
        for _ in 0..<80 { t = t + .milliseconds(500); resent += site.tick(now: t).count }
        XCTAssertGreaterThanOrEqual(resent, 3, "IKE_AUTH retransmitted")
        XCTAssertTrue(site.reports(now: t).isEmpty, "given up after the half-open timeout")
        XCTAssertEqual(sitePlane.released.count, 1, "the inbound SPI reserved for its CHILD SA went back")
    }

    func testAnUnansweredInitiationGivesUpAfterTheRetransmits() throws {
        let site = try IKEEngine(config: Self.siteConfig(), dataPlane: FakeDataPlane(), logger: Logger(label: "site"), now: now)
        _ = try site.initiate(vpn: "hq", now: now)
        var t = now, sent = 0
        for _ in 0..<600 { t = t + .milliseconds(500); sent += site.tick(now: t).count }
        XCTAssertEqual(sent, 5, "the configured tries, then nothing")
        XCTAssertEqual(site.counters.retransmitsSent, 5)
    }
}

/// RFC 7383: with a small fragment size both engines fragment IKE_AUTH, reassemble, and the
/// tunnel comes up the same way.
final class FragmentationTests: XCTestCase {
    let now = IKETime(nanoseconds: 9_000_000_000)

    func testIKEAuthInFragmentsBothWays() throws {
        let sitePlane = FakeDataPlane(), gwPlane = FakeDataPlane()
        let site = try IKEEngine(config: EngineToEngineTests.siteConfig(), dataPlane: sitePlane, logger: Logger(label: "site"), now: now)
        let gw = try IKEEngine(config: TestConfig.make(), dataPlane: gwPlane, logger: Logger(label: "gw"), now: now)
        site.ctx.fragmentSize = 120
        gw.ctx.fragmentSize = 120
        var toGW = try site.initiate(vpn: "hq", now: now), toSite: [IKEDatagram] = []
        var fragmentsSeen = 0, rounds = 0
        let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }
        while !toGW.isEmpty || !toSite.isEmpty, rounds < 10 {
            rounds += 1
            for d in toGW + toSite where (try? IKEMessage.decode(d.bytes))?.payloads.encryptedFragment != nil { fragmentsSeen += 1 }
            let a = toGW.flatMap { gw.receive(flip($0), now: now) }
            let b = toSite.flatMap { site.receive(flip($0), now: now) }
            toSite = a
            toGW = b
        }
        XCTAssertGreaterThan(fragmentsSeen, 4, "IKE_AUTH went in fragments both ways")
        XCTAssertEqual(gw.reports(now: now).first?.state, "established")
        XCTAssertEqual(site.reports(now: now).first?.state, "established")
        XCTAssertEqual(gwPlane.installed.count, 1)
        XCTAssertEqual(sitePlane.installed.count, 1)
    }
}

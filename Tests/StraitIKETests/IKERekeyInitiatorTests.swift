import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// IKE SA rekeys we start (RFC 7296 1.3.2, 2.18), simultaneous ones (2.8.2, 2.25.2) and IKE SA
/// lifetimes, engine to engine: a site (initiator of the first IKE SA) and the gateway.
final class IKERekeyInitiatorTests: XCTestCase {
    var now = IKETime(nanoseconds: 11_000_000_000)
    let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }

    /// The IKE SA times of `c` (no jitter, no DPD: the ticks below send only what the test expects).
    static func timed(_ c: IKEConfig, rekey: Duration, over: Duration = .seconds(30), reauth: Duration = .zero) -> IKEConfig {
        var c = c
        c.ikePolicyTemplates = c.ikePolicyTemplates.map {
            IKEPolicyTemplate(name: $0.name, proposals: $0.proposals, uniqueSA: $0.uniqueSA, rekeyTime: rekey, reauthTime: reauth,
                              overTime: over, randTime: .zero, dpd: IKEDPD(interval: .zero), location: $0.location)
        }
        return c
    }

    /// Both ways at once, round by round: `a` goes to the gateway, `b` to the site, and what
    /// each sends in a round reaches the other in the next.
    func pump(_ a: [IKEDatagram], _ b: [IKEDatagram], site: IKEEngine, gw: IKEEngine) {
        var toGW = a, toSite = b, n = 0
        while !(toGW.isEmpty && toSite.isEmpty), n < 20 {
            n += 1
            let fromGW = toGW.flatMap { gw.receive(flip($0), now: now) }
            let fromSite = toSite.flatMap { site.receive(flip($0), now: now) }
            toSite = fromGW
            toGW = fromSite
        }
    }

    func up(site sc: IKEConfig = EngineToEngineTests.siteConfig(), gw gc: IKEConfig = TestConfig.make())
        throws -> (IKEEngine, IKEEngine, FakeDataPlane, FakeDataPlane) {
        let sp = FakeDataPlane(), gp = FakeDataPlane()
        sp.nextSPI = 0x5100_0001
        let site = try IKEEngine(config: sc, dataPlane: sp, logger: Logger(label: "site"), now: now)
        let gw = try IKEEngine(config: gc, dataPlane: gp, logger: Logger(label: "gw"), now: now)
        pump(try site.initiate(vpn: "hq", now: now), [], site: site, gw: gw)
        XCTAssertEqual(gp.installed.count, 1)
        XCTAssertEqual(sp.installed.count, 1)
        return (site, gw, sp, gp)
    }

    /// One IKE SA at each end, the same SPI pair, the CHILD SA on it, and only the SPIs of
    /// live SAs reserved. Returns the gateway's SA.
    @discardableResult
    func oneMatchingIKESA(_ site: IKEEngine, _ gw: IKEEngine, file: StaticString = #filePath, line: UInt = #line) throws -> IKESA {
        XCTAssertEqual(site.sas.count, 1, "one IKE SA at the site", file: file, line: line)
        XCTAssertEqual(gw.sas.count, 1, "one IKE SA at the gateway", file: file, line: line)
        let s = try XCTUnwrap(site.sas.values.first), g = try XCTUnwrap(gw.sas.values.first)
        XCTAssertEqual(s.spiI, g.spiI, file: file, line: line)
        XCTAssertEqual(s.spiR, g.spiR, file: file, line: line)
        XCTAssertEqual(s.state, .established, file: file, line: line)
        XCTAssertEqual(g.state, .established, file: file, line: line)
        XCTAssertEqual(s.children.count, 1, file: file, line: line)
        XCTAssertEqual(g.children.count, 1, file: file, line: line)
        XCTAssertEqual(site.ctx.usedSPIs, Set(site.sas.keys), "no IKE SPI left reserved", file: file, line: line)
        XCTAssertEqual(gw.ctx.usedSPIs, Set(gw.sas.keys), "no IKE SPI left reserved", file: file, line: line)
        return g
    }

    func testTheGatewayRekeysItsIKESAAndTheChildSAsStayAsTheyAre() throws {
        let (site, gw, sp, gp) = try up(gw: Self.timed(TestConfig.make(), rekey: .seconds(60)))
        let old = try XCTUnwrap(gw.sas.values.first)
        let oldID = old.id, oldSK_d = old.keys.skD
        let handlesGW = Set(gp.installed.keys), handlesSite = Set(sp.installed.keys)
        var rekeyed: [(UInt64, IKESAReport)] = []
        gw.bus.subscribe { if case .ikeSARekeyed(let o, let n) = $0 { rekeyed.append((o, n)) } }
        now = now + .seconds(59)
        XCTAssertTrue(gw.tick(now: now).isEmpty, "not before rekey-time")
        now = now + .seconds(2)
        let request = gw.tick(now: now)
        XCTAssertEqual(request.count, 1)
        XCTAssertEqual(try IKEHeader.peek(request[0].bytes).header.exchangeType, .createChildSA)
        pump([], request, site: site, gw: gw)
        let new = try oneMatchingIKESA(site, gw)
        XCTAssertNotEqual(new.id, oldID)
        XCTAssertNil(gw.sas[oldID], "the old IKE SA is gone, with its keys")
        XCTAssertEqual(new.role, .initiator, "we started the rekey: we are the new SA's original initiator")
        XCTAssertFalse(new.keys.skD.constantTimeEquals(oldSK_d), "new keys")
        XCTAssertEqual(Set(gp.installed.keys), handlesGW, "the CHILD SA stayed in the fast path untouched")
        XCTAssertEqual(Set(sp.installed.keys), handlesSite)
        XCTAssertTrue(gp.removed.isEmpty && sp.removed.isEmpty)
        XCTAssertEqual(rekeyed.map(\.0), [oldID], "one rekeyed event, for HA")
        XCTAssertEqual(rekeyed.first?.1.id, new.id)
        XCTAssertEqual(rekeyed.first?.1.children.count, 1)
        // The new SA carries on: a CHILD SA rekey over it derives from its SK_d at both ends.
        pump([], gw.childSAExpired(cookie: try XCTUnwrap(gp.installed.values.first).cookie, hard: false, now: now), site: site, gw: gw)
        let g = try XCTUnwrap(gp.installed.values.first), s = try XCTUnwrap(sp.installed.values.first)
        XCTAssertFalse(handlesGW.contains(try XCTUnwrap(gp.installed.keys.first)), "rekeyed CHILD SA")
        XCTAssertTrue(g.outboundKey.constantTimeEquals(s.inboundKey))
        // And it is rekeyed again when its own rekey-time comes.
        now = now + .seconds(61)
        pump([], gw.tick(now: now), site: site, gw: gw)
        XCTAssertNotEqual(try oneMatchingIKESA(site, gw).id, new.id)
    }

    func testTheSiteRekeysItsIKESAAgainstTheGateway() throws {
        let (site, gw, _, gp) = try up(site: Self.timed(EngineToEngineTests.siteConfig(), rekey: .seconds(60)))
        let before = try XCTUnwrap(gw.sas.values.first).id, handles = Set(gp.installed.keys)
        now = now + .seconds(61)
        pump(site.tick(now: now), [], site: site, gw: gw)
        let g = try oneMatchingIKESA(site, gw)
        XCTAssertNotEqual(g.id, before)
        XCTAssertEqual(g.role, .responder)
        XCTAssertEqual(Set(gp.installed.keys), handles)
    }

    /// RFC 7296 2.8.2: both ends rekey at once; the new SA made by the exchange holding the
    /// lowest of the four nonces is deleted by its maker, the other inherits the CHILD SAs.
    /// The expected survivor is worked out here from the nonces, independently of the engine.
    func testSimultaneousIKERekeysKeepTheSAWithoutTheLowestNonce() throws {
        var outcomes: Set<String> = []
        for _ in 0..<16 {
            let (site, gw, sp, gp) = try up(site: Self.timed(EngineToEngineTests.siteConfig(), rekey: .seconds(60)),
                                            gw: Self.timed(TestConfig.make(), rekey: .seconds(60)))
            let oldID = try XCTUnwrap(gw.sas.values.first).id, siteOldID = try XCTUnwrap(site.sas.values.first).id
            let handles = Set(gp.installed.keys)
            now = now + .seconds(61)
            let fromSite = site.tick(now: now), fromGW = gw.tick(now: now)
            XCTAssertEqual(fromSite.count + fromGW.count, 2, "both send CREATE_CHILD_SA")
            // Each answers the other's request while its own is in flight.
            let answersFromGW = fromSite.flatMap { gw.receive(flip($0), now: now) }
            let answersFromSite = fromGW.flatMap { site.receive(flip($0), now: now) }
            // The new SAs so far, each at the end that answered: their nonces are the exchanges'.
            let siteMade = try XCTUnwrap(gw.sas.values.first { $0.id != oldID })
            let gwMade = try XCTUnwrap(site.sas.values.first { $0.id != siteOldID })
            let all = [siteMade.nonceI, siteMade.nonceR, gwMade.nonceI, gwMade.nonceR]
            let lowest = all.min { $0.lexicographicallyPrecedes($1) }!
            let survivor = [siteMade.nonceI, siteMade.nonceR].contains(lowest) ? (gwMade.spiI, gwMade.spiR) : (siteMade.spiI, siteMade.spiR)
            outcomes.insert(survivor.0 == gwMade.spiI ? "gateway's" : "site's")
            pump(answersFromSite, answersFromGW, site: site, gw: gw)
            let g = try oneMatchingIKESA(site, gw)
            XCTAssertEqual(g.spiI, survivor.0, "the SA without the lowest nonce survives")
            XCTAssertEqual(g.spiR, survivor.1)
            XCTAssertEqual(Set(gp.installed.keys), handles, "the CHILD SA moved, untouched")
            XCTAssertTrue(gp.removed.isEmpty && sp.removed.isEmpty)
        }
        XCTAssertEqual(outcomes.count, 2, "both outcomes seen over 16 collisions (random nonces)")
    }
}

/// 2.8.2's one-sided case and 2.25's TEMPORARY_FAILUREs: exchanges that cross a rekey.
extension IKERekeyInitiatorTests {
    /// The site finishes its rekey before it sees the gateway's: it refuses the gateway's
    /// (TEMPORARY_FAILURE, it is closing that SA) and deletes the old SA. The gateway, which
    /// saw both, lets its own attempt go, whichever of the two comes first.
    func testAOneSidedCollisionEndsOnThePeersNewSA() throws {
        for refusalFirst in [true, false] {
            let (site, gw, sp, gp) = try up(site: Self.timed(EngineToEngineTests.siteConfig(), rekey: .seconds(60)),
                                            gw: Self.timed(TestConfig.make(), rekey: .seconds(60)))
            let handles = Set(gp.installed.keys)
            now = now + .seconds(61)
            let gwRequest = gw.tick(now: now), siteRequest = site.tick(now: now)
            let gwAnswer = siteRequest.flatMap { gw.receive(flip($0), now: now) }
            let siteDelete = gwAnswer.flatMap { site.receive(flip($0), now: now) }
            XCTAssertEqual(site.sas.count, 2, "the site's rekey is done; it deletes the old SA")
            let refusal = gwRequest.flatMap { site.receive(flip($0), now: now) }
            XCTAssertEqual(refusal.count, 1)
            if refusalFirst {
                pump(refusal, [], site: site, gw: gw)
                pump(siteDelete, [], site: site, gw: gw)
            } else {
                pump(siteDelete, [], site: site, gw: gw)
                pump(refusal, [], site: site, gw: gw)
            }
            let g = try oneMatchingIKESA(site, gw)
            XCTAssertEqual(g.role, .responder, "the site's new SA")
            XCTAssertEqual(Set(gp.installed.keys), handles)
            XCTAssertTrue(gp.removed.isEmpty && sp.removed.isEmpty)
        }
    }

    func testACHILDSARekeyDuringOurIKESARekeyIsAskedToWait() throws {
        let (site, gw, sp, gp) = try up(gw: Self.timed(TestConfig.make(), rekey: .seconds(60)))
        now = now + .seconds(61)
        let ikeRekey = gw.tick(now: now)
        let childRekey = site.childSAExpired(cookie: try XCTUnwrap(sp.installed.values.first).cookie, hard: false, now: now)
        XCTAssertEqual(childRekey.count, 1)
        let refusal = childRekey.flatMap { gw.receive(flip($0), now: now) }
        XCTAssertEqual(gp.installed.count, 1, "no new CHILD SA at the gateway")
        XCTAssertTrue(refusal.flatMap { site.receive(flip($0), now: now) }.isEmpty)
        XCTAssertEqual(sp.released.count, 1, "the site gave back its new inbound SPI and waits")
        pump([], ikeRekey, site: site, gw: gw)
        try oneMatchingIKESA(site, gw)
        let handles = Set(gp.installed.keys)
        now = now + .seconds(31)
        pump(site.tick(now: now), [], site: site, gw: gw)
        try oneMatchingIKESA(site, gw)
        XCTAssertNotEqual(Set(gp.installed.keys), handles, "the CHILD SA rekey went through on the new IKE SA")
        XCTAssertEqual(gp.installed.count, 1)
    }

    func testAnIKESARekeyDuringOurCHILDSARekeyIsAskedToWait() throws {
        let (site, gw, sp, gp) = try up(site: Self.timed(EngineToEngineTests.siteConfig(), rekey: .seconds(60)))
        let before = try XCTUnwrap(gw.sas.values.first).id
        now = now + .seconds(61)
        let childRekey = gw.childSAExpired(cookie: try XCTUnwrap(gp.installed.values.first).cookie, hard: false, now: now)
        let ikeRekey = site.tick(now: now)
        let refusal = ikeRekey.flatMap { gw.receive(flip($0), now: now) }
        XCTAssertEqual(gw.sas.count, 1, "no new IKE SA while a CHILD SA of it is being rekeyed")
        // The refusal first: the site's IKE rekey is over before the gateway's CHILD rekey
        // reaches it (the other order refuses that one too, 2.25.2).
        pump([], refusal, site: site, gw: gw)
        pump([], childRekey, site: site, gw: gw)
        XCTAssertEqual(try oneMatchingIKESA(site, gw).id, before)
        XCTAssertEqual(gp.installed.count, 1, "the CHILD SA rekey went through")
        now = now + .seconds(26)
        pump(site.tick(now: now), [], site: site, gw: gw)
        XCTAssertNotEqual(try oneMatchingIKESA(site, gw).id, before, "rekeyed 15 to 25 s after the TEMPORARY_FAILURE")
        XCTAssertTrue(sp.removed.count == 1 && gp.removed.count == 1, "only the CHILD SA's old pair went")
    }

    func testAnUnansweredIKESARekeyKillsTheSALikeAnyRetransmitTimeout() throws {
        var gc = Self.timed(TestConfig.make(), rekey: .seconds(60))
        gc.retransmit = IKERetransmit(timeout: .seconds(1), tries: 3, base: 1.5)
        let (_, gw, _, gp) = try up(gw: gc)
        now = now + .seconds(61)
        var sent = 0
        for _ in 0..<40 { now = now + .milliseconds(500); sent += gw.tick(now: now).count }
        XCTAssertEqual(sent, 4, "the request and 3 retransmits, dropped")
        XCTAssertTrue(gw.sas.isEmpty, "the peer is dead")
        XCTAssertTrue(gp.installed.isEmpty, "its CHILD SAs went")
        XCTAssertTrue(gw.ctx.usedSPIs.isEmpty, "the new SA's SPI went back too")
    }

    /// reauth-time: the SA is deleted; the end that made it starts a new one (2.8.3).
    func testReauthTimeReplacesTheIKESAFromScratch() throws {
        let sc = Self.timed(EngineToEngineTests.siteConfig(), rekey: .zero, over: .seconds(10), reauth: .seconds(120))
        let (site, gw, sp, gp) = try up(site: sc)
        let before = try XCTUnwrap(gw.sas.values.first).id, handles = Set(sp.installed.keys)
        now = now + .seconds(121)
        pump(site.tick(now: now), [], site: site, gw: gw)
        XCTAssertNotEqual(try oneMatchingIKESA(site, gw).id, before)
        XCTAssertTrue(Set(sp.installed.keys).isDisjoint(with: handles), "new CHILD SA")
        XCTAssertEqual(gp.installed.count, 1)
        // As the responder it only deletes: the peer starts again if it wants to.
        let (site2, gw2, _, gp2) = try up(gw: Self.timed(TestConfig.make(), rekey: .zero, over: .seconds(10), reauth: .seconds(120)))
        now = now + .seconds(121)
        pump([], gw2.tick(now: now), site: site2, gw: gw2)
        XCTAssertTrue(gw2.sas.isEmpty && site2.sas.isEmpty && gp2.installed.isEmpty)
    }
}

/// Against a hand-written peer that refuses the rekey: INVALID_KE_PAYLOAD, TEMPORARY_FAILURE,
/// and the IKE SA's hard lifetime (rekey-time + over-time).
extension IKERekeyInitiatorTests {
    func handshake(_ config: IKEConfig, _ plane: FakeDataPlane) throws -> (IKEEngine, TestInitiator) {
        let e = try IKEEngine(config: config, dataPlane: plane, logger: Logger(label: "gw"), now: now)
        var i = TestInitiator()
        let d = { (b: [UInt8]) in IKEDatagram(local: i.gateway, remote: i.local, bytes: b) }
        try i.takeInitResponse(try XCTUnwrap(e.receive(d(i.initRequestBytes()), now: now).first).bytes)
        _ = try XCTUnwrap(e.receive(d(try i.authRequest()), now: now).first)
        XCTAssertEqual(plane.installed.count, 1)
        return (e, i)
    }

    func testAnIKESANotRekeyedByOverTimeIsDeletedWithItsChildSAs() throws {
        let plane = FakeDataPlane()
        let (gw, i) = try handshake(Self.timed(TestConfig.make(), rekey: .seconds(60), over: .seconds(40)), plane)
        let start = now
        var t = now, requests = 0, deletedAt: IKETime?
        while t < start + .seconds(130), deletedAt == nil {
            t = t + .seconds(1)
            for d in gw.tick(now: t) {
                let (h, p) = try i.opened(d.bytes)
                if h.exchangeType == .createChildSA {
                    requests += 1
                    XCTAssertEqual(p.map(\.type), [.securityAssociation, .nonce, .keyExchange])
                    XCTAssertEqual(p.securityAssociation?.proposals.first?.spi.count, 8, "the new IKE SPI")
                    let refusal = try i.answer(.createChildSA, messageID: h.messageID, [.notify(NotifyPayload(type: .temporaryFailure))])
                    XCTAssertTrue(gw.receive(IKEDatagram(local: i.gateway, remote: i.local, bytes: refusal), now: t).isEmpty)
                } else if h.exchangeType == .informational, p.contains(where: { if case .delete(let x) = $0 { return x.protocolID == .ike }; return false }) {
                    deletedAt = t
                }
            }
        }
        XCTAssertGreaterThanOrEqual(requests, 2, "after TEMPORARY_FAILURE it tries again, later")
        XCTAssertEqual(deletedAt, start + .seconds(100), "deleted at rekey-time + over-time")
        XCTAssertTrue(plane.installed.isEmpty, "with its CHILD SA")
    }

    func testInvalidKEPayloadIsRetriedOnceWithTheGroupAskedFor() throws {
        let plane = FakeDataPlane()
        let (gw, i) = try handshake(Self.timed(TestConfig.make(ikeProposal: "aes128gcm16-prfsha256-x25519-ecp256"), rekey: .seconds(60)), plane)
        now = now + .seconds(61)
        let first = try i.opened(try XCTUnwrap(gw.tick(now: now).first).bytes)
        XCTAssertEqual(first.1.keyExchange?.group, .curve25519, "the IKE SA's group first")
        func refuse(_ h: IKEHeader, _ n: NotifyPayload) throws -> [IKEDatagram] {
            gw.receive(IKEDatagram(local: i.gateway, remote: i.local, bytes: try i.answer(.createChildSA, messageID: h.messageID, [.notify(n)])), now: now)
        }
        let again = try refuse(first.0, .invalidKEPayload(accepted: .ecp256))
        let second = try i.opened(try XCTUnwrap(again.first).bytes)
        XCTAssertEqual(second.1.keyExchange?.group, .ecp256)
        XCTAssertEqual(second.0.messageID, first.0.messageID + 1)
        XCTAssertTrue(try refuse(second.0, .invalidKEPayload(accepted: .curve25519)).isEmpty, "once only")
        XCTAssertEqual(gw.ctx.usedSPIs, Set(gw.sas.keys), "the new SPIs went back")
        XCTAssertEqual(plane.installed.count, 1, "the SA lives on until it can be rekeyed or over-time ends it")
    }
}

extension TestInitiator {
    /// An answer to the gateway's request: we are the original initiator (I flag) responding.
    func answer(_ exchange: ExchangeType, messageID: UInt32, _ payloads: [IKEPayload]) throws -> [UInt8] {
        let (first, plain) = IKEMessage.encodePayloads(payloads)
        let h = IKEHeader(initiatorSPI: spiI, responderSPI: spiR, exchangeType: exchange, flags: [.initiator, .response], messageID: messageID)
        var bytes = IKEMessage(header: h, payloads: [.encrypted(EncryptedPayload(firstPayloadType: first,
            body: [UInt8](repeating: 0, count: out!.sealedLength(plaintextLength: plain.count))))]).encode()
        let loc = try IKEMessage.encryptedPayloadLocation(in: bytes)!
        bytes.replaceSubrange(loc.contentOffset..<loc.end, with: try out!.seal(messagePrefix: Array(bytes[0..<loc.contentOffset]), plaintext: plain))
        return bytes
    }
}

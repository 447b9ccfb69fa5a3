import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// CREATE_CHILD_SA as the responder: CHILD SA rekey (make-before-break) and IKE SA rekey.
final class RekeyExchangeTests: XCTestCase {
    let plane = FakeDataPlane()
    let now = IKETime(nanoseconds: 5_000_000_000)

    private func up() throws -> (IKEEngine, TestInitiator) {
        let e = try IKEEngine(config: TestConfig.make(), dataPlane: plane, logger: Logger(label: "test"), now: now)
        var i = TestInitiator()
        let d = { (b: [UInt8]) in IKEDatagram(local: i.gateway, remote: i.local, bytes: b) }
        try i.takeInitResponse(try XCTUnwrap(e.receive(d(i.initRequestBytes()), now: now).first).bytes)
        _ = try XCTUnwrap(e.receive(d(try i.authRequest()), now: now).first)
        return (e, i)
    }

    func testChildRekeyInstallsTheNewPairBeforeTheOldGoes() throws {
        let (e, i) = try up()
        let old = try XCTUnwrap(plane.installed.values.first)
        let ni = secureRandomBytes(32)
        let esp = Proposal.esp(number: 1, spi: 0xaabb_0002, transforms: [.encryption(.aesGCM16, keyLength: 128), .extendedSequenceNumbers(.esn)])
        let req = try i.sealed(.createChildSA, messageID: 2, [
            .notify(NotifyPayload(protocolID: .esp, spi: [0xaa, 0xbb, 0, 1], type: .rekeySA)),
            .securityAssociation(SecurityAssociationPayload(proposals: [esp])), .nonce(NoncePayload(data: ni)),
            .trafficSelectorsInitiator(TrafficSelectorsPayload(selectors: [.addressRange(AddressRangeSelector(prefix: IPPrefix("10.2.0.0/24")!))])),
            .trafficSelectorsResponder(TrafficSelectorsPayload(selectors: [.addressRange(AddressRangeSelector(prefix: IPPrefix("10.1.0.0/24")!))])),
        ])
        let out = e.receive(IKEDatagram(local: i.gateway, remote: i.local, bytes: req), now: now)
        let (_, reply) = try i.opened(try XCTUnwrap(out.first).bytes)
        XCTAssertEqual(reply.types, [.securityAssociation, .nonce, .trafficSelectorsInitiator, .trafficSelectorsResponder])
        XCTAssertEqual(plane.installed.count, 2, "new pair in, old pair still there")
        let new = try XCTUnwrap(plane.installed.values.first { $0.outboundSPI == 0xaabb_0002 })
        let keys = try IKEKeyDerivation.childSAKeys(prf: .hmacSHA2_256, skD: i.keys!.skD,
                                                    suite: try ChildSASuite(encryption: try EncryptionAlgorithm(.aesGCM16, keyLengthBits: 128), integrity: nil),
                                                    nonceI: ni, nonceR: try XCTUnwrap(reply.nonce?.data))
        XCTAssertTrue(new.inboundKey.constantTimeEquals(keys.initiatorToResponder.encryption), "keys from the new nonces")
        // The initiator then deletes the old SA.
        let del = try i.sealed(.informational, messageID: 3, [.delete(.childSAs(.esp, spis: [i.espSPI]))])
        _ = e.receive(IKEDatagram(local: i.gateway, remote: i.local, bytes: del), now: now)
        XCTAssertEqual(plane.installed.count, 1)
        XCTAssertEqual(plane.removed.map(\.inboundSPI), [old.inboundSPI])
    }

    func testIKERekeyMovesTheChildrenToTheNewSA() throws {
        let (e, i) = try up()
        let oldID = try XCTUnwrap(e.reports(now: now).first?.id)
        let ni = secureRandomBytes(32)
        let dh = try KeyExchange(group: .curve25519)
        let newSPIi: UInt64 = 0x0102_0304_0506_0708
        let proposal = Proposal.ike(number: 1, spi: newSPIi, transforms: [.encryption(.aesGCM16, keyLength: 128), .prf(.hmacSHA2_256), .keyExchange(.curve25519)])
        let req = try i.sealed(.createChildSA, messageID: 2, [
            .securityAssociation(SecurityAssociationPayload(proposals: [proposal])), .nonce(NoncePayload(data: ni)),
            .keyExchange(KeyExchangePayload(group: .curve25519, data: dh.publicValue)),
        ])
        let (_, reply) = try i.opened(try XCTUnwrap(e.receive(IKEDatagram(local: i.gateway, remote: i.local, bytes: req), now: now).first).bytes)
        let newSPIr = try XCTUnwrap(reply.securityAssociation?.proposals.first?.spi64)
        // The initiator derives the new SA's keys (RFC 7296 2.18) and talks on it: message ID 0.
        let shared = try dh.sharedSecret(peerPublicValue: try XCTUnwrap(reply.keyExchange?.data))
        let suite = try IKESASuite(prf: .hmacSHA2_256, encryption: try EncryptionAlgorithm(.aesGCM16, keyLengthBits: 128), integrity: nil)
        let keys = try IKEKeyDerivation.rekeyedIKESAKeys(old: i.keys!, newSuite: suite, sharedSecret: shared, nonceI: ni,
                                                         nonceR: try XCTUnwrap(reply.nonce?.data), spiI: newSPIi, spiR: newSPIr)
        var j = i
        j.spiI = newSPIi
        j.spiR = newSPIr
        j.keys = keys
        (j.out, j.inn) = try SKCipher.directions(for: keys, weAreOriginalInitiator: true)
        // Delete the old IKE SA on the old one; the CHILD SA must survive on the new one.
        let delOld = try i.sealed(.informational, messageID: 3, [.delete(.ikeSA)])
        _ = e.receive(IKEDatagram(local: i.gateway, remote: i.local, bytes: delOld), now: now)
        XCTAssertEqual(plane.installed.count, 1, "the CHILD SA moved, it was not deleted with the old IKE SA")
        let reports = e.reports(now: now)
        XCTAssertEqual(reports.map(\.id), [newSPIr])
        XCTAssertNotEqual(oldID, newSPIr)
        XCTAssertEqual(reports.first?.children.count, 1)
        let dpd = try j.sealed(.informational, messageID: 0, [])
        let answer = try XCTUnwrap(e.receive(IKEDatagram(local: i.gateway, remote: i.local, bytes: dpd), now: now).first)
        XCTAssertEqual(try j.opened(answer.bytes).1.count, 0, "the new SA answers with the new keys")
    }
}

/// Rekeys we start (RFC 7296 1.3.3) and simultaneous ones (2.8.1), engine to engine.
final class ChildRekeyInitiatorTests: XCTestCase {
    var now = IKETime(nanoseconds: 3_000_000_000)
    let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }

    func shortLived(_ config: IKEConfig, rekey: Duration) -> IKEConfig {
        var c = config
        c.ipsecPolicyTemplates = c.ipsecPolicyTemplates.map {
            IPsecPolicyTemplate(name: $0.name, proposals: $0.proposals, rekeyTime: rekey, lifeTime: rekey * 3, randTime: .zero,
                                location: $0.location)
        }
        return c
    }

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

    func up(siteRekey: Duration?, gwRekey: Duration?) throws -> (IKEEngine, IKEEngine, FakeDataPlane, FakeDataPlane) {
        let sp = FakeDataPlane(), gp = FakeDataPlane()
        sp.nextSPI = 0x5100_0001
        var sc = EngineToEngineTests.siteConfig(), gc = TestConfig.make()
        if let siteRekey { sc = shortLived(sc, rekey: siteRekey) }
        if let gwRekey { gc = shortLived(gc, rekey: gwRekey) }
        let site = try IKEEngine(config: sc, dataPlane: sp, logger: Logger(label: "site"), now: now)
        let gw = try IKEEngine(config: gc, dataPlane: gp, logger: Logger(label: "gw"), now: now)
        pump(try site.initiate(vpn: "hq", now: now), [], site: site, gw: gw)
        XCTAssertEqual(gp.installed.count, 1)
        return (site, gw, sp, gp)
    }

    func testTheGatewayRekeysItsCHILDSAWhenItsRekeyTimeComes() throws {
        let (site, gw, sp, gp) = try up(siteRekey: nil, gwRekey: .seconds(60))
        let oldGW = try XCTUnwrap(gp.installed.values.first)
        now = now + .seconds(61)
        pump([], gw.tick(now: now), site: site, gw: gw)
        XCTAssertEqual(gp.installed.count, 1, "new pair in, old pair out")
        XCTAssertEqual(sp.installed.count, 1)
        let g = try XCTUnwrap(gp.installed.values.first), s = try XCTUnwrap(sp.installed.values.first)
        XCTAssertNotEqual(g.inboundSPI, oldGW.inboundSPI)
        XCTAssertEqual(g.outboundSPI, s.inboundSPI)
        XCTAssertTrue(g.outboundKey.constantTimeEquals(s.inboundKey))
        XCTAssertTrue(s.outboundKey.constantTimeEquals(g.inboundKey))
        XCTAssertEqual(gp.removed.map(\.inboundSPI), [oldGW.inboundSPI])
    }

    func testSimultaneousRekeysLeaveExactlyOneMatchingPair() throws {
        for _ in 0..<8 {   // random nonces decide which exchange wins: try both outcomes
            let (site, gw, sp, gp) = try up(siteRekey: .seconds(60), gwRekey: .seconds(60))
            now = now + .seconds(61)
            pump(site.tick(now: now), gw.tick(now: now), site: site, gw: gw)
            XCTAssertEqual(gp.installed.count, 1, "one pair left at the gateway")
            XCTAssertEqual(sp.installed.count, 1, "one pair left at the site")
            let g = try XCTUnwrap(gp.installed.values.first), s = try XCTUnwrap(sp.installed.values.first)
            XCTAssertEqual(g.outboundSPI, s.inboundSPI, "the survivors are the same pair")
            XCTAssertEqual(s.outboundSPI, g.inboundSPI)
            XCTAssertTrue(g.outboundKey.constantTimeEquals(s.inboundKey))
        }
    }

    func testAChildSAPastItsHardLifetimeGoesAtBothEnds() throws {
        let (site, gw, sp, gp) = try up(siteRekey: nil, gwRekey: .seconds(60))
        // Make the rekey fail: the site refuses (no proposal), so the gateway retries until the hard limit.
        _ = site
        var t = now
        for _ in 0..<50 {
            t = t + .seconds(5)
            now = t
            let fromGW = gw.tick(now: t)
            // Drop every rekey on the floor, deliver the rest.
            let kept = fromGW.filter { (try? IKEHeader.peek($0.bytes).header.exchangeType) != .createChildSA }
            pump([], kept, site: site, gw: gw)
        }
        XCTAssertTrue(gp.installed.isEmpty, "past life-time (3 x rekey) the CHILD SA is gone")
        _ = sp
    }
}

extension ChildRekeyInitiatorTests {
    func testASoftByteLimitFromTheFastPathStartsARekey() throws {
        let (site, gw, sp, gp) = try up(siteRekey: nil, gwRekey: nil)
        let old = try XCTUnwrap(gp.installed.values.first)
        let cookie = old.cookie
        pump([], gw.childSAExpired(cookie: cookie, hard: false, now: now), site: site, gw: gw)
        XCTAssertEqual(gp.installed.count, 1)
        XCTAssertNotEqual(gp.installed.values.first?.inboundSPI, old.inboundSPI, "rekeyed on the soft limit")
        XCTAssertEqual(sp.installed.values.first?.outboundSPI, gp.installed.values.first?.inboundSPI)
    }
}

extension ChildRekeyInitiatorTests {
    /// RFC 7296 2.8.1: the SA made by the exchange holding the lowest of the four nonces is the
    /// redundant one. (The collision test above checks that both ends agree; this checks
    /// which way they agree, which a peer like strongSwan relies on.)
    func testTheExchangeWithTheLowestNonceIsTheRedundantOne() {
        let low: [UInt8] = [0x01, 0xff], mid: [UInt8] = [0x05, 0x00], high: [UInt8] = [0x09, 0x00], top: [UInt8] = [0xf0, 0x00]
        XCTAssertTrue(rekeyLoses([high, low], to: [mid, top]), "holds the lowest nonce: redundant")
        XCTAssertFalse(rekeyLoses([mid, top], to: [high, low]))
        XCTAssertTrue(rekeyLoses([[0x05, 0x00, 0x00]], to: [[0x05, 0x00, 0x01]]), "compared as byte strings")
    }
}

import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// Peers that move, against the responder driven by the test initiator: MOBIKE (RFC 4555)
/// UPDATE_SA_ADDRESSES, NAT rebinding (RFC 7296 2.23), and a peer that may not move. What
/// counts is what the data plane is told: the CHILD SA's tunnel endpoints.
final class MobikeTests: XCTestCase {
    var plane = FakeDataPlane()
    let now = IKETime(nanoseconds: 1_000_000_000)
    var events: [IKEEvent] = []
    /// Where the site writes from after it moved (a new LTE address).
    let moved = IKEEndpoint(IPAddress("198.51.100.9")!, 4500)

    func engine(mobike: Bool = true) throws -> IKEEngine {
        var config = TestConfig.make()
        config.ikePolicyTemplates[0].mobike = mobike
        let e = try IKEEngine(config: config, dataPlane: plane, logger: Logger(label: "test"), now: now)
        e.bus.subscribe { [unowned self] in self.events.append($0) }
        return e
    }

    func send(_ e: IKEEngine, from: IKEEndpoint, to: IKEEndpoint, _ bytes: [UInt8]) -> IKEDatagram? {
        let out = e.receive(IKEDatagram(local: to, remote: from, bytes: bytes), now: now)
        XCTAssertLessThanOrEqual(out.count, 1)
        return out.first
    }

    /// IKE_SA_INIT (with NAT_DETECTION_* when `natSource` names where the site thinks it is:
    /// behind a NAT when that differs from where the packet comes from), then IKE_AUTH from
    /// port 4500 when `floatTo4500`, with `authExtra`. Returns the IKE_AUTH answer's payloads.
    func establish(_ e: IKEEngine, _ i: inout TestInitiator, natSource: IKEEndpoint? = nil, floatTo4500: Bool = false,
                   authExtra: [IKEPayload] = []) throws -> [IKEPayload] {
        var request = i.initRequestBytes()
        if let src = natSource {
            var m = try IKEMessage.decode(request)
            m.payloads += [
                .notify(NotifyPayload(type: .natDetectionSourceIP, data: try NATDetection.hash(spiI: i.spiI, spiR: 0, address: src.address.bytes, port: src.port))),
                .notify(NotifyPayload(type: .natDetectionDestinationIP, data: try NATDetection.hash(spiI: i.spiI, spiR: 0, address: i.gateway.address.bytes, port: i.gateway.port))),
            ]
            request = m.encode()
            i.initRequest = request
        }
        let r = try XCTUnwrap(send(e, from: i.local, to: i.gateway, request))
        try i.takeInitResponse(r.bytes)
        let from = floatTo4500 ? IKEEndpoint(i.local.address, 4500) : i.local
        let to = floatTo4500 ? IKEEndpoint(i.gateway.address, 4500) : i.gateway
        let a = try XCTUnwrap(send(e, from: from, to: to, try i.authRequest(extra: authExtra)))
        XCTAssertEqual(a.remote, from, "answered where the request came from")
        let reply = try i.opened(a.bytes).1
        XCTAssertTrue(i.responderAuthVerifies(reply))
        XCTAssertEqual(plane.installed.count, 1)
        return reply
    }

    /// An INFORMATIONAL from the site (message ID 2: the first after IKE_AUTH).
    func informational(_ e: IKEEngine, _ i: TestInitiator, from: IKEEndpoint, id: UInt32 = 2,
                       _ payloads: [IKEPayload]) throws -> (IKEDatagram, [IKEPayload]) {
        let d = try XCTUnwrap(send(e, from: from, to: IKEEndpoint(i.gateway.address, 4500), try i.sealed(.informational, messageID: id, payloads)))
        return (d, try i.opened(d.bytes).1)
    }

    func natD(_ i: TestInitiator, source: IKEEndpoint, destination: IKEEndpoint) throws -> [IKEPayload] {
        [.notify(NotifyPayload(type: .natDetectionSourceIP, data: try NATDetection.hash(spiI: i.spiI, spiR: i.spiR, address: source.address.bytes, port: source.port))),
         .notify(NotifyPayload(type: .natDetectionDestinationIP, data: try NATDetection.hash(spiI: i.spiI, spiR: i.spiR, address: destination.address.bytes, port: destination.port)))]
    }

    var moves: [(IKEEndpoint, IKEAddressChange)] {
        events.compactMap { if case .ikeSAAddressesChanged(_, _, let remote, _, _, let why) = $0 { return (remote, why) } else { return nil } }
    }

    func testMobikeIsAnnouncedAndUpdateSAAddressesMovesTheChildSAToTheNewAddress() throws {
        let e = try engine()
        var i = TestInitiator()
        let auth = try establish(e, &i, floatTo4500: true, authExtra: [.notify(NotifyPayload(type: .mobikeSupported)),
                                                                     .notify(NotifyPayload(type: .additionalIP4Address, data: [203, 0, 113, 5]))])
        XCTAssertEqual(auth.notifies.map(\.type), [.mobikeSupported, .noAdditionalAddresses], "MOBIKE announced, one address here")
        let ike = try XCTUnwrap(e.sas.values.first)
        XCTAssertTrue(ike.mobike.enabled)
        XCTAssertEqual(ike.mobike.peerAdditionalAddresses, [IPAddress("203.0.113.5")!])
        let handle = try XCTUnwrap(plane.installed.keys.first)
        XCTAssertNil(plane.installed[handle]?.udpEncapsulation, "no NAT: raw ESP")
        // The site's LTE address changes: it says so from the new one, behind a NAT now (its
        // NAT-D source hash names an address we do not see).
        let cookie2: [UInt8] = Array(0..<16)
        let (d, reply) = try informational(e, i, from: moved, [.notify(NotifyPayload(type: .updateSAAddresses)),
                                                               .notify(NotifyPayload(type: .cookie2, data: cookie2))]
            + (try natD(i, source: IKEEndpoint(IPAddress("10.0.0.2")!, 4500), destination: IKEEndpoint(i.gateway.address, 4500))))
        XCTAssertEqual(d.remote, moved)
        XCTAssertEqual(reply.notify(.cookie2)?.data, cookie2, "COOKIE2 echoed")
        XCTAssertEqual(reply.notify(.natDetectionDestinationIP)?.data,
                       try NATDetection.hash(spiI: i.spiI, spiR: i.spiR, address: moved.address.bytes, port: moved.port),
                       "our NAT-D names the address we saw")
        XCTAssertEqual(plane.endpointUpdates.count, 1)
        let u = try XCTUnwrap(plane.endpointUpdates.first)
        XCTAssertEqual(u.handle, handle)
        XCTAssertEqual(u.remote, moved.address)
        XCTAssertEqual(u.local, i.gateway.address)
        XCTAssertEqual(u.udp?.local, 4500)
        XCTAssertEqual(u.udp?.remote, 4500, "NAT found on the new path: ESP in UDP")
        XCTAssertEqual(plane.installed.count, 1, "the same CHILD SA, no new one")
        XCTAssertEqual(ike.remote, moved)
        XCTAssertTrue(ike.natRemote)
        XCTAssertEqual(e.reports(now: now).first?.remote, moved, "straitctl shows the new address")
        XCTAssertEqual(moves.map(\.0), [moved])
        XCTAssertEqual(moves.map(\.1), [.mobike])
        XCTAssertTrue(ike.children[0].encapsulated)
        // Back to a path without NAT (its NAT-D now matches): UDP encapsulation goes off.
        let home = IKEEndpoint(IPAddress("192.0.2.2")!, 4500)
        _ = try informational(e, i, from: home, id: 3, [.notify(NotifyPayload(type: .updateSAAddresses)),
                                                       .notify(NotifyPayload(type: .noAdditionalAddresses))]
            + (try natD(i, source: home, destination: IKEEndpoint(i.gateway.address, 4500))))
        XCTAssertEqual(plane.endpointUpdates.last?.remote, home.address)
        XCTAssertNil(try XCTUnwrap(plane.endpointUpdates.last).udp, "no NAT: raw ESP again")
        XCTAssertEqual(ike.mobike.peerAdditionalAddresses, [])
    }

    func testWithoutMobikeNegotiatedAnUpdateIsIgnored() throws {
        for (ourTemplate, peerSupports) in [(false, true), (true, false)] {
            plane = FakeDataPlane()
            events = []
            let e = try engine(mobike: ourTemplate)
            var i = TestInitiator()
            let auth = try establish(e, &i, floatTo4500: true,
                                     authExtra: peerSupports ? [.notify(NotifyPayload(type: .mobikeSupported))] : [])
            XCTAssertNil(auth.notify(.mobikeSupported), "template \(ourTemplate), peer \(peerSupports): not announced")
            let (_, reply) = try informational(e, i, from: moved, [.notify(NotifyPayload(type: .updateSAAddresses))])
            XCTAssertEqual(reply.count, 0)
            XCTAssertTrue(plane.endpointUpdates.isEmpty, "the CHILD SA stays")
            XCTAssertEqual(e.reports(now: now).first?.remote, IKEEndpoint(i.local.address, 4500))
            XCTAssertTrue(moves.isEmpty)
        }
    }

    func testANATRebindingMovesTheChildSAsWithoutMobike() throws {
        let e = try engine()
        var i = TestInitiator()
        // Behind a NAT: the site thinks it is 10.0.0.2:500; the NAT floats it to 4500 -> 61001.
        let nat = IKEEndpoint(i.local.address, 61_001)
        let r = try XCTUnwrap(send(e, from: i.local, to: i.gateway, try {
            var m = try IKEMessage.decode(i.initRequestBytes())
            m.payloads += [
                .notify(NotifyPayload(type: .natDetectionSourceIP, data: try NATDetection.hash(spiI: i.spiI, spiR: 0, address: [10, 0, 0, 2], port: 500))),
                .notify(NotifyPayload(type: .natDetectionDestinationIP, data: try NATDetection.hash(spiI: i.spiI, spiR: 0, address: i.gateway.address.bytes, port: 500))),
            ]
            i.initRequest = m.encode()
            return i.initRequest
        }()))
        try i.takeInitResponse(r.bytes)
        _ = try XCTUnwrap(send(e, from: nat, to: IKEEndpoint(i.gateway.address, 4500), try i.authRequest()))
        let handle = try XCTUnwrap(plane.installed.keys.first)
        XCTAssertEqual(plane.installed[handle]?.udpEncapsulation?.remote, 61_001)
        // The NAT's mapping changes (a new public address and port): a DPD from there moves it.
        let rebound = IKEEndpoint(IPAddress("203.0.113.40")!, 1_024)
        _ = try informational(e, i, from: rebound, [])
        XCTAssertEqual(plane.endpointUpdates.count, 1)
        XCTAssertEqual(plane.endpointUpdates.first?.remote, rebound.address)
        XCTAssertEqual(plane.endpointUpdates.first?.udp?.remote, 1_024)
        XCTAssertEqual(plane.endpointUpdates.first?.udp?.local, 4500)
        XCTAssertEqual(moves.map(\.0), [rebound])
        XCTAssertEqual(moves.map(\.1), [.nat])
        // The same place again: nothing to do.
        _ = try informational(e, i, from: rebound, id: 3, [])
        XCTAssertEqual(plane.endpointUpdates.count, 1)
    }

    func testAPeerWithoutNATOrMobikeIsAnsweredButDoesNotMoveTheSAs() throws {
        let e = try engine()
        var i = TestInitiator()
        _ = try establish(e, &i, natSource: i.local, floatTo4500: true)   // NAT-D matches: no NAT
        let (d, _) = try informational(e, i, from: moved, [])
        XCTAssertEqual(d.remote, moved, "the answer goes where the request came from")
        XCTAssertTrue(plane.endpointUpdates.isEmpty)
        XCTAssertEqual(e.reports(now: now).first?.remote, IKEEndpoint(i.local.address, 4500))
        XCTAssertTrue(moves.isEmpty)
    }

    func testWithMobikeANATRebindingWaitsForUpdateSAAddresses() throws {
        let e = try engine()
        var i = TestInitiator()
        _ = try establish(e, &i, natSource: IKEEndpoint(IPAddress("10.0.0.2")!, 500), floatTo4500: true,
                          authExtra: [.notify(NotifyPayload(type: .mobikeSupported))])
        _ = try informational(e, i, from: moved, [])
        XCTAssertTrue(plane.endpointUpdates.isEmpty, "RFC 4555 3.5: only UPDATE_SA_ADDRESSES moves a MOBIKE SA")
    }

    func testNoNATsAllowedWithChangedAddressesIsRefused() throws {
        let e = try engine()
        var i = TestInitiator()
        _ = try establish(e, &i, floatTo4500: true, authExtra: [.notify(NotifyPayload(type: .mobikeSupported))])
        // The site says it sent from 198.51.100.200:4500; we see 198.51.100.9:4500.
        let said: [UInt8] = [198, 51, 100, 200] + i.gateway.address.bytes + [0x11, 0x94, 0x11, 0x94]
        let (_, reply) = try informational(e, i, from: moved, [.notify(NotifyPayload(type: .updateSAAddresses)),
                                                               .notify(NotifyPayload(type: .noNATsAllowed, data: said))])
        XCTAssertEqual(reply.first?.type, .notify)
        XCTAssertEqual(reply.notifies.first?.type, .unexpectedNATDetected)
        XCTAssertTrue(plane.endpointUpdates.isEmpty)
        // The same with the true addresses goes through.
        let truth: [UInt8] = moved.address.bytes + i.gateway.address.bytes + [0x11, 0x94, 0x11, 0x94]
        _ = try informational(e, i, from: moved, id: 3, [.notify(NotifyPayload(type: .updateSAAddresses)),
                                                         .notify(NotifyPayload(type: .noNATsAllowed, data: truth))])
        XCTAssertEqual(plane.endpointUpdates.first?.remote, moved.address)
    }

    /// The peer rekeys the IKE SA (RFC 7296 2.18): the new one is still a MOBIKE SA, so the
    /// site can move on it and the CHILD SA, now under it, follows.
    func testMobikeSurvivesAnIKESARekey() throws {
        let e = try engine()
        var i = TestInitiator()
        _ = try establish(e, &i, floatTo4500: true, authExtra: [.notify(NotifyPayload(type: .mobikeSupported))])
        let ni = secureRandomBytes(32), dh = try KeyExchange(group: .curve25519), newSPIi: UInt64 = 0x0a0b_0c0d_0e0f_1011
        let proposal = Proposal.ike(number: 1, spi: newSPIi, transforms: [.encryption(.aesGCM16, keyLength: 128), .prf(.hmacSHA2_256), .keyExchange(.curve25519)])
        let here = IKEEndpoint(i.local.address, 4500)
        let req = try i.sealed(.createChildSA, messageID: 2, [.securityAssociation(SecurityAssociationPayload(proposals: [proposal])),
                                                              .nonce(NoncePayload(data: ni)), .keyExchange(KeyExchangePayload(group: .curve25519, data: dh.publicValue))])
        let reply = try i.opened(try XCTUnwrap(send(e, from: here, to: IKEEndpoint(i.gateway.address, 4500), req)).bytes).1
        let newSPIr = try XCTUnwrap(reply.securityAssociation?.proposals.first?.spi64)
        let suite = try IKESASuite(prf: .hmacSHA2_256, encryption: try EncryptionAlgorithm(.aesGCM16, keyLengthBits: 128), integrity: nil)
        let keys = try IKEKeyDerivation.rekeyedIKESAKeys(old: i.keys!, newSuite: suite, sharedSecret: try dh.sharedSecret(peerPublicValue: try XCTUnwrap(reply.keyExchange?.data)),
                                                         nonceI: ni, nonceR: try XCTUnwrap(reply.nonce?.data), spiI: newSPIi, spiR: newSPIr)
        _ = try informational(e, i, from: here, id: 3, [.delete(.ikeSA)])
        var j = i
        (j.spiI, j.spiR, j.keys) = (newSPIi, newSPIr, keys)
        (j.out, j.inn) = try SKCipher.directions(for: keys, weAreOriginalInitiator: true)
        XCTAssertEqual(e.sas[newSPIr]?.mobike.enabled, true)
        _ = try informational(e, j, from: moved, id: 0, [.notify(NotifyPayload(type: .updateSAAddresses))])
        XCTAssertEqual(plane.endpointUpdates.map(\.remote), [moved.address], "the CHILD SA moved with the rekeyed IKE SA")
        XCTAssertEqual(e.reports(now: now).first?.remote, moved)
    }
}

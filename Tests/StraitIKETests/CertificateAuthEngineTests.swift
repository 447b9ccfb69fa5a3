import Foundation
import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// Certificate authentication (RFC 7296 2.15, 3.6, 3.7; RFC 7427) between two engines: a site
/// that initiates and the gateway that answers, with the test PKI of Tests/fixtures/ike-cert-pki.
final class CertificateAuthEngineTests: XCTestCase {
    /// Both ends established, each with one CHILD SA whose SPIs and keys mirror the other's.
    private func assertUp(_ pair: EnginePair, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(pair.bothEstablished, "both IKE SAs established", file: file, line: line)
        let s = try XCTUnwrap(pair.sitePlane.installed.values.first, file: file, line: line)
        let g = try XCTUnwrap(pair.gwPlane.installed.values.first, file: file, line: line)
        XCTAssertEqual(s.outboundSPI, g.inboundSPI, file: file, line: line)
        XCTAssertTrue(s.outboundKey.constantTimeEquals(g.inboundKey), file: file, line: line)
        XCTAssertEqual(pair.site.counters.authFailures + pair.gw.counters.authFailures, 0, file: file, line: line)
    }

    /// The gateway refused the site: AUTHENTICATION_FAILED went back, nothing is installed on
    /// either end, and the gateway counted it.
    private func assertRefusedByGateway(_ pair: EnginePair, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(pair.gw.reports(now: pair.now).isEmpty, "no IKE SA on the gateway", file: file, line: line)
        XCTAssertTrue(pair.site.reports(now: pair.now).isEmpty, "no IKE SA on the site", file: file, line: line)
        XCTAssertTrue(pair.gwPlane.installed.isEmpty && pair.sitePlane.installed.isEmpty, "nothing installed", file: file, line: line)
        XCTAssertEqual(pair.gw.counters.authFailures, 1, file: file, line: line)
        XCTAssertEqual(pair.gw.counters.ikeSAsEstablished, 0, file: file, line: line)
    }

    func testECDSACertificatesBothWaysComeUp() throws {
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site1"), remote: CertPKI.trusting("ecdsa-ca")),
                                  gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca")))
        var requestPayloads: [IKEPayload] = [], responsePayloads: [IKEPayload] = []
        var initResponse: IKEMessage?
        XCTAssertEqual(try pair.connect(toGW: { d in
            if let p = pair.payloads(of: d, openedBy: pair.gw) { requestPayloads = p }
            return d
        }, toSite: { d in
            if let m = try? IKEMessage.decode(d.bytes), m.header.exchangeType == .ikeSAInit { initResponse = m }
            if let p = pair.payloads(of: d, openedBy: pair.site) { responsePayloads = p }
            return d
        }), 4)
        try assertUp(pair)
        XCTAssertEqual(pair.gw.reports(now: pair.now).first?.remoteID, "site1.strait.test")
        XCTAssertEqual(pair.site.reports(now: pair.now).first?.remoteID, "gw.strait.test")
        // IKE_SA_INIT response: a CERTREQ naming the ECDSA CA, SIGNATURE_HASH_ALGORITHMS.
        let initPayloads = try XCTUnwrap(initResponse?.payloads)
        guard case .certificateRequest(let certreq)? = initPayloads.first(where: { $0.type == .certificateRequest }) else {
            return XCTFail("no CERTREQ in the IKE_SA_INIT response")
        }
        XCTAssertEqual(certreq.encoding, .x509Signature)
        XCTAssertEqual(certreq.authority.count, 20, "one SHA-1 hash: the ECDSA CA")
        XCTAssertEqual(initPayloads.notify(.signatureHashAlgorithms)?.data, [0, 2, 0, 3, 0, 4])
        // IKE_AUTH both ways: CERT (X.509), AUTH method 14 with ECDSA SHA-256; the site asks with a CERTREQ.
        for (who, p) in [("site", requestPayloads), ("gateway", responsePayloads)] {
            let certs = p.compactMap { if case .certificate(let c) = $0 { return c }; return nil }
            XCTAssertEqual(certs.map(\.encoding), [.x509Signature], who)
            guard case .authentication(let auth)? = p.first(where: { $0.type == .authentication }) else { return XCTFail(who) }
            XCTAssertEqual(auth.method, .digitalSignature, who)
            XCTAssertEqual(PeerAuthentication.schemeName(auth.data), "ecdsaSHA256", who)
        }
        XCTAssertTrue(requestPayloads.contains { $0.type == .certificateRequest })
        XCTAssertEqual(Array(requestPayloads.types.prefix(3)), [.identificationInitiator, .certificate, .certificateRequest])
    }

    func testRSACertificatesBothWaysComeUp() throws {
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("rsa-site1"), remote: CertPKI.trusting("rsa-ca")),
                                  gw: CertConfig.gateway(local: CertPKI.local("rsa-gw"), remote: CertPKI.trusting("rsa-ca")))
        var method: String?
        try pair.connect(toSite: { d in
            if let p = pair.payloads(of: d, openedBy: pair.site),
               case .authentication(let a)? = p.first(where: { $0.type == .authentication }) {
                method = PeerAuthentication.schemeName(a.data)
            }
            return d
        })
        try assertUp(pair)
        XCTAssertEqual(method, "rsaPKCS1SHA256")
    }

    /// RSA certificates make IKE_AUTH messages of more than 1,200 octets: with IKE fragmentation
    /// on (RFC 7383, both sides) they still come up.
    func testRSACertificatesComeUpWithFragmentationOn() throws {
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("rsa-site1"), remote: CertPKI.trusting("rsa-ca"), fragmentation: true),
                                  gw: CertConfig.gateway(local: CertPKI.local("rsa-gw"), remote: CertPKI.trusting("rsa-ca"), fragmentation: true))
        try pair.connect()
        try assertUp(pair)
    }

    /// ECDSA on one side, RSA on the other, each trusting the other's CA (and both CAs).
    func testMixedKeyTypesAndTwoCAsComeUp() throws {
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site1"), remote: CertPKI.trusting("ecdsa-ca", "rsa-ca")),
                                  gw: CertConfig.gateway(local: CertPKI.local("rsa-gw"), remote: CertPKI.trusting("rsa-ca", "ecdsa-ca")))
        try pair.connect()
        try assertUp(pair)
    }

    /// The site's certificate comes from an intermediate CA that only the site's file holds:
    /// CERT payloads carry the leaf, then the intermediate; the gateway trusts the root only.
    func testAChainThroughAnIntermediateIsSentAndValidated() throws {
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site2", chain: true), remote: CertPKI.trusting("ecdsa-ca"),
                                                        localID: "site2.strait.test"),
                                  gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca")))
        var certs = 0
        var scheme: String?
        try pair.connect(toGW: { d in
            if let p = pair.payloads(of: d, openedBy: pair.gw) {
                certs = p.filter { $0.type == .certificate }.count
                if case .authentication(let a)? = p.first(where: { $0.type == .authentication }) { scheme = PeerAuthentication.schemeName(a.data) }
            }
            return d
        })
        try assertUp(pair)
        XCTAssertEqual(certs, 2, "leaf and intermediate")
        XCTAssertEqual(scheme, "ecdsaSHA384", "a P-384 key signs with SHA-384")
        XCTAssertEqual(pair.gw.reports(now: pair.now).first?.remoteID, "site2.strait.test")
    }

    /// Without the intermediate the chain does not reach the gateway's CA.
    func testAChainWithoutItsIntermediateIsRefused() throws {
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site2"), remote: CertPKI.trusting("ecdsa-ca"),
                                                        localID: "site2.strait.test"),
                                  gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca")))
        try pair.connect()
        assertRefusedByGateway(pair)
    }

    func testADistinguishedNameIdentityIsTheCertificateSubject() throws {
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site1"), remote: CertPKI.trusting("ecdsa-ca"),
                                                        localID: "O=Strait test, CN=site1.strait.test",
                                                        remoteID: "dn:O=Strait test, CN=gw.strait.test"),
                                  gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca"),
                                                         localID: "O=Strait test, CN=gw.strait.test", remoteID: "O=Strait test, CN=*"))
        var idi: IdentificationPayload?
        try pair.connect(toGW: { d in
            if let p = pair.payloads(of: d, openedBy: pair.gw),
               case .identificationInitiator(let i)? = p.first(where: { $0.type == .identificationInitiator }) { idi = i }
            return d
        })
        try assertUp(pair)
        XCTAssertEqual(idi?.idType, .derASN1DN)
        XCTAssertEqual(pair.gw.reports(now: pair.now).first?.remoteID, "O=Strait test, CN=site1.strait.test")
        XCTAssertEqual(pair.site.reports(now: pair.now).first?.remoteID, "O=Strait test, CN=gw.strait.test")
    }

    /// RFC 7296 lets each direction authenticate its own way: the site uses the PSK, the gateway
    /// its certificate.
    func testPSKOneWayAndACertificateTheOther() throws {
        let pair = try EnginePair(site: CertConfig.site(local: .psk, remote: CertPKI.trusting("ecdsa-ca")),
                                  gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: .psk))
        var siteAuth: WireAuthMethod?, gwAuth: WireAuthMethod?
        try pair.connect(toGW: { d in
            if let p = pair.payloads(of: d, openedBy: pair.gw),
               case .authentication(let a)? = p.first(where: { $0.type == .authentication }) { siteAuth = a.method }
            return d
        }, toSite: { d in
            if let p = pair.payloads(of: d, openedBy: pair.site),
               case .authentication(let a)? = p.first(where: { $0.type == .authentication }) { gwAuth = a.method }
            return d
        })
        try assertUp(pair)
        XCTAssertEqual(siteAuth, WireAuthMethod.sharedKeyMIC)
        XCTAssertEqual(gwAuth, WireAuthMethod.digitalSignature)
    }

    // MARK: Refusals

    func testACertificateFromAnUntrustedCAIsRefused() throws {
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("rogue-site1"), remote: CertPKI.trusting("ecdsa-ca")),
                                  gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca")))
        var answer: [IKEPayload] = []
        try pair.connect(toSite: { d in
            if let p = pair.payloads(of: d, openedBy: pair.site) { answer = p }
            return d
        })
        assertRefusedByGateway(pair)
        XCTAssertEqual(answer.notifies.map(\.type), [.authenticationFailed])
    }

    func testAnIdentityThatIsNotInTheCertificateIsRefused() throws {
        // The site claims site9 with site1's certificate (its engine warns at start, and goes on).
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site1"), remote: CertPKI.trusting("ecdsa-ca"),
                                                        localID: "site9.strait.test"),
                                  gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca")))
        try pair.connect()
        assertRefusedByGateway(pair)
    }

    func testAnIdentityOfAnotherKindMatchesItsSubjectAltName() throws {
        // The site's certificate has IP:192.0.2.2 and email:site1@strait.test: both are identities it can claim.
        for localID in ["192.0.2.2", "site1@strait.test"] {
            let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site1"), remote: CertPKI.trusting("ecdsa-ca"),
                                                            localID: localID),
                                      gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca"),
                                                             remoteID: "%any"))
            try pair.connect()
            try assertUp(pair)
            XCTAssertEqual(pair.gw.reports(now: pair.now).first?.remoteID, localID)
        }
    }

    func testAnExpiredCertificateIsRefused() throws {
        // The gateway's clock is past the site certificate's notAfter (the CA is still valid).
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site1"), remote: CertPKI.trusting("ecdsa-ca")),
                                  gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca")),
                                  gwClock: CertPKI.afterExpiry)
        try pair.connect()
        assertRefusedByGateway(pair)
    }

    func testATamperedAUTHIsRefused() throws {
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site1"), remote: CertPKI.trusting("ecdsa-ca")),
                                  gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca")))
        try pair.connect(toGW: { d in pair.rewriteAuth(d, sender: pair.site, receiver: pair.gw, tamperingAUTH) })
        assertRefusedByGateway(pair)
    }

    func testATamperedRSAAUTHIsRefused() throws {
        let pair = try EnginePair(site: CertConfig.site(local: CertPKI.local("rsa-site1"), remote: CertPKI.trusting("rsa-ca")),
                                  gw: CertConfig.gateway(local: CertPKI.local("rsa-gw"), remote: CertPKI.trusting("rsa-ca")))
        try pair.connect(toGW: { d in pair.rewriteAuth(d, sender: pair.site, receiver: pair.gw, tamperingAUTH) })
        assertRefusedByGateway(pair)
    }

    /// The initiator checks the responder just as strictly: a tampered responder AUTH, or a
    /// gateway certificate from a CA the site does not trust, and the site installs nothing.
    func testTheInitiatorRefusesABadResponder() throws {
        let tampered = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site1"), remote: CertPKI.trusting("ecdsa-ca")),
                                      gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca")))
        try tampered.connect(toSite: { d in tampered.rewriteAuth(d, sender: tampered.gw, receiver: tampered.site, tamperingAUTH) })
        XCTAssertTrue(tampered.site.reports(now: tampered.now).isEmpty)
        XCTAssertTrue(tampered.sitePlane.installed.isEmpty)
        XCTAssertEqual(tampered.site.counters.authFailures, 1)
        XCTAssertEqual(tampered.sitePlane.released.count, 1, "the reserved inbound SPI went back")

        let untrusted = try EnginePair(site: CertConfig.site(local: CertPKI.local("ecdsa-site1"), remote: CertPKI.trusting("rsa-ca")),
                                       gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca")))
        try untrusted.connect()
        XCTAssertTrue(untrusted.site.reports(now: untrusted.now).isEmpty)
        XCTAssertTrue(untrusted.sitePlane.installed.isEmpty)
        XCTAssertEqual(untrusted.site.counters.authFailures, 1)
        // The site told the gateway (RFC 7296 2.21.2), which dropped its SA and CHILD SA at once.
        XCTAssertTrue(untrusted.gw.reports(now: untrusted.now).isEmpty, "the gateway's SA went with the site's AUTHENTICATION_FAILED")
        XCTAssertTrue(untrusted.gwPlane.installed.isEmpty)
    }

    /// A peer that authenticates with a PSK where the VPN wants a certificate finds no VPN.
    func testAPSKWhereACertificateIsRequiredIsRefused() throws {
        let pair = try EnginePair(site: CertConfig.site(local: .psk, remote: CertPKI.trusting("ecdsa-ca")),
                                  gw: CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: CertPKI.trusting("ecdsa-ca")))
        try pair.connect()
        assertRefusedByGateway(pair)
    }
}

import Foundation
import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// Certificate authentication below the engine: the real strongSwan AUTH payloads of
/// Tests/fixtures/ike/rsa-cert-frag*, the credential store, the AUTH method a peer without
/// RFC 7427 gets.
final class CertificateAuthUnitTests: XCTestCase {
    static let ike = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/ike").path
    static func fixture(_ name: String) throws -> [UInt8] { try hexFixture("\(ike)/rsa-cert-frag-\(name).hex") }

    /// `Sk_pi` / `Sk_pr` as charon logged them.
    static func loggedKey(_ label: String) throws -> SecretBytes {
        let text = try String(contentsOfFile: "\(ike)/rsa-cert-frag-keys.txt", encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("\(label) secret:") })
        let hex = String(line.split(separator: " ").last!)
        return SecretBytes(copying: stride(from: 0, to: hex.count, by: 2).map {
            UInt8(hex[hex.index(hex.startIndex, offsetBy: $0)..<hex.index(hex.startIndex, offsetBy: $0 + 2)], radix: 16)!
        })
    }

    /// The CAs of the fixture PKI as a VPN's `remote-auth` would load them.
    static func anchors(_ caFile: String) throws -> TrustAnchors {
        let config = CertConfig.gateway(local: .psk, remote: .certificate(ca: [caFile]))
        return try XCTUnwrap(IKECredentials.load(config).anchors["sites"])
    }

    // MARK: Known answers from strongSwan 5.9.8 (RSA-2048 certificates, method 14 PKCS#1 v1.5 SHA-256)

    /// The site's AUTH in the IKE_AUTH request: signed octets = the IKE_SA_INIT request | Nr |
    /// prf(SK_pi, IDi), checked with the certificate from its CERT payload after the chain to
    /// the lab CA is validated.
    func testStrongSwansRSAAuthFromTheInitiatorVerifies() throws {
        let initRequest = try Self.fixture("01-ike-sa-init-request")
        let nonceR = try XCTUnwrap(IKEMessage.decode(try Self.fixture("02-ike-sa-init-response")).payloads.nonce).data
        let payloads = try IKEMessage.decodePayloads(firstType: .identificationInitiator,
                                                     bytes: try Self.fixture("03-ike-auth-request-reassembled-decrypted"))
        guard case .identificationInitiator(let idi)? = payloads.first(where: { $0.type == .identificationInitiator }),
              case .authentication(let auth)? = payloads.first(where: { $0.type == .authentication })
        else { return XCTFail("no IDi or AUTH") }
        XCTAssertEqual(Identities.identity(idi), .fqdn("site1.strait.test"))
        XCTAssertEqual(auth.method, .digitalSignature)
        let octets = IKEAuthentication.signedOctets(realMessage: initRequest, peerNonce: nonceR, prf: .hmacSHA2_256,
                                                    skP: try Self.loggedKey("Sk_pi"), idPayloadBody: idi.authenticationOctets)
        let anchors = try Self.anchors("\(Self.ike)/rsa-cert-frag-pki/ca.crt")
        let (leaf, spki) = try PeerAuthentication.checkCertificates(payloads, identity: .fqdn("site1.strait.test"),
                                                                   anchors: anchors, at: CertPKI.validTime).get()
        XCTAssertEqual("\(leaf.subject)", "CN=site1.strait.test,O=Strait lab")
        XCTAssertEqual(try PeerAuthentication.verifySignature(auth, octets: octets, certificate: leaf, spki: spki).get(),
                       "DIGITAL_SIGNATURE (14) rsaPKCS1SHA256")
        // One bit off anywhere in the signed octets and it no longer verifies.
        var wrong = octets
        wrong[100] ^= 0x04
        XCTAssertThrowsError(try PeerAuthentication.verifySignature(auth, octets: wrong, certificate: leaf, spki: spki).get())
    }

    /// The gateway's AUTH in the IKE_AUTH response: the IKE_SA_INIT response | Ni | prf(SK_pr, IDr).
    func testStrongSwansRSAAuthFromTheResponderVerifies() throws {
        let initRequest = try IKEMessage.decode(try Self.fixture("01-ike-sa-init-request"))
        let initResponse = try Self.fixture("02-ike-sa-init-response")
        let payloads = try IKEMessage.decodePayloads(firstType: .identificationResponder,
                                                     bytes: try Self.fixture("06-ike-auth-response-reassembled-decrypted"))
        guard case .identificationResponder(let idr)? = payloads.first(where: { $0.type == .identificationResponder }),
              case .authentication(let auth)? = payloads.first(where: { $0.type == .authentication })
        else { return XCTFail("no IDr or AUTH") }
        let octets = IKEAuthentication.signedOctets(realMessage: initResponse, peerNonce: try XCTUnwrap(initRequest.payloads.nonce).data,
                                                    prf: .hmacSHA2_256, skP: try Self.loggedKey("Sk_pr"), idPayloadBody: idr.authenticationOctets)
        let anchors = try Self.anchors("\(Self.ike)/rsa-cert-frag-pki/ca.crt")
        let (leaf, spki) = try PeerAuthentication.checkCertificates(payloads, identity: .fqdn("gw.strait.test"),
                                                                   anchors: anchors, at: CertPKI.validTime).get()
        XCTAssertNoThrow(try PeerAuthentication.verifySignature(auth, octets: octets, certificate: leaf, spki: spki).get())
        // The same certificate does not hold another identity, and another CA does not vouch for it.
        XCTAssertThrowsError(try PeerAuthentication.checkCertificates(payloads, identity: .fqdn("site1.strait.test"),
                                                                      anchors: anchors, at: CertPKI.validTime).get())
        XCTAssertThrowsError(try PeerAuthentication.checkCertificates(payloads, identity: .fqdn("gw.strait.test"),
                                                                      anchors: try Self.anchors(CertPKI.path("rsa-ca.pem")),
                                                                      at: CertPKI.validTime).get())
        // Before the lab certificates' notBefore (2026-11-22) they are not valid yet.
        XCTAssertThrowsError(try PeerAuthentication.checkCertificates(payloads, identity: .fqdn("gw.strait.test"), anchors: anchors,
                                                                      at: CertPKI.date("2026-01-01T00:00:00Z")).get())
    }

    /// strongSwan's CERTREQ in its IKE_SA_INIT response names the lab CA by the SHA-1 of its
    /// SubjectPublicKeyInfo: the same 20 octets the credential store computes for ca.crt.
    func testOurCERTREQHashIsStrongSwans() throws {
        let response = try IKEMessage.decode(try Self.fixture("02-ike-sa-init-response"))
        guard case .certificateRequest(let certreq)? = response.payloads.first(where: { $0.type == .certificateRequest }) else {
            return XCTFail("no CERTREQ")
        }
        XCTAssertEqual(certreq.encoding, .x509Signature)
        XCTAssertEqual(try Self.anchors("\(Self.ike)/rsa-cert-frag-pki/ca.crt").keyHashes, [certreq.authority])
    }

    // MARK: The credential store

    func testCredentialsLoadEveryKeyFormat() throws {
        // SEC1 with EC PARAMETERS (ecdsa-gw), PKCS#8 P-256, P-384, PKCS#1 RSA (rsa-gw), PKCS#8 RSA.
        for (name, type) in [("ecdsa-gw", SignatureKeyType.p256), ("ecdsa-site1", .p256), ("ecdsa-site2", .p384),
                             ("rsa-gw", .rsa), ("rsa-site1", .rsa)] {
            let config = CertConfig.gateway(local: CertPKI.local(name), remote: CertPKI.trusting("ecdsa-ca", "rsa-ca"))
            let credentials = try IKECredentials.load(config, now: CertPKI.validTime)
            XCTAssertEqual(credentials.locals["sites"]?.key.keyType, type, name)
            XCTAssertEqual(credentials.anchors["sites"]?.keyHashes.count, 2)
        }
    }

    func testCredentialErrorsNameTheFile() throws {
        func loadError(_ local: IKELocalAuth, _ remote: IKERemoteAuth = CertPKI.trusting("ecdsa-ca")) -> IKECredentials.LoadError? {
            do {
                _ = try IKECredentials.load(CertConfig.gateway(local: local, remote: remote))
                return nil
            } catch { return error as? IKECredentials.LoadError }
        }
        let missing = loadError(.certificate(certificate: CertPKI.path("nope.pem"), privateKey: CertPKI.path("ecdsa-gw.key.pem")))
        XCTAssertEqual(missing, IKECredentials.LoadError(file: CertPKI.path("nope.pem"), message: "does not exist"))
        let wrongKey = loadError(.certificate(certificate: CertPKI.path("ecdsa-gw.pem"), privateKey: CertPKI.path("ecdsa-site1.key.pem")))
        XCTAssertEqual(wrongKey?.file, CertPKI.path("ecdsa-site1.key.pem"))
        XCTAssertEqual(wrongKey?.message, "is not the private key of the certificate \(CertPKI.path("ecdsa-gw.pem"))")
        let keyAsCert = loadError(.certificate(certificate: CertPKI.path("ecdsa-gw.key.pem"), privateKey: CertPKI.path("ecdsa-gw.key.pem")))
        XCTAssertEqual(keyAsCert?.file, CertPKI.path("ecdsa-gw.key.pem"))
        XCTAssertEqual(keyAsCert?.message, "has no certificate (no PEM CERTIFICATE block)")
        let certAsKey = loadError(.certificate(certificate: CertPKI.path("ecdsa-gw.pem"), privateKey: CertPKI.path("ecdsa-gw.pem")))
        XCTAssertEqual(certAsKey?.message, "has no private key (no PEM ... PRIVATE KEY block)")
        let badCA = loadError(.psk, .certificate(ca: [CertPKI.path("make-pki.sh")]))
        XCTAssertEqual(badCA?.file, CertPKI.path("make-pki.sh"))
        // The engine refuses to start with them, and says which file.
        XCTAssertThrowsError(try IKEEngine(config: CertConfig.gateway(local: .certificate(certificate: CertPKI.path("nope.pem"),
                                                                                          privateKey: CertPKI.path("ecdsa-gw.key.pem")),
                                                                      remote: .psk),
                                           dataPlane: FakeDataPlane(), logger: Logger(label: "t"), now: .zero)) { error in
            XCTAssertTrue("\(error)".contains("nope.pem: does not exist"), "\(error)")
        }
    }

    func testALocalIDThatTheCertificateDoesNotHoldIsWarnedAbout() throws {
        let config = CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: .psk, localID: "vpn.strait.test")
        let credentials = try IKECredentials.load(config, now: CertPKI.validTime)
        XCTAssertEqual(credentials.warnings.count, 1)
        XCTAssertTrue(credentials.warnings[0].contains("local-id vpn.strait.test is neither the subject nor a subjectAltName"))
        XCTAssertTrue(credentials.warnings[0].contains("DNS:gw.strait.test, IP:192.0.2.1"))
        XCTAssertTrue(try IKECredentials.load(CertConfig.gateway(local: CertPKI.local("ecdsa-gw"), remote: .psk), now: CertPKI.validTime)
            .warnings.isEmpty)
    }

    // MARK: Which AUTH method we send

    func testTheAuthMethodFitsTheKeyAndThePeersHashes() throws {
        let all: Set<UInt16> = [2, 3, 4]
        XCTAssertEqual(try LocalAuthentication.choose(.p256, peerHashes: nil).0, .ecdsaSHA256P256)
        XCTAssertEqual(try LocalAuthentication.choose(.p384, peerHashes: nil).0, .ecdsaSHA384P384)
        XCTAssertEqual(try LocalAuthentication.choose(.rsa, peerHashes: nil).0, .digitalSignature, "never SHA-1")
        XCTAssertEqual(try LocalAuthentication.choose(.rsa, peerHashes: nil).1, .rsaPKCS1SHA256)
        XCTAssertEqual(try LocalAuthentication.choose(.p256, peerHashes: all).1, .ecdsaSHA256)
        XCTAssertEqual(try LocalAuthentication.choose(.p384, peerHashes: all).1, .ecdsaSHA384)
        XCTAssertEqual(try LocalAuthentication.choose(.rsa, peerHashes: all).1, .rsaPKCS1SHA256)
        XCTAssertEqual(try LocalAuthentication.choose(.p256, peerHashes: [4]).1, .ecdsaSHA512)
        XCTAssertEqual(try LocalAuthentication.choose(.rsa, peerHashes: [3, 5]).1, .rsaPKCS1SHA384)
        XCTAssertThrowsError(try LocalAuthentication.choose(.p256, peerHashes: [1, 5]))
    }

    /// A peer whose IKE_SA_INIT has no SIGNATURE_HASH_ALGORITHMS gets the key's own method:
    /// ECDSA with SHA-256 (9) from a P-256 gateway; an RSA gateway still signs with method 14 and
    /// SHA-256 (never method 1's SHA-1); and no SIGNATURE_HASH_ALGORITHMS comes back. (The test
    /// initiator authenticates with the PSK.)
    func testAPeerWithoutRFC7427GetsTheLegacyMethods() throws {
        for (name, method, sendNotify) in [("ecdsa-gw", WireAuthMethod.ecdsaSHA256P256, false), ("rsa-gw", .digitalSignature, false),
                                           ("ecdsa-gw", .digitalSignature, true)] {
            let gw = try IKEEngine(config: CertConfig.gateway(local: CertPKI.local(name), remote: .psk),
                                   dataPlane: FakeDataPlane(), logger: Logger(label: "gw"), now: .zero, wallClock: { CertPKI.validTime })
            var peer = TestInitiator()
            var request = try IKEMessage.decode(peer.initRequestBytes())
            if sendNotify {
                request.payloads.append(.notify(NotifyPayload(type: .signatureHashAlgorithms, data: [0, 2])))
                peer.initRequest = request.encode()
            }
            let out = gw.receive(IKEDatagram(local: peer.gateway, remote: peer.local, bytes: peer.initRequest), now: .zero)
            let initResponse = try IKEMessage.decode(try XCTUnwrap(out.first).bytes)
            XCTAssertEqual(initResponse.payloads.notify(.signatureHashAlgorithms) != nil, sendNotify, name)
            XCTAssertFalse(initResponse.payloads.contains { $0.type == .certificateRequest }, "the gateway takes a PSK: no CERTREQ")
            try peer.takeInitResponse(out[0].bytes)
            let answer = gw.receive(IKEDatagram(local: peer.gateway, remote: peer.local, bytes: try peer.authRequest()), now: .zero)
            let (_, payloads) = try peer.opened(try XCTUnwrap(answer.first).bytes)
            guard case .identificationResponder(let idr)? = payloads.first(where: { $0.type == .identificationResponder }),
                  case .authentication(let auth)? = payloads.first(where: { $0.type == .authentication })
            else { return XCTFail("\(name): no IDr or AUTH in \(payloads.types)") }
            XCTAssertEqual(auth.method, method, name)
            let octets = IKEAuthentication.signedOctets(realMessage: peer.initResponse, peerNonce: peer.nonceI, prf: .hmacSHA2_256,
                                                        skP: peer.keys!.skPr, idPayloadBody: idr.authenticationOctets)
            let (leaf, spki) = try PeerAuthentication.checkCertificates(payloads, identity: .fqdn("gw.strait.test"),
                                                                       anchors: try Self.anchors(CertPKI.path(name.hasPrefix("rsa") ? "rsa-ca.pem" : "ecdsa-ca.pem")),
                                                                       at: CertPKI.validTime).get()
            XCTAssertNoThrow(try PeerAuthentication.verifySignature(auth, octets: octets, certificate: leaf, spki: spki).get(), name)
            XCTAssertEqual(gw.reports(now: .zero).first?.state, "established", name)
        }
    }
}

import XCTest
import StraitCore
@testable import StraitIKEWire

/// Decodes strongSwan's own messages (Fixtures/StrongSwanCapture.swift) field by field, and checks that
/// re-encoding gives the captured bytes back.
final class StrongSwanCaptureTests: XCTestCase {
    func testIKESAInitRequestFields() throws {
        let m = try IKEMessage.decode(StrongSwanCapture.ikeSAInitRequest)
        XCTAssertEqual(m.header.initiatorSPI, 0x221c_2895_71c9_05e1)
        XCTAssertEqual(m.header.responderSPI, 0)
        XCTAssertEqual(m.header.exchangeType, .ikeSAInit)
        XCTAssertEqual(m.header.flags, [.initiator])
        XCTAssertFalse(m.header.isResponse)
        XCTAssertEqual(m.header.messageID, 0)
        XCTAssertEqual(m.payloads.types, [.securityAssociation, .keyExchange, .nonce, .notify, .notify, .notify,
                                          .notify, .notify])

        // aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256-modp2048
        let sa = try XCTUnwrap(m.payloads.securityAssociation)
        XCTAssertEqual(sa.proposals.count, 2)
        let p1 = sa.proposals[0]
        XCTAssertEqual(p1.number, 1)
        XCTAssertEqual(p1.protocolID, .ike)
        XCTAssertEqual(p1.spi, [])
        XCTAssertEqual(p1.transforms, [
            .encryption(.aesGCM16, keyLength: 128), .encryption(.aesGCM16, keyLength: 256),
            .prf(.hmacSHA2_256), .prf(.hmacSHA2_384),
            .keyExchange(.curve25519), .keyExchange(.ecp256), .keyExchange(.modp2048),
        ])
        XCTAssertEqual(p1.transforms[1].keyLength, 256)
        XCTAssertEqual(p1.transforms[0].encryptionAlgorithm?.isAEAD, true)
        // aes256-aes128-sha256-sha384-x25519 (sha256 gives both PRF and INTEG)
        let p2 = sa.proposals[1]
        XCTAssertEqual(p2.number, 2)
        XCTAssertEqual(p2.transforms, [
            .encryption(.aesCBC, keyLength: 256), .encryption(.aesCBC, keyLength: 128),
            .integrity(.hmacSHA2_256_128), .integrity(.hmacSHA2_384_192),
            .prf(.hmacSHA2_256), .prf(.hmacSHA2_384), .keyExchange(.curve25519),
        ])
        XCTAssertEqual(p2.transforms(of: .integrity).compactMap(\.integrityAlgorithm),
                       [.hmacSHA2_256_128, .hmacSHA2_384_192])

        let ke = try XCTUnwrap(m.payloads.keyExchange)
        XCTAssertEqual(ke.group, .curve25519)
        XCTAssertEqual(ke.group.rawValue, 31)
        XCTAssertEqual(ke.data, hex("603add4e3f90ddbba247a9819aa46481382b0eefd8f7baf389fef85749966f0e"))

        XCTAssertEqual(m.payloads.nonce?.data,
                       hex("a267e14409edec614e952a77fa7dcd2a48f21379295179da55a424f58d6f29c2"))

        let natS = try XCTUnwrap(m.payloads.notify(.natDetectionSourceIP))
        XCTAssertEqual(natS.protocolID, .noProtocol)
        XCTAssertEqual(natS.spi, [])
        XCTAssertEqual(natS.data, hex("7d17c138e152ee079a7e2e8d81acbcd18b79c1cd"))
        XCTAssertEqual(m.payloads.notify(.natDetectionDestinationIP)?.data,
                       hex("0e6c742aedcee51470bace652dfb979fe6340343"))
        XCTAssertEqual(m.payloads.notify(.ikev2FragmentationSupported)?.data, [])
        // RFC 7427 hash algorithm identifiers: SHA2-256 (2), SHA2-384 (3), SHA2-512 (4), Identity (5).
        XCTAssertEqual(m.payloads.notify(.signatureHashAlgorithms)?.data, hex("0002 0003 0004 0005"))
        XCTAssertNotNil(m.payloads.notify(.redirectSupported))
        XCTAssertNil(m.payloads.firstErrorNotify)

        XCTAssertEqual(m.encode(), StrongSwanCapture.ikeSAInitRequest)
    }

    func testIKESAInitResponseFields() throws {
        let m = try IKEMessage.decode(StrongSwanCapture.ikeSAInitResponse)
        XCTAssertEqual(m.header.responderSPI, 0xce4b_5708_d5f8_845e)
        XCTAssertEqual(m.header.flags, [.response])
        let sa = try XCTUnwrap(m.payloads.securityAssociation)
        XCTAssertEqual(sa.proposals, [Proposal(number: 1, protocolID: .ike, transforms: [
            .encryption(.aesGCM16, keyLength: 128), .prf(.hmacSHA2_256), .keyExchange(.curve25519),
        ])])
        XCTAssertEqual(m.payloads.keyExchange?.data.count, 32)
        XCTAssertEqual(m.payloads.notify(.childlessIKEv2Supported)?.data, [])
        XCTAssertEqual(m.payloads.notify(.multipleAuthSupported)?.data, [])
        XCTAssertEqual(m.encode(), StrongSwanCapture.ikeSAInitResponse)
    }

    func testIKEAuthFragments() throws {
        let f1 = try IKEMessage.decode(StrongSwanCapture.ikeAuthRequestFragment1)
        let f2 = try IKEMessage.decode(StrongSwanCapture.ikeAuthRequestFragment2)
        XCTAssertEqual(f1.header.exchangeType, .ikeAuth)
        XCTAssertEqual(f1.header.messageID, 1)
        let skf1 = try XCTUnwrap(f1.payloads.encryptedFragment)
        let skf2 = try XCTUnwrap(f2.payloads.encryptedFragment)
        XCTAssertEqual([skf1.fragmentNumber, skf1.totalFragments, skf2.fragmentNumber, skf2.totalFragments], [1, 2, 2, 2])
        XCTAssertEqual(skf1.firstPayloadType, .identificationInitiator)
        XCTAssertEqual(skf2.firstPayloadType, .noNextPayload)
        XCTAssertEqual(skf1.body.count, 8 + 107 + 1 + 16)   // IV, plaintext, pad length, ICV
        XCTAssertEqual(f1.encode(), StrongSwanCapture.ikeAuthRequestFragment1)
        XCTAssertEqual(f2.encode(), StrongSwanCapture.ikeAuthRequestFragment2)

        // The AEAD associated data strongSwan used is what the location says it is.
        let loc = try XCTUnwrap(IKEMessage.encryptedPayloadLocation(in: StrongSwanCapture.ikeAuthRequestFragment1))
        XCTAssertTrue(loc.isFragment)
        XCTAssertEqual(Array(StrongSwanCapture.ikeAuthRequestFragment1[0..<loc.contentOffset]),
                       StrongSwanCapture.ikeAuthRequestFragment1AAD)
        XCTAssertEqual(loc.end, StrongSwanCapture.ikeAuthRequestFragment1.count)
    }

    func testIKEAuthRequestInnerPayloads() throws {
        let inner = try IKEMessage.decodePayloads(firstType: .identificationInitiator,
                                                  bytes: StrongSwanCapture.ikeAuthRequestPlain)
        XCTAssertEqual(inner.types, [.identificationInitiator, .notify, .identificationResponder, .authentication,
                                     .securityAssociation, .trafficSelectorsInitiator, .trafficSelectorsResponder,
                                     .notify, .notify, .notify, .notify, .notify])
        XCTAssertEqual(inner[0], .identificationInitiator(.fqdn("site1")))
        XCTAssertEqual(inner[1], .notify(NotifyPayload(type: .initialContact)))
        XCTAssertEqual(inner[2], .identificationResponder(.fqdn("gw")))
        guard case .authentication(let auth) = inner[3] else { return XCTFail("AUTH") }
        XCTAssertEqual(auth.method, .sharedKeyMIC)
        XCTAssertEqual(auth.data.count, 32)   // prf-HMAC-SHA2-256 output
        let child = try XCTUnwrap(inner.securityAssociation?.proposals.first)
        XCTAssertEqual(child.protocolID, .esp)
        XCTAssertEqual(child.spi32, 0xcf14_3b1d)
        XCTAssertEqual(child.transforms, [.encryption(.aesGCM16, keyLength: 128), .extendedSequenceNumbers(.noESN)])
        guard case .trafficSelectorsInitiator(let tsi) = inner[5], case .trafficSelectorsResponder(let tsr) = inner[6]
        else { return XCTFail("TS") }
        XCTAssertEqual(tsi.addressRanges, [AddressRangeSelector(prefix: IPPrefix("10.2.0.0/24")!)])
        XCTAssertEqual(tsr.addressRanges, [AddressRangeSelector(prefix: IPPrefix("10.1.0.0/24")!)])
        XCTAssertEqual(inner.notifies.map(\.type), [.initialContact, .mobikeSupported, .noAdditionalAddresses,
                                                   .multipleAuthSupported, .eapOnlyAuthentication, NotifyType(16420)])
        let again = IKEMessage.encodePayloads(inner)
        XCTAssertEqual(again.firstType, .identificationInitiator)
        XCTAssertEqual(again.bytes, StrongSwanCapture.ikeAuthRequestPlain)
    }

    func testIKEAuthResponseAndInner() throws {
        let bytes = StrongSwanCapture.ikeAuthResponse
        let m = try IKEMessage.decode(bytes)
        XCTAssertEqual(m.header.flags, [.response])
        let sk = try XCTUnwrap(m.payloads.encrypted)
        XCTAssertEqual(m.payloads.count, 1)
        XCTAssertEqual(sk.firstPayloadType, .identificationResponder)
        XCTAssertEqual(m.encode(), bytes)

        let loc = try XCTUnwrap(IKEMessage.encryptedPayloadLocation(in: bytes))
        XCTAssertEqual(loc.payloadOffset, 28)
        XCTAssertEqual(loc.contentOffset, 32)
        XCTAssertFalse(loc.isFragment)
        XCTAssertEqual(Array(bytes[0..<loc.contentOffset]), StrongSwanCapture.ikeAuthResponseAAD)
        XCTAssertEqual(Array(bytes[loc.contentOffset..<loc.end]), sk.body)

        let inner = try IKEMessage.decodePayloads(firstType: sk.firstPayloadType,
                                                  bytes: StrongSwanCapture.ikeAuthResponsePlain)
        XCTAssertEqual(inner.types, [.identificationResponder, .authentication, .notify, .notify, .notify])
        XCTAssertEqual(inner.firstErrorNotify?.type, .noProposalChosen)
        XCTAssertEqual(IKEMessage.encodePayloads(inner).bytes, StrongSwanCapture.ikeAuthResponsePlain)
    }

    func testInformationalDelete() throws {
        for bytes in [StrongSwanCapture.informationalDelete, StrongSwanCapture.informationalDeleteFromResponder] {
            let m = try IKEMessage.decode(bytes)
            XCTAssertEqual(m.header.exchangeType, .informational)
            XCTAssertEqual(m.payloads.encrypted?.firstPayloadType, .delete)
            XCTAssertEqual(m.encode(), bytes)
        }
        let inner = try IKEMessage.decodePayloads(firstType: .delete, bytes: StrongSwanCapture.informationalDeletePlain)
        XCTAssertEqual(inner, [.delete(.ikeSA)])
    }

    /// Names in logs come from the registries; unnamed values still print.
    func testRegistryDescriptions() {
        XCTAssertEqual(NotifyType.signatureHashAlgorithms.description, "SIGNATURE_HASH_ALGORITHMS")
        XCTAssertEqual(NotifyType.ikev2MessageIDSync.description, "IKEV2_MESSAGE_ID_SYNC")
        XCTAssertEqual(NotifyType(40000).description, "NotifyType(40000)")   // private use: unnamed
        XCTAssertEqual(ExchangeType.ikeSAInit.description, "IKE_SA_INIT")
        XCTAssertTrue(NotifyType.childSANotFound.isError)
        XCTAssertFalse(NotifyType.cookie.isError)
    }
}

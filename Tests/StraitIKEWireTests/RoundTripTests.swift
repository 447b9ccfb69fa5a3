import XCTest
import StraitCore
@testable import StraitIKEWire

/// Every payload type through encode and decode, in the outer message and in an inner chain.
final class RoundTripTests: XCTestCase {
    static let header = IKEHeader(initiatorSPI: 0xfeed_face_cafe_beef, responderSPI: 0x0123_4567_89ab_cdef,
                                  exchangeType: .createChildSA, flags: [.initiator], messageID: 0xffff_fffe)

    /// One of each payload type that is not SK/SKF.
    static let plainPayloads: [IKEPayload] = [
        .securityAssociation(SecurityAssociationPayload(proposals: [
            .ike(number: 1, spi: 0x1122_3344_5566_7788, transforms: [
                .encryption(.aesGCM16, keyLength: 256), .encryption(.aesGCM12, keyLength: 128),
                .encryption(.aesGCM8, keyLength: 128), .prf(.hmacSHA2_512), .keyExchange(.ecp384),
            ]),
            .ike(number: 2, transforms: [
                .encryption(.aesCBC, keyLength: 128), .integrity(.hmacSHA2_512_256), .integrity(.hmacSHA1_96),
                .prf(.hmacSHA1), .keyExchange(.modp1024),
            ]),
            .esp(number: 3, spi: 0xc0de_0001, transforms: [.encryption(.aesGCM16, keyLength: 128),
                                                           .extendedSequenceNumbers(.esn)]),
            Proposal(number: 4, protocolID: .ah, spi: [1, 2, 3, 4], transforms: []),
        ])),
        .keyExchange(KeyExchangePayload(group: .ecp256, data: Array(repeating: 0x5a, count: 64))),
        .identificationInitiator(.fqdn("initiator.example")),
        .identificationResponder(IdentificationPayload(idType: .derASN1DN, data: [0x30, 0x03, 0x31, 0x01, 0x00])),
        .certificate(CertificatePayload(encoding: .x509Signature, data: Array(repeating: 7, count: 300))),
        .certificateRequest(CertificateRequestPayload(encoding: .x509Signature, authority: Array(repeating: 1, count: 40))),
        .authentication(AuthenticationPayload(method: .ecdsaSHA256P256, data: Array(repeating: 2, count: 64))),
        .nonce(NoncePayload(data: Array(repeating: 3, count: 256))),
        .notify(NotifyPayload(protocolID: .esp, spi: [0, 0, 0, 9], type: .childSANotFound)),
        .notify(NotifyPayload(type: .cookie, data: Array(repeating: 4, count: 32))),
        .notify(NotifyPayload(type: NotifyType(40_000), data: [1])),
        .delete(.childSAs(.ah, spis: [1, 2, 3])),
        .vendorID(VendorIDPayload(data: [])),
        .trafficSelectorsInitiator(TrafficSelectorsPayload(selectors: [
            .addressRange(.anyIPv4), .addressRange(.anyIPv6),
            .addressRange(AddressRangeSelector(ipProtocol: 1, startPort: 0x0800, endPort: 0x08ff,
                                               ipv4: IPv4Address(1), IPv4Address(2))),
        ])),
        .trafficSelectorsResponder(TrafficSelectorsPayload(selectors: [
            .addressRange(AddressRangeSelector(prefix: IPPrefix("fd00::/8")!)),
            .other(type: .securityLabel, data: Array("system_u:object_r".utf8)),
        ])),
        .configuration(ConfigurationPayload(type: .request, attributes: [
            ConfigurationAttribute(type: .internalIP4Address), ConfigurationAttribute(type: .internalIP6Address),
            ConfigurationAttribute(type: .internalIP4DNS), ConfigurationAttribute(type: ConfigurationAttributeType(0x7000), value: [1]),
        ])),
        .eap(EAPPayload(message: hex("01 01 000a 01 6964656e74"))),
        .unknown(UnknownPayload(type: PayloadType(200), body: [9, 8, 7])),
        .trafficSelectorsInitiator(TrafficSelectorsPayload(selectors: [])),
        .securityAssociation(SecurityAssociationPayload(proposals: [])),
    ]

    func testEveryPayloadInTheOuterMessage() throws {
        let m = IKEMessage(header: Self.header, payloads: Self.plainPayloads)
        let bytes = m.encode()
        XCTAssertEqual(try IKEMessage.decode(bytes), m)
        XCTAssertEqual(try IKEMessage.decode(bytes).encode(), bytes)
        XCTAssertNil(try IKEMessage.encryptedPayloadLocation(in: bytes))
    }

    func testEveryPayloadInAnInnerChainUnderSK() throws {
        let inner = IKEMessage.encodePayloads(Self.plainPayloads)
        XCTAssertEqual(inner.firstType, .securityAssociation)
        XCTAssertEqual(try IKEMessage.decodePayloads(firstType: inner.firstType, bytes: inner.bytes), Self.plainPayloads)

        // The crypto layer would put IV | encrypt(inner.bytes + padding) | ICV here; the codec does not care.
        let sk = EncryptedPayload(firstPayloadType: inner.firstType, body: zeros(8) + inner.bytes + zeros(16))
        let m = IKEMessage(header: Self.header, payloads: [.encrypted(sk)])
        let bytes = m.encode()
        XCTAssertEqual(try IKEMessage.decode(bytes), m)
        let loc = try XCTUnwrap(IKEMessage.encryptedPayloadLocation(in: bytes))
        XCTAssertEqual(Array(bytes[loc.contentOffset..<loc.end]), sk.body)
        // The header's length field is part of the associated data and already final.
        XCTAssertEqual(Array(bytes[24..<28]), [0, 0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)])
    }

    func testFragmentsRoundTrip() throws {
        for (n, first) in [(UInt16(1), PayloadType.identificationInitiator), (2, .noNextPayload), (65535, .noNextPayload)] {
            let m = IKEMessage(header: Self.header, payloads: [
                .encryptedFragment(EncryptedFragmentPayload(fragmentNumber: n, totalFragments: 65535,
                                                            firstPayloadType: first, body: [1, 2, 3])),
            ])
            XCTAssertEqual(try IKEMessage.decode(m.encode()), m)
        }
    }

    func testEmptyInnerChain() throws {
        // An empty SK (liveness check): the SK payload's Next Payload is 0 and the plaintext is empty.
        let inner = IKEMessage.encodePayloads([])
        XCTAssertEqual(inner.firstType, .noNextPayload)
        XCTAssertEqual(inner.bytes, [])
        XCTAssertEqual(try IKEMessage.decodePayloads(firstType: .noNextPayload, bytes: []), [])
    }

    func testLargestMessage() throws {
        // A message of exactly 65535 bytes decodes; one more byte is refused before anything is read.
        let certBody = 65535 - 28 - 4 - 1
        let m = IKEMessage(header: Self.header, payloads: [
            .certificate(CertificatePayload(encoding: .x509Signature, data: [UInt8](repeating: 0xee, count: certBody))),
        ])
        let bytes = m.encode()
        XCTAssertEqual(bytes.count, 65535)
        XCTAssertEqual(try IKEMessage.decode(bytes), m)
    }
}

private func zeros(_ n: Int) -> [UInt8] { [UInt8](repeating: 0, count: n) }

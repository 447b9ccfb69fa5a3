import XCTest
import StraitCore
@testable import StraitIKEWire

/// Byte-exact encodings built by hand from the RFC 7296 layouts, one field per comment. Each is encoded
/// from values and compared with the bytes, then decoded back.
final class KnownEncodingTests: XCTestCase {
    /// Encodes one payload as a chain of one and checks header and body; decodes it back.
    private func check(_ payload: IKEPayload, body: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let length = UInt16(4 + body.count)
        // Generic payload header: Next Payload 0 (last), C=0 + RESERVED, Payload Length.
        let expected = [0x00, 0x00, UInt8(length >> 8), UInt8(length & 0xff)] + body
        let encoded = IKEMessage.encodePayloads([payload])
        XCTAssertEqual(encoded.firstType, payload.type, file: file, line: line)
        XCTAssertEqual(hexString(encoded.bytes), hexString(expected), file: file, line: line)
        XCTAssertEqual(try IKEMessage.decodePayloads(firstType: payload.type, bytes: expected), [payload],
                       file: file, line: line)
    }

    func testInformationalWithNotifyMessage() throws {
        let bytes = hex("""
        0102030405060708 | 1112131415161718   SPIi, SPIr
        29                                    Next Payload: N (41)
        20                                    MjVer 2, MnVer 0
        25                                    Exchange Type: INFORMATIONAL (37)
        28                                    Flags: R (0x20) | I (0x08)
        00000005                              Message ID 5
        00000028                              Length 40 = 28 + 12
        00 00 000c                            N: Next Payload none, C=0, Payload Length 12
        03 04 4009                            Protocol ESP, SPI Size 4, REKEY_SA (16393)
        deadbeef                              SPI
        """)
        let m = IKEMessage(
            header: IKEHeader(initiatorSPI: 0x0102_0304_0506_0708, responderSPI: 0x1112_1314_1516_1718,
                              exchangeType: .informational, flags: [.response, .initiator], messageID: 5),
            payloads: [.notify(NotifyPayload(protocolID: .esp, spi: hex("deadbeef"), type: .rekeySA))])
        XCTAssertEqual(hexString(m.encode()), hexString(bytes))
        XCTAssertEqual(try IKEMessage.decode(bytes), m)
        let peeked = try IKEHeader.peek(bytes)
        XCTAssertEqual(peeked.nextPayload, .notify)
        XCTAssertEqual(peeked.length, 40)
        XCTAssertNil(try IKEMessage.encryptedPayloadLocation(in: bytes))
    }

    func testEmptyMessage() throws {
        // An INFORMATIONAL request with no payloads at all (the liveness check is SK around nothing, but
        // the codec must handle an empty chain): Next Payload 0, Length 28.
        let bytes = hex("0000000000000001 0000000000000002 00 20 25 08 00000000 0000001c")
        let m = try IKEMessage.decode(bytes)
        XCTAssertEqual(m.payloads, [])
        XCTAssertEqual(m.encode(), bytes)
    }

    func testESPProposal() throws {
        try check(.securityAssociation(SecurityAssociationPayload(proposals: [
            .esp(number: 1, spi: 0x1122_3344, transforms: [
                .encryption(.aesGCM16, keyLength: 256), .extendedSequenceNumbers(.noESN),
            ]),
        ])), body: hex("""
        00 00 0020      Proposal: Last Substruc 0 (last), RESERVED, Proposal Length 32
        01 03 04 02     Proposal Num 1, Protocol ESP, SPI Size 4, Num Transforms 2
        11223344        SPI
        03 00 000c      Transform: Last Substruc 3 (more), RESERVED, Transform Length 12
        01 00 0014      Transform Type ENCR, RESERVED, ENCR_AES_GCM_16 (20)
        800e 0100       Attribute: AF=1 + Key Length (14), 256 bits
        00 00 0008      Transform: Last Substruc 0, RESERVED, Length 8
        05 00 0000      Transform Type ESN, RESERVED, No ESN (0)
        """))
    }

    func testTwoIKEProposalsWithTLVAttribute() throws {
        try check(.securityAssociation(SecurityAssociationPayload(proposals: [
            .ike(number: 1, transforms: [.prf(.hmacSHA1)]),
            .ike(number: 2, spi: 0x0a0b_0c0d_0e0f_1011, transforms: [
                Transform(type: .integrity, id: 12, attributes: [
                    TransformAttribute(type: TransformAttributeType(7), value: .tlv([0xaa, 0xbb, 0xcc])),
                ]),
            ]),
        ])), body: hex("""
        02 00 0010      Proposal: Last Substruc 2 (more), RESERVED, Length 16
        01 01 00 01     Proposal 1, IKE, SPI Size 0, 1 transform
        00 00 0008      Transform: last, Length 8
        02 00 0002      PRF, PRF_HMAC_SHA1
        00 00 001f      Proposal: last, Length 31
        02 01 08 01     Proposal 2, IKE, SPI Size 8, 1 transform
        0a0b0c0d0e0f1011   SPI (IKE rekey)
        00 00 000f      Transform: last, Length 15
        03 00 000c      INTEG, AUTH_HMAC_SHA2_256_128 (12)
        0007 0003 aabbcc   Attribute: AF=0, type 7, length 3, value
        """))
    }

    func testTrafficSelectors() throws {
        let v4 = AddressRangeSelector(ipProtocol: 6, startPort: 443, endPort: 443,
                                      ipv4: IPv4Address("10.0.0.0")!, IPv4Address("10.0.0.255")!)
        let v6 = AddressRangeSelector(prefix: IPPrefix("2001:db8::/112")!)
        try check(.trafficSelectorsInitiator(TrafficSelectorsPayload(selectors: [.addressRange(v4), .addressRange(v6)])),
                  body: hex("""
        02 000000       Number of TSs 2, RESERVED
        07 06 0010      TS_IPV4_ADDR_RANGE, TCP, Selector Length 16
        01bb 01bb       ports 443-443
        0a000000 0a0000ff                            10.0.0.0 - 10.0.0.255
        08 00 0028      TS_IPV6_ADDR_RANGE, any protocol, Selector Length 40
        0000 ffff       ports 0-65535
        20010db8000000000000000000000000             2001:db8::
        20010db800000000000000000000ffff             2001:db8::ffff
        """))
        XCTAssertNil(AddressRangeSelector(startAddress: IPAddress("10.0.0.1")!, endAddress: IPAddress("::1")!))
    }

    func testKeyExchangeNonceIdentityAuth() throws {
        try check(.keyExchange(KeyExchangePayload(group: .modp2048, data: [1, 2, 3])),
                  body: hex("000e 0000 010203"))                    // group 14, RESERVED, data
        try check(.nonce(NoncePayload(data: Array(0..<16))), body: Array(0..<16))
        try check(.identificationInitiator(.address(IPAddress("192.0.2.7")!)),
                  body: hex("01 000000 c0000207"))                  // ID_IPV4_ADDR, RESERVED, address
        try check(.identificationResponder(.rfc822("a@b")), body: hex("03 000000 614062"))
        try check(.authentication(AuthenticationPayload(method: .digitalSignature, data: [9, 9])),
                  body: hex("0e 000000 0909"))                      // Digital Signature (14), RESERVED, data
        XCTAssertEqual(IdentificationPayload.fqdn("gw").authenticationOctets, hex("02000000 6777"))
        XCTAssertEqual(IdentificationPayload.address(IPAddress("::1")!).address, IPAddress("::1"))
    }

    func testCertificatesVendorEAP() throws {
        try check(.certificate(CertificatePayload(encoding: .x509Signature, data: [0x30, 0x00])),
                  body: hex("04 3000"))                             // X.509 Certificate - Signature, DER
        try check(.certificateRequest(CertificateRequestPayload(encoding: .x509Signature, authority: [0xab])),
                  body: hex("04 ab"))
        try check(.vendorID(VendorIDPayload(data: Array("strait".utf8))), body: Array("strait".utf8))
        try check(.eap(EAPPayload(message: hex("02 07 0005 01"))), body: hex("02 07 0005 01"))
    }

    func testNotifyAndDelete() throws {
        try check(.notify(.unsupportedCriticalPayload(PayloadType(100))),
                  body: hex("00 00 0001 64"))                       // no protocol, SPI size 0, type 1, data
        try check(.notify(.invalidKEPayload(accepted: .ecp256)), body: hex("00 00 0011 0013"))
        try check(.delete(.ikeSA), body: hex("01 00 0000"))        // IKE, SPI size 0, 0 SPIs
        try check(.delete(.childSAs(spis: [0x01020304, 0xa0b0c0d0])),
                  body: hex("03 04 0002 01020304 a0b0c0d0"))        // ESP, SPI size 4, 2 SPIs
        XCTAssertEqual(DeletePayload.childSAs(spis: [7]).spis32, [7])
    }

    func testConfiguration() throws {
        try check(.configuration(ConfigurationPayload(type: .reply, attributes: [
            ConfigurationAttribute(type: .internalIP4Address, address: IPAddress("10.9.0.2")!),
            ConfigurationAttribute(type: .internalIP4DNS),
            ConfigurationAttribute(type: .internalIP6Address, prefix: IPPrefix("2001:db8::2/64")!),
        ])), body: hex("""
        02 000000                               CFG_REPLY, RESERVED
        0001 0004 0a090002                      INTERNAL_IP4_ADDRESS, length 4, 10.9.0.2
        0003 0000                               INTERNAL_IP4_DNS, empty (as in a request)
        0008 0011 20010db8000000000000000000000002 40    INTERNAL_IP6_ADDRESS, 17 bytes: address, prefix 64
        """))
        XCTAssertEqual(ConfigurationAttribute(type: .internalIP4Subnet, prefix: IPPrefix("10.1.0.0/16")!).value,
                       hex("0a010000 ffff0000"))
    }

    func testEncryptedMessageAndLocation() throws {
        let bytes = hex("""
        0000000000000001 0000000000000002 | 2e 20 23 08 | 00000001 | 00000030   header, Next Payload SK (46), length 48
        23 00 0014                          SK: Next Payload IDi (35, first inner payload), Payload Length 20
        0001020304050607 08090a0b0c0d0e0f   IV | ciphertext | ICV (opaque here)
        """)
        let m = IKEMessage(header: IKEHeader(initiatorSPI: 1, responderSPI: 2, exchangeType: .ikeAuth,
                                             flags: .initiator, messageID: 1),
                           payloads: [.encrypted(EncryptedPayload(firstPayloadType: .identificationInitiator,
                                                                  body: Array(0..<16)))])
        XCTAssertEqual(hexString(m.encode()), hexString(bytes))
        XCTAssertEqual(try IKEMessage.decode(bytes), m)
        XCTAssertEqual(try IKEMessage.encryptedPayloadLocation(in: bytes),
                       EncryptedPayloadLocation(payloadOffset: 28, contentOffset: 32, end: 48, isFragment: false))
    }

    func testEncryptedFragmentAfterNotify() throws {
        let bytes = hex("""
        0000000000000001 0000000000000002 | 29 20 23 08 | 00000001 | 00000034   header, Next Payload N, length 52
        35 00 0008 | 00 00 4009             N(REKEY_SA) with no SPI; Next Payload SKF (53)
        00 00 0010                          SKF: Next Payload 0 (not the first fragment), length 16
        0002 0003                           Fragment Number 2, Total Fragments 3
        aabbccddeeff0011                    IV | ciphertext | ICV
        """)
        let m = IKEMessage(header: IKEHeader(initiatorSPI: 1, responderSPI: 2, exchangeType: .ikeAuth,
                                             flags: .initiator, messageID: 1),
                           payloads: [.notify(NotifyPayload(type: .rekeySA)),
                                      .encryptedFragment(EncryptedFragmentPayload(
                                        fragmentNumber: 2, totalFragments: 3, firstPayloadType: .noNextPayload,
                                        body: hex("aabbccddeeff0011")))])
        XCTAssertEqual(hexString(m.encode()), hexString(bytes))
        XCTAssertEqual(try IKEMessage.decode(bytes), m)
        XCTAssertEqual(try IKEMessage.encryptedPayloadLocation(in: bytes),
                       EncryptedPayloadLocation(payloadOffset: 36, contentOffset: 44, end: 52, isFragment: true))
    }

    func testUnknownPayloadKeptAndSkipped() throws {
        let chain = hex("""
        28 00 0007 aabbcc       unknown type 128 (first), not critical, length 7, body; Next Payload Nonce
        00 00 0014 000102030405060708090a0b0c0d0e0f   Nonce, length 20
        """)
        let payloads = try IKEMessage.decodePayloads(firstType: PayloadType(128), bytes: chain)
        XCTAssertEqual(payloads, [.unknown(UnknownPayload(type: PayloadType(128), body: hex("aabbcc"))),
                                  .nonce(NoncePayload(data: Array(0..<16)))])
        XCTAssertEqual(IKEMessage.encodePayloads(payloads).bytes, chain)
        // Built with the critical bit, an unknown payload is sent with it.
        let critical = IKEMessage.encodePayloads([.unknown(UnknownPayload(type: PayloadType(99), critical: true, body: []))])
        XCTAssertEqual(critical.bytes, hex("00 80 0004"))
    }

    func testHeaderFlagsAndMinorVersion() throws {
        // Reserved flag bits (0x01, 0x80) are ignored on receipt and not sent; a minor version is kept.
        let bytes = hex("0000000000000001 0000000000000000 00 27 22 89 00000000 0000001c")
        let m = try IKEMessage.decode(bytes)
        XCTAssertEqual(m.header.flags, [.initiator])
        XCTAssertEqual(m.header.minorVersion, 7)
        XCTAssertEqual(m.encode(), hex("0000000000000001 0000000000000000 00 27 22 08 00000000 0000001c"))
        XCTAssertEqual(m.header.exchangeType, .ikeSAInit)
    }
}

// Seed generator, part of the fuzz target: STRAIT_FUZZ_WRITE_SEEDS=DIR writes a message with every payload
// type (outer, named msg-*) and inner chains (first byte = first payload type, named inner-*) built with the
// codec's own encoder, then exits. run.sh adds the strongSwan captures from the unit-test fixtures.
import StraitCore
import StraitIKEWire
#if canImport(Glibc)
import Glibc
#endif

func writeSeeds(to dir: String) -> Bool {
    let header = IKEHeader(initiatorSPI: 0x0102_0304_0506_0708, responderSPI: 0x1112_1314_1516_1718,
                           exchangeType: .ikeAuth, flags: [.initiator], messageID: 1)
    let everything: [IKEPayload] = [
        .securityAssociation(SecurityAssociationPayload(proposals: [
            .ike(number: 1, transforms: [.encryption(.aesGCM16, keyLength: 256), .prf(.hmacSHA2_256), .keyExchange(.curve25519)]),
            .esp(number: 2, spi: 0x0a0b_0c0d, transforms: [.encryption(.aesCBC, keyLength: 128), .integrity(.hmacSHA2_256_128),
                                                           .extendedSequenceNumbers(.noESN),
                                                           Transform(type: TransformType(9), id: 1, attributes: [
                                                               TransformAttribute(type: TransformAttributeType(3), value: .tlv([1, 2])),
                                                           ])]),
        ])),
        .keyExchange(KeyExchangePayload(group: .curve25519, data: [UInt8](repeating: 0x42, count: 32))),
        .nonce(NoncePayload(data: [UInt8](repeating: 0x17, count: 32))),
        .identificationInitiator(.fqdn("site1")),
        .identificationResponder(.address(IPAddress("192.0.2.1")!)),
        .certificate(CertificatePayload(encoding: .x509Signature, data: [0x30, 0x03, 0x02, 0x01, 0x00])),
        .certificateRequest(CertificateRequestPayload(encoding: .x509Signature, authority: [UInt8](repeating: 9, count: 20))),
        .authentication(AuthenticationPayload(method: .sharedKeyMIC, data: [UInt8](repeating: 1, count: 32))),
        .notify(NotifyPayload(type: .natDetectionSourceIP, data: [UInt8](repeating: 2, count: 20))),
        .notify(NotifyPayload(protocolID: .esp, spi: [0, 0, 1, 0], type: .rekeySA)),
        .delete(.childSAs(spis: [1, 2])),
        .delete(.ikeSA),
        .vendorID(VendorIDPayload(data: Array("strait".utf8))),
        .trafficSelectorsInitiator(TrafficSelectorsPayload(selectors: [.addressRange(.anyIPv4), .addressRange(.anyIPv6)])),
        .trafficSelectorsResponder(TrafficSelectorsPayload(selectors: [.other(type: .securityLabel, data: [1, 2, 3])])),
        .configuration(ConfigurationPayload(type: .request, attributes: [
            ConfigurationAttribute(type: .internalIP4Address), ConfigurationAttribute(type: .internalIP6DNS),
        ])),
        .eap(EAPPayload(message: [2, 1, 0, 5, 1])),
        .unknown(UnknownPayload(type: PayloadType(120), body: [1])),
    ]
    var seeds: [(String, [UInt8])] = [
        ("msg-all-payloads", IKEMessage(header: header, payloads: everything).encode()),
        ("msg-sk", IKEMessage(header: header, payloads: [
            .notify(NotifyPayload(type: .cookie, data: [1, 2, 3, 4])),
            .encrypted(EncryptedPayload(firstPayloadType: .identificationInitiator, body: [UInt8](repeating: 0xab, count: 40))),
        ]).encode()),
        ("msg-skf", IKEMessage(header: header, payloads: [
            .encryptedFragment(EncryptedFragmentPayload(fragmentNumber: 1, totalFragments: 2,
                                                        firstPayloadType: .identificationInitiator, body: [1, 2, 3])),
        ]).encode()),
        ("msg-empty", IKEMessage(header: header, payloads: []).encode()),
    ]
    for (i, p) in everything.enumerated() {
        let chain = IKEMessage.encodePayloads([p])
        seeds.append(("inner-\(i)", [chain.firstType.rawValue] + chain.bytes))
    }
    let all = IKEMessage.encodePayloads(everything)
    seeds.append(("inner-all", [all.firstType.rawValue] + all.bytes))
    for (name, bytes) in seeds {
        guard let f = fopen(dir + "/" + name, "wb") else { return false }
        let written = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        guard written == bytes.count else { return false }
    }
    print(seeds.filter { $0.0.hasPrefix("msg-") }.count)
    return true
}

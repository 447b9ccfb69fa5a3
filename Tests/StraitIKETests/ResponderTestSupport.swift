import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire

/// An in-memory data plane: what the engine installed, with the keys, for the tests to check.
final class FakeDataPlane: IKEDataPlane {
    var nextSPI: UInt32 = 0xc000_0001
    var installed: [ChildSAHandle: ChildSAInstall] = [:]
    var removed: [ChildSAInstall] = []
    var released: [UInt32] = []
    private var nextHandle = 1
    func allocateInboundSPI() throws -> UInt32 { defer { nextSPI += 1 }; return nextSPI }
    func releaseInboundSPI(_ spi: UInt32) { released.append(spi) }
    func install(_ child: ChildSAInstall) throws -> ChildSAHandle {
        let h = ChildSAHandle(inbound: nextHandle, outbound: nextHandle + 1, policies: [nextHandle + 2])
        nextHandle += 3
        installed[h] = child
        return h
    }
    func remove(_ handle: ChildSAHandle) { if let c = installed.removeValue(forKey: handle) { removed.append(c) } }
    func query(_ handle: ChildSAHandle) -> ChildSAUsage? { installed[handle] == nil ? nil : ChildSAUsage() }
    /// Every updateEndpoints call, in order; the installed entry follows it.
    var endpointUpdates: [(handle: ChildSAHandle, local: IPAddress, remote: IPAddress, udp: (local: UInt16, remote: UInt16)?)] = []
    func updateEndpoints(_ handle: ChildSAHandle, local: IPAddress, remote: IPAddress,
                         udpEncapsulation: (local: UInt16, remote: UInt16)?) throws {
        guard installed[handle] != nil else { throw FakeDataPlaneError.unknownHandle }
        endpointUpdates.append((handle, local, remote, udpEncapsulation))
        installed[handle]!.local = local
        installed[handle]!.remote = remote
        installed[handle]!.udpEncapsulation = udpEncapsulation
    }
}

enum FakeDataPlaneError: Error { case unknownHandle }

enum TestConfig {
    static let loc = SourceLocation(file: "test.yaml", line: 1, column: 1)
    static let psk = Array("strait-lab-psk-0123456789".utf8)

    static func make(ikeProposal: String = "aes128gcm16-prfsha256-x25519", localTS: String = "10.1.0.0/24",
                     remoteTS: String = "10.2.0.0/24", cookieThreshold: Int = 500, dpd: IKEDPD = IKEDPD()) -> IKEConfig {
        let ike = IKEPolicyTemplate(name: "ike", proposals: [try! IKEProposal.parse(ikeProposal).get()], dpd: dpd, location: loc)
        let esp = IPsecPolicyTemplate(name: "esp", proposals: [try! ESPProposal.parse("aes128gcm16-esn-noesn").get()], location: loc)
        let policy = SecurityPolicy(name: "lan", localTS: [ConfigTS(prefix: IPPrefix(localTS)!)],
                                    remoteTS: [ConfigTS(prefix: IPPrefix(remoteTS)!)], ipsecPolicy: "esp", location: loc)
        let vpn = VPNDefinition(name: "sites", ikePolicy: "ike", ipsecPolicy: "esp", localAddress: IPAddress("192.0.2.1")!,
                                remoteAddress: .any, localID: try! IKEIdentity.parse("gw.strait.test").get(),
                                remoteID: try! IKEIdentity.parse("*.strait.test", allowPattern: true).get(),
                                localAuth: .psk, remoteAuth: .psk, psk: PSK(bytes: psk), securityPolicies: [policy], location: loc)
        return IKEConfig(limits: IKELimits(halfOpen: 100, cookieThreshold: cookieThreshold, queue: 64),
                         ikePolicyTemplates: [ike], ipsecPolicyTemplates: [esp], vpns: [vpn])
    }
}

/// A minimal IKEv2 initiator written from the RFC for these tests: IKE_SA_INIT and IKE_AUTH
/// with a PSK, X25519, AES-GCM-128, PRF-HMAC-SHA256. It checks the responder's AUTH itself.
struct TestInitiator {
    let local = IKEEndpoint(IPAddress("192.0.2.2")!, 500)
    let gateway = IKEEndpoint(IPAddress("192.0.2.1")!, 500)
    var spiI: UInt64 = 0x1122_3344_5566_7788
    var spiR: UInt64 = 0
    var nonceI = secureRandomBytes(32)
    var nonceR: [UInt8] = []
    var dh = try! KeyExchange(group: .curve25519)
    var initRequest: [UInt8] = []
    var initResponse: [UInt8] = []
    var keys: IKESAKeys?
    var out: SKCipher?
    var inn: SKCipher?
    var psk = TestConfig.psk
    var espSPI: UInt32 = 0xaabb_0001

    mutating func initRequestBytes(cookie: [UInt8]? = nil, group: KeyExchangeMethod = .curve25519,
                                   alsoOffer: [KeyExchangeMethod] = []) -> [UInt8] {
        let proposal = Proposal.ike(number: 1, transforms: [.encryption(.aesGCM16, keyLength: 128), .prf(.hmacSHA2_256),
                                                            .keyExchange(group)] + alsoOffer.map { .keyExchange($0) })
        var p: [IKEPayload] = cookie.map { [.notify(NotifyPayload(type: .cookie, data: $0))] } ?? []
        p += [.securityAssociation(SecurityAssociationPayload(proposals: [proposal])),
              .keyExchange(KeyExchangePayload(group: group, data: dh.publicValue)), .nonce(NoncePayload(data: nonceI))]
        let h = IKEHeader(initiatorSPI: spiI, responderSPI: 0, exchangeType: .ikeSAInit, flags: [.initiator], messageID: 0)
        initRequest = IKEMessage(header: h, payloads: p).encode()
        return initRequest
    }

    mutating func takeInitResponse(_ bytes: [UInt8]) throws {
        let m = try IKEMessage.decode(bytes)
        initResponse = bytes
        spiR = m.header.responderSPI
        nonceR = m.payloads.nonce!.data
        let shared = try dh.sharedSecret(peerPublicValue: m.payloads.keyExchange!.data)
        let suite = try IKESASuite(prf: .hmacSHA2_256, encryption: try EncryptionAlgorithm(.aesGCM16, keyLengthBits: 128), integrity: nil)
        let k = try IKEKeyDerivation.initialIKESAKeys(suite: suite, sharedSecret: shared, nonceI: nonceI, nonceR: nonceR,
                                                      spiI: spiI, spiR: spiR)
        keys = k
        (out, inn) = try SKCipher.directions(for: k, weAreOriginalInitiator: true)
    }

    func sealed(_ exchange: ExchangeType, messageID: UInt32, _ payloads: [IKEPayload]) throws -> [UInt8] {
        let (first, plain) = IKEMessage.encodePayloads(payloads)
        let h = IKEHeader(initiatorSPI: spiI, responderSPI: spiR, exchangeType: exchange, flags: [.initiator], messageID: messageID)
        var bytes = IKEMessage(header: h, payloads: [.encrypted(EncryptedPayload(firstPayloadType: first,
            body: [UInt8](repeating: 0, count: out!.sealedLength(plaintextLength: plain.count))))]).encode()
        let loc = try IKEMessage.encryptedPayloadLocation(in: bytes)!
        bytes.replaceSubrange(loc.contentOffset..<loc.end, with: try out!.seal(messagePrefix: Array(bytes[0..<loc.contentOffset]), plaintext: plain))
        return bytes
    }

    func opened(_ bytes: [UInt8]) throws -> (IKEHeader, [IKEPayload]) {
        let m = try IKEMessage.decode(bytes)
        let loc = try IKEMessage.encryptedPayloadLocation(in: bytes)!
        let plain = try inn!.open(message: bytes, bodyOffset: loc.contentOffset)
        return (m.header, try IKEMessage.decodePayloads(firstType: m.payloads.encrypted!.firstPayloadType, bytes: plain))
    }

    func authRequest(id: String = "site1.strait.test", tsi: String = "10.2.0.0/24", tsr: String = "10.1.0.0/24",
                     extra: [IKEPayload] = []) throws -> [UInt8] {
        let idi = IdentificationPayload.fqdn(id)
        let octets = IKEAuthentication.signedOctets(realMessage: initRequest, peerNonce: nonceR, prf: .hmacSHA2_256,
                                                    skP: keys!.skPi, idPayloadBody: idi.authenticationOctets)
        let auth = IKEAuthentication.sharedKeyAuth(prf: .hmacSHA2_256, sharedSecret: SecretBytes(copying: psk), signedOctets: octets)
        let esp = Proposal.esp(number: 1, spi: espSPI, transforms: [.encryption(.aesGCM16, keyLength: 128), .extendedSequenceNumbers(.esn)])
        return try sealed(.ikeAuth, messageID: 1, [
            .identificationInitiator(idi), .notify(NotifyPayload(type: .initialContact)),
            .authentication(AuthenticationPayload(method: AuthMethod(2), data: auth)),
            .securityAssociation(SecurityAssociationPayload(proposals: [esp])),
            .trafficSelectorsInitiator(TrafficSelectorsPayload(selectors: [.addressRange(AddressRangeSelector(prefix: IPPrefix(tsi)!))])),
            .trafficSelectorsResponder(TrafficSelectorsPayload(selectors: [.addressRange(AddressRangeSelector(prefix: IPPrefix(tsr)!))])),
        ] + extra)
    }

    /// Does the responder's AUTH verify (RFC 7296 2.15, the responder's signed octets)?
    func responderAuthVerifies(_ payloads: [IKEPayload]) -> Bool {
        guard case .identificationResponder(let idr)? = payloads.first(where: { $0.type == .identificationResponder }),
              case .authentication(let auth)? = payloads.first(where: { $0.type == .authentication }) else { return false }
        let octets = IKEAuthentication.signedOctets(realMessage: initResponse, peerNonce: nonceI, prf: .hmacSHA2_256,
                                                    skP: keys!.skPr, idPayloadBody: idr.authenticationOctets)
        return IKEAuthentication.verifySharedKeyAuth(auth.data, prf: .hmacSHA2_256, sharedSecret: SecretBytes(copying: TestConfig.psk),
                                                     signedOctets: octets)
    }
}

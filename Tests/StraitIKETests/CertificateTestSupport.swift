import Foundation
import Logging
import StraitConfig
import StraitCore
@testable import StraitIKE
import StraitIKECrypto
import StraitIKEWire
import XCTest

/// The test PKI in Tests/fixtures/ike-cert-pki (made by its make-pki.sh; test-only keys).
enum CertPKI {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/ike-cert-pki").path
    static func path(_ name: String) -> String { "\(directory)/\(name)" }

    static func local(_ name: String, chain: Bool = false) -> IKELocalAuth {
        .certificate(certificate: path(chain ? "\(name)-chain.pem" : "\(name).pem"), privateKey: path("\(name).key.pem"))
    }
    static func trusting(_ cas: String...) -> IKERemoteAuth { .certificate(ca: cas.map { path("\($0).pem") }) }

    /// Inside every certificate's validity (they were made on 2026-11-22 for 10 and 20 years).
    static let validTime = date("2027-06-01T12:00:00Z")
    /// After the end-entity certificates' notAfter (2036), before the CAs' (2046).
    static let afterExpiry = date("2040-01-01T00:00:00Z")

    static func date(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }
}

/// Gateway (responder, 192.0.2.1) and site (initiator, 192.0.2.2) configurations with the
/// authentication of each side given.
enum CertConfig {
    static let loc = TestConfig.loc

    /// Without IKE fragmentation unless asked: the tests look into whole IKE_AUTH messages.
    static func templates(_ proposal: String, fragmentation: Bool) -> (IKEPolicyTemplate, IPsecPolicyTemplate) {
        (IKEPolicyTemplate(name: "ike", proposals: [try! IKEProposal.parse(proposal).get()], fragmentation: fragmentation, location: loc),
         IPsecPolicyTemplate(name: "esp", proposals: [try! ESPProposal.parse("aes128gcm16-esn").get()], location: loc))
    }

    static func gateway(local: IKELocalAuth, remote: IKERemoteAuth, localID: String = "gw.strait.test",
                        remoteID: String = "*.strait.test", proposal: String = "aes128gcm16-prfsha256-x25519",
                        fragmentation: Bool = false) -> IKEConfig {
        let (ike, esp) = templates(proposal, fragmentation: fragmentation)
        let policy = SecurityPolicy(name: "lan", localTS: [ConfigTS(prefix: IPPrefix("10.1.0.0/16")!)],
                                    remoteTS: [ConfigTS(prefix: IPPrefix("10.2.0.0/16")!)], ipsecPolicy: "esp", location: loc)
        let usesPSK = local == .psk || remote == .psk
        let vpn = VPNDefinition(name: "sites", ikePolicy: "ike", ipsecPolicy: "esp", localAddress: IPAddress("192.0.2.1")!,
                                remoteAddress: .any, localID: try! IKEIdentity.parse(localID).get(),
                                remoteID: try! IKEIdentity.parse(remoteID, allowPattern: true).get(),
                                localAuth: local, remoteAuth: remote, psk: usesPSK ? PSK(bytes: TestConfig.psk) : nil,
                                securityPolicies: [policy], location: loc)
        return IKEConfig(limits: IKELimits(halfOpen: 100, cookieThreshold: 500, queue: 64),
                         ikePolicyTemplates: [ike], ipsecPolicyTemplates: [esp], vpns: [vpn])
    }

    static func site(local: IKELocalAuth, remote: IKERemoteAuth, localID: String = "site1.strait.test",
                     remoteID: String = "gw.strait.test", proposal: String = "aes128gcm16-prfsha256-x25519",
                     fragmentation: Bool = false) -> IKEConfig {
        let (ike, esp) = templates(proposal, fragmentation: fragmentation)
        let policy = SecurityPolicy(name: "lan", localTS: [ConfigTS(prefix: IPPrefix("10.2.0.0/24")!)],
                                    remoteTS: [ConfigTS(prefix: IPPrefix("10.1.0.0/24")!)], ipsecPolicy: "esp", location: loc)
        let usesPSK = local == .psk || remote == .psk
        let vpn = VPNDefinition(name: "hq", ikePolicy: "ike", ipsecPolicy: "esp", localAddress: IPAddress("192.0.2.2")!,
                                remoteAddress: .address(IPAddress("192.0.2.1")!), localID: try! IKEIdentity.parse(localID).get(),
                                remoteID: try! IKEIdentity.parse(remoteID, allowPattern: true).get(),
                                localAuth: local, remoteAuth: remote, psk: usesPSK ? PSK(bytes: TestConfig.psk) : nil,
                                securityPolicies: [policy], location: loc)
        return IKEConfig(ikePolicyTemplates: [ike], ipsecPolicyTemplates: [esp], vpns: [vpn])
    }
}

/// Two engines back to back with their data planes; `pump` carries datagrams until both are
/// quiet, and may rewrite what goes either way.
final class EnginePair {
    let sitePlane = FakeDataPlane(), gwPlane = FakeDataPlane()
    let site: IKEEngine, gw: IKEEngine
    let now = IKETime(nanoseconds: 9_000_000_000)

    init(site siteConfig: IKEConfig, gw gwConfig: IKEConfig, siteClock: Date = CertPKI.validTime,
         gwClock: Date = CertPKI.validTime) throws {
        sitePlane.nextSPI = 0x5100_0001
        site = try IKEEngine(config: siteConfig, dataPlane: sitePlane, logger: Logger(label: "site"), now: now,
                             wallClock: { siteClock })
        gw = try IKEEngine(config: gwConfig, dataPlane: gwPlane, logger: Logger(label: "gw"), now: now,
                           wallClock: { gwClock })
    }

    /// Start the site's VPN and exchange datagrams until both are quiet.
    @discardableResult
    func connect(toGW: ((IKEDatagram) -> IKEDatagram)? = nil, toSite: ((IKEDatagram) -> IKEDatagram)? = nil) throws -> Int {
        var a = try site.initiate(vpn: "hq", now: now), b: [IKEDatagram] = [], n = 0
        // What one side sends from local to remote, the other receives on remote from local.
        let flip = { (d: IKEDatagram) in IKEDatagram(local: d.remote, remote: d.local, bytes: d.bytes) }
        while !a.isEmpty || !b.isEmpty, n < 50 {
            for d in a.map(flip) { n += 1; b += gw.receive(toGW?(d) ?? d, now: now) }
            a = []
            for d in b.map(flip) { n += 1; a += site.receive(toSite?(d) ?? d, now: now) }
            b = []
        }
        return n
    }

    var bothEstablished: Bool {
        site.reports(now: now).first?.state == "established" && gw.reports(now: now).first?.state == "established"
    }

    /// The decrypted payloads of an IKE_AUTH datagram, opened with the receiving side's SA.
    func payloads(of d: IKEDatagram, openedBy receiver: IKEEngine) -> [IKEPayload]? {
        guard let m = try? IKEMessage.decode(d.bytes), m.header.exchangeType == .ikeAuth else { return nil }
        let ours = m.header.isFromInitiator ? m.header.responderSPI : m.header.initiatorSPI
        return try? receiver.sas[ours]?.open(d.bytes, m)
    }

    /// An IKE_AUTH datagram with its payloads changed by `change`, sealed again by the sender.
    func rewriteAuth(_ d: IKEDatagram, sender: IKEEngine, receiver: IKEEngine, _ change: ([IKEPayload]) -> [IKEPayload]) -> IKEDatagram {
        guard let m = try? IKEMessage.decode(d.bytes), let p = payloads(of: d, openedBy: receiver) else { return d }
        let ours = m.header.isFromInitiator ? m.header.initiatorSPI : m.header.responderSPI
        guard let sa = sender.sas[ours],
              let bytes = try? sa.seal(.ikeAuth, messageID: m.header.messageID, response: m.header.isResponse, change(p))
        else { return d }
        return IKEDatagram(local: d.local, remote: d.remote, bytes: bytes)
    }
}

/// Flip the last octet of the AUTH payload's data.
func tamperingAUTH(_ payloads: [IKEPayload]) -> [IKEPayload] {
    payloads.map {
        guard case .authentication(var a) = $0 else { return $0 }
        a.data[a.data.count - 1] ^= 0x01
        return .authentication(a)
    }
}

/// Test fixture bytes from a `.hex` file (whitespace ignored).
func hexFixture(_ path: String) throws -> [UInt8] {
    let text = try String(contentsOfFile: path, encoding: .utf8).filter { $0.isHexDigit }
    var out: [UInt8] = []
    var i = text.startIndex
    while i < text.endIndex {
        let j = text.index(i, offsetBy: 2)
        out.append(UInt8(text[i..<j], radix: 16)!)
        i = j
    }
    return out
}

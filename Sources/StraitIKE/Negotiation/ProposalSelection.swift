import StraitConfig
import StraitIKECrypto
import StraitIKEWire

/// The IKE SA algorithms both sides agreed on.
struct ChosenIKEProposal: Sendable, Equatable {
    var number: UInt8
    var encryption: IKEEncryptionAlgorithm
    var integrity: IKEIntegrityAlgorithm?
    var prf: IKEPRFAlgorithm
    var group: IKEDHGroup

    /// As strongSwan spells it, for reports and logs.
    var text: String {
        ([encryption.rawValue] + (integrity.map { [$0.description] } ?? []) + [prf.description, group.description])
            .joined(separator: "-")
    }

    /// The one proposal the responder sends back (RFC 7296 3.3: exactly one of each type).
    func wireProposal(spi: UInt64? = nil) -> Proposal {
        var t: [Transform] = [.encryption(EncryptionAlgorithm(encryption.transformID), keyLength: UInt16(encryption.keyBits))]
        if let integrity { t.append(.integrity(IntegrityAlgorithm(integrity.rawValue))) }
        t.append(.prf(PseudorandomFunction(prf.rawValue)))
        t.append(.keyExchange(KeyExchangeMethod(group.rawValue)))
        return Proposal(number: number, protocolID: .ike, spi: spi.map(bytes64) ?? [], transforms: t)
    }

    func suite() throws -> IKESASuite {
        try IKESASuite(prf: PRFAlgorithm(rawValue: prf.rawValue)!, encryption: cryptoEncryption(encryption),
                       integrity: integrity.flatMap { StraitIKECrypto.IntegrityAlgorithm(rawValue: $0.rawValue) })
    }
}

/// The CHILD SA algorithms both sides agreed on (AES-GCM only: what the fast path runs).
struct ChosenESPProposal: Sendable, Equatable {
    var number: UInt8
    var encryption: IKEEncryptionAlgorithm
    var esn: Bool
    var group: IKEDHGroup?
    /// The peer's SPI: where we send (our outbound SA).
    var peerSPI: UInt32

    var text: String {
        ([encryption.rawValue] + (group.map { [$0.description] } ?? []) + [esn ? "esn" : "noesn"]).joined(separator: "-")
    }

    func wireProposal(spi: UInt32) -> Proposal {
        var t: [Transform] = [.encryption(EncryptionAlgorithm(encryption.transformID), keyLength: UInt16(encryption.keyBits))]
        if let group { t.append(.keyExchange(KeyExchangeMethod(group.rawValue))) }
        t.append(.extendedSequenceNumbers(esn ? .esn : .noESN))
        return .esp(number: number, spi: spi, transforms: t)
    }

    func suite() throws -> ChildSASuite { try ChildSASuite(encryption: cryptoEncryption(encryption), integrity: nil) }
}

func cryptoEncryption(_ e: IKEEncryptionAlgorithm) throws -> StraitIKECrypto.EncryptionAlgorithm {
    try StraitIKECrypto.EncryptionAlgorithm(e.isAEAD ? .aesGCM16 : .aesCBC, keyLengthBits: e.keyBits)
}

func bytes64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) } }

/// Picks algorithms as a responder: our configured proposals in our order of preference, the
/// first of the peer's proposals that offers one of each transform type we need.
enum ProposalSelection {
    private static func offers(_ p: Proposal, _ type: TransformType, _ id: UInt16, keyBits: Int? = nil) -> Bool {
        p.transforms.contains { t in
            t.type == type && t.id == id && (keyBits == nil || Int(t.keyLength ?? 0) == keyBits!)
        }
    }

    static func selectIKE(offered: [Proposal], configured: [IKEProposal]) -> ChosenIKEProposal? {
        for mine in configured {
            for p in offered where p.protocolID == .ike {
                guard let enc = mine.encryption.first(where: { offers(p, .encryption, $0.transformID, keyBits: $0.keyBits) }),
                      let prf = mine.prf.first(where: { offers(p, .prf, $0.rawValue) }),
                      let group = mine.groups.first(where: { offers(p, .keyExchange, $0.rawValue) })
                else { continue }
                // An AEAD needs no integrity transform (any the peer lists beside it is ignored).
                var integ: IKEIntegrityAlgorithm?
                if !enc.isAEAD {
                    guard let i = mine.integrity.first(where: { offers(p, .integrity, $0.rawValue) }) else { continue }
                    integ = i
                }
                return ChosenIKEProposal(number: p.number, encryption: enc, integrity: integ, prf: prf, group: group)
            }
        }
        return nil
    }

    /// `withKE`: CREATE_CHILD_SA with a KE payload (PFS); in IKE_AUTH no group is negotiated.
    static func selectESP(offered: [Proposal], configured: [ESPProposal], withKE: Bool) -> ChosenESPProposal? {
        for mine in configured {
            for p in offered where p.protocolID == .esp {
                guard let spi = p.spi32,
                      let enc = mine.encryption.first(where: { $0.isAEAD && offers(p, .encryption, $0.transformID, keyBits: $0.keyBits) })
                else { continue }
                // ESN: absent in the offer means "no ESN" (RFC 7296 3.3.2 makes it mandatory,
                // but be lenient as strongSwan is).
                let offeredESN = p.transforms.filter { $0.type == .extendedSequenceNumbers }.map(\.id)
                let peer = offeredESN.isEmpty ? [ESNMode.noESN.rawValue] : offeredESN
                guard let esn = mine.esn.first(where: { peer.contains($0.rawValue) }) else { continue }
                // Without a KE payload (IKE_AUTH) KE transforms are ignored (RFC 7296 1.2).
                var group: IKEDHGroup?
                if withKE {
                    guard let g = mine.groups.first(where: { offers(p, .keyExchange, $0.rawValue) }) else { continue }
                    group = g
                }
                return ChosenESPProposal(number: p.number, encryption: enc, esn: esn == .esn, group: group, peerSPI: spi)
            }
        }
        return nil
    }
}

import StraitConfig
import StraitIKECrypto
import StraitIKEWire

/// Rekeying the IKE SA as the responder (RFC 7296 1.3.2, 2.18):
///   HDR, SK {SA, Ni, KEi}  -->  <--  HDR, SK {SA, Nr, KEr}
/// The new IKE SA inherits the identities; its message IDs start at 0. The engine moves the
/// CHILD SAs to it (IKEEngine+IKERekey: after a collision they may go elsewhere). The old one
/// lives until the initiator deletes it (an INFORMATIONAL on the old SA).
struct IKERekeyResponder {
    let engine: IKEEngineContext

    func process(old: IKESA, payloads: [IKEPayload], now: IKETime) -> (reply: [IKEPayload], new: IKESA?, note: String) {
        guard let sa = payloads.securityAssociation, let ni = payloads.nonce, let ke = payloads.keyExchange,
              let vpn = old.vpn, let template = engine.config.ikePolicyTemplate(named: vpn.ikePolicy)
        else { return ([.notify(NotifyPayload(type: .invalidSyntax))], nil, "IKE rekey without SA, nonce or KE") }
        guard let chosen = ProposalSelection.selectIKE(offered: sa.proposals, configured: template.proposals),
              let spiI = sa.proposals.first(where: { $0.number == chosen.number && $0.protocolID == .ike })?.spi64
        else { return ([.notify(NotifyPayload(type: .noProposalChosen))], nil, "no IKE proposal in common for the rekey") }
        guard ke.group.rawValue == chosen.group.rawValue else {
            return ([.notify(.invalidKEPayload(accepted: KeyExchangeMethod(chosen.group.rawValue)))], nil, "rekey KE group")
        }
        do {
            let dh = try KeyExchange(group: DHGroup(rawValue: chosen.group.rawValue)!)
            let shared = try dh.sharedSecret(peerPublicValue: ke.data)
            let nonceR = secureRandomBytes(32)
            let spiR = engine.newSPI()
            let keys = try IKEKeyDerivation.rekeyedIKESAKeys(old: old.keys, newSuite: try chosen.suite(), sharedSecret: shared,
                                                             nonceI: ni.data, nonceR: nonceR, spiI: spiI, spiR: spiR)
            let new = try IKESA(id: spiR, role: .responder, spiI: spiI, spiR: spiR, local: old.local, remote: old.remote,
                                proposal: chosen, keys: keys, nonceI: ni.data, nonceR: nonceR, initRequest: [], initResponse: [],
                                candidates: [vpn], now: now)
            new.inherit(from: old, now: now)
            let reply: [IKEPayload] = [
                .securityAssociation(SecurityAssociationPayload(proposals: [chosen.wireProposal(spi: spiR)])),
                .nonce(NoncePayload(data: nonceR)),
                .keyExchange(KeyExchangePayload(group: ke.group, data: dh.publicValue)),
            ]
            return (reply, new, "IKE SA rekeyed: \(hex(old.id)) -> \(hex(spiR)), \(chosen.text)")
        } catch {
            return ([.notify(NotifyPayload(type: .noProposalChosen))], nil, "IKE rekey failed: \(error)")
        }
    }
}

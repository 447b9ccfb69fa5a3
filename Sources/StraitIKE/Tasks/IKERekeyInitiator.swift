import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// What our CREATE_CHILD_SA rekeying the IKE SA promised.
struct IKERekeyContext {
    /// Our SPI of the new IKE SA: we start the exchange, so we are its original initiator.
    var spiI: UInt64
    var nonceI: [UInt8]
    var dh: KeyExchange
    var group: IKEDHGroup
    /// Sent again with the group the peer asked for (INVALID_KE_PAYLOAD): once only.
    var retried: Bool
}

/// Rekeying the IKE SA ourselves (RFC 7296 1.3.2, 2.18):
///   HDR, SK {SA, Ni, KEi}  -->  <--  HDR, SK {SA, Nr, KEr}
/// The new SA's keys come from the old SK_d (the same derivation as IKERekeyResponder). The
/// engine (IKEEngine+IKERekey) moves the CHILD SAs to it and deletes the old SA.
struct IKERekeyInitiator {
    let engine: IKEEngineContext

    enum Outcome {
        case rekeyed(IKESA)
        /// INVALID_KE_PAYLOAD naming a group we allow too: ask again with it.
        case otherGroup(IKEDHGroup)
        /// TEMPORARY_FAILURE (RFC 7296 2.25): the peer is busy with a rekey or a delete.
        case busy
        case failed(String)
    }

    /// The request; reserves the new SA's SPI (the engine gives it back on failure).
    func request(ike: IKESA, group: IKEDHGroup? = nil, retried: Bool = false) throws -> ([IKEPayload], IKERekeyContext) {
        guard let vpn = ike.vpn, let template = engine.config.ikePolicyTemplate(named: vpn.ikePolicy)
        else { throw IKEError.internal("no IKE template for the IKE SA") }
        // The current SA's group while still configured (the peer took it once), else our first.
        let configured = template.proposals.flatMap(\.groups)
        guard let g = group ?? (configured.contains(ike.proposal.group) ? ike.proposal.group : configured.first),
              let dhGroup = DHGroup(rawValue: g.rawValue)
        else { throw IKEError.internal("no key exchange group for the IKE SA rekey") }
        let dh = try KeyExchange(group: dhGroup)
        let spi = engine.newSPI()
        let nonce = secureRandomBytes(32)
        let proposals = IKEInitiator.wireProposals(template.proposals).map { p -> Proposal in
            var p = p
            p.spi = bytes64(spi)
            return p
        }
        let payloads: [IKEPayload] = [
            .securityAssociation(SecurityAssociationPayload(proposals: proposals)),
            .nonce(NoncePayload(data: nonce)),
            .keyExchange(KeyExchangePayload(group: KeyExchangeMethod(g.rawValue), data: dh.publicValue)),
        ]
        return (payloads, IKERekeyContext(spiI: spi, nonceI: nonce, dh: dh, group: g, retried: retried))
    }

    /// The answer: the new IKE SA (not yet in the engine, no CHILD SAs yet), or why not.
    func response(old: IKESA, _ c: IKERekeyContext, _ p: [IKEPayload], now: IKETime) -> Outcome {
        guard let vpn = old.vpn, let template = engine.config.ikePolicyTemplate(named: vpn.ikePolicy)
        else { return .failed("no IKE template") }
        if let n = p.notify(.invalidKEPayload), n.data.count == 2 {
            let wanted = UInt16(n.data[0]) << 8 | UInt16(n.data[1])
            guard !c.retried, let g = IKEDHGroup(rawValue: wanted), g != c.group,
                  template.proposals.contains(where: { $0.groups.contains(g) })
            else { return .failed("INVALID_KE_PAYLOAD: the peer wants group \(wanted), which we do not offer or already sent") }
            return .otherGroup(g)
        }
        if p.notify(.temporaryFailure) != nil { return .busy }
        if let err = p.firstErrorNotify { return .failed("the peer refused: \(err.type)") }
        guard let sa = p.securityAssociation, sa.proposals.count == 1, let spiR = sa.proposals[0].spi64, spiR != 0,
              let ke = p.keyExchange, let nr = p.nonce,
              let chosen = ProposalSelection.selectIKE(offered: sa.proposals, configured: template.proposals),
              chosen.group == c.group, ke.group.rawValue == c.group.rawValue
        else { return .failed("answer without an acceptable SA, KE or nonce") }
        do {
            let shared = try c.dh.sharedSecret(peerPublicValue: ke.data)
            let keys = try IKEKeyDerivation.rekeyedIKESAKeys(old: old.keys, newSuite: try chosen.suite(), sharedSecret: shared,
                                                             nonceI: c.nonceI, nonceR: nr.data, spiI: c.spiI, spiR: spiR)
            let new = try IKESA(id: c.spiI, role: .initiator, spiI: c.spiI, spiR: spiR, local: old.local, remote: old.remote,
                                proposal: chosen, keys: keys, nonceI: c.nonceI, nonceR: nr.data, initRequest: [],
                                initResponse: [], candidates: [vpn], now: now)
            new.inherit(from: old, now: now)
            return .rekeyed(new)
        } catch {
            return .failed("deriving the new IKE SA: \(error)")
        }
    }
}

extension IKESA {
    /// A rekeyed IKE SA carries on its predecessor's peer, identities, NAT and fragmentation
    /// state (RFC 7296 2.18, RFC 7383 2.5); its message IDs start again at 0. The CHILD SAs
    /// move separately (the engine decides where, after collisions).
    func inherit(from old: IKESA, now: IKETime) {
        vpn = old.vpn
        localID = old.localID
        remoteID = old.remoteID
        remoteIdentity = old.remoteIdentity
        natLocal = old.natLocal
        natRemote = old.natRemote
        fragmentation = old.fragmentation
        mobike = old.mobike
        midSync.enabled = old.midSync.enabled   // an extension of the peer, as strongSwan keeps it
        state = .established
        establishedAt = now
        nextExpectedRequest = 0
        nextRequestID = 0
    }
}

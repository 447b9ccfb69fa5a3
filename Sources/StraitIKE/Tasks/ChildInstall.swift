import StraitConfig
import StraitCore
import StraitIKECrypto

/// The one way a negotiated CHILD SA reaches the fast path, whichever exchange made it:
/// derive KEYMAT (RFC 7296 2.17), pick the directions, choose UDP encapsulation, install.
struct ChildInstall {
    let engine: IKEEngineContext

    /// `weInitiated`: we started the exchange that made it (its initiator-to-responder keys
    /// are then our outbound ones). Throws when the data plane refuses.
    func install(ike: IKESA, name: String, policyName: String, template: IPsecPolicyTemplate, chosen: ChosenESPProposal,
                 inboundSPI: UInt32, weInitiated: Bool, sharedSecret: SecretBytes?, nonceI: [UInt8], nonceR: [UInt8],
                 localTS: [IPPrefix], remoteTS: [IPPrefix], encapsulate: Bool? = nil, now: IKETime) throws -> ChildSA {
        let keys = try IKEKeyDerivation.childSAKeys(prf: PRFAlgorithm(rawValue: ike.proposal.prf.rawValue)!, skD: ike.keys.skD,
                                                    suite: try chosen.suite(), sharedSecret: sharedSecret,
                                                    nonceI: nonceI, nonceR: nonceR)
        // ESP in UDP (RFC 3948) behind a NAT or when the template forces it, to the NAT-T
        // ports where IKE floated.
        let encap = Self.udpPorts(ike: ike, encapsulate: encapsulate ?? (ike.natLocal || ike.natRemote || template.encapsulation == .udp))
        let (toPeer, fromPeer) = weInitiated ? (keys.initiatorToResponder, keys.responderToInitiator)
                                             : (keys.responderToInitiator, keys.initiatorToResponder)
        var install = ChildSAInstall(
            name: name, cookie: engine.newChildCookie(), inboundSPI: inboundSPI, outboundSPI: chosen.peerSPI,
            keyBits: chosen.encryption.keyBits, icvLength: 16, inboundKey: fromPeer.encryption, outboundKey: toPeer.encryption,
            esn: chosen.esn, replayWindow: template.replayWindow, local: ike.local.address, remote: ike.remote.address,
            udpEncapsulation: encap, localTS: localTS, remoteTS: remoteTS)
        install.softBytes = template.rekeyBytes
        install.hardBytes = template.lifeBytes
        install.softPackets = template.rekeyPackets
        install.hardPackets = template.lifePackets
        let handle = try engine.dataPlane.install(install)
        engine.counters.childSAsInstalled += 1
        return ChildSA(name: name, handle: handle, inboundSPI: inboundSPI, outboundSPI: chosen.peerSPI, proposal: chosen,
                       localTS: localTS, remoteTS: remoteTS, encapsulated: encap != nil, installedAt: now,
                       cookie: install.cookie, policyName: policyName, nonces: [nonceI, nonceR])
    }

    /// The UDP ports of ESP in UDP, where IKE floated (4500 when IKE still uses 500), or nil.
    static func udpPorts(ike: IKESA, encapsulate: Bool) -> (local: UInt16, remote: UInt16)? {
        encapsulate ? (ike.local.port == 500 ? 4500 : ike.local.port, ike.remote.port == 500 ? 4500 : ike.remote.port) : nil
    }
}

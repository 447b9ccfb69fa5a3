import StraitConfig
import StraitCore
import StraitIKEWire

/// Peers that move: the float to port 4500 in IKE_AUTH, NAT rebinding (RFC 7296 2.23) and
/// MOBIKE (RFC 4555, Tasks/MobikeResponder). Whatever moves the IKE SA moves its CHILD SAs in
/// the fast path too, so outbound ESP follows the peer, and the bus hears of it (HA).
extension IKEEngine {
    /// An authenticated request arrived from `d.remote` to `d.local`: follow the peer if the
    /// rules allow. IKE_AUTH: the initiator may float to 4500 (2.23; with MOBIKE even without
    /// a NAT, RFC 4555 3.3), and nothing is installed yet. Later, only behind a NAT (2.23: a
    /// mapping that changed) and only without MOBIKE, which moves SAs by UPDATE_SA_ADDRESSES
    /// alone (RFC 4555 3.5); a peer without NAT and without MOBIKE is answered where it wrote
    /// from but the SAs stay.
    func followPeer(_ ike: IKESA, _ d: IKEDatagram, now: IKETime) {
        let local = arrival(ike, d)
        guard local != ike.local || d.remote != ike.remote else { return }
        if ike.state == .halfOpen {
            ike.local = local
            ike.remote = d.remote
            return
        }
        guard !ike.mobike.enabled, ike.natLocal || ike.natRemote else { return }
        move(ike, local: local, remote: d.remote, natLocal: ike.natLocal, natRemote: ike.natRemote, reason: .nat)
    }

    /// The MOBIKE part of an INFORMATIONAL request: what to add to the answer.
    func mobikeRequest(_ ike: IKESA, _ payloads: [IKEPayload], _ d: IKEDatagram) -> [IKEPayload] {
        let out = MobikeResponder(engine: ctx).process(ike: ike, payloads: payloads, from: d.remote, to: arrival(ike, d))
        if let note = out.note { logger.info("ike \(hex(ike.id)): \(note)") }
        if let m = out.move {
            move(ike, local: m.local, remote: m.remote, natLocal: m.natLocal, natRemote: m.natRemote, reason: .mobike)
        }
        return out.reply
    }

    /// Where a datagram arrived: its local endpoint, or the SA's address with the datagram's
    /// port when the socket could not tell the address.
    private func arrival(_ ike: IKESA, _ d: IKEDatagram) -> IKEEndpoint {
        SelectorNarrowing.value(d.local.address) != 0 ? d.local : IKEEndpoint(ike.local.address, d.local.port)
    }

    /// Put the IKE SA at new endpoints and its CHILD SAs at the matching tunnel endpoints.
    /// Nothing happens when nothing changes (a MOBIKE update from where the peer already is).
    private func move(_ ike: IKESA, local: IKEEndpoint, remote: IKEEndpoint, natLocal: Bool, natRemote: Bool,
                      reason: IKEAddressChange) {
        let before = (ike.local, ike.remote, ike.natLocal, ike.natRemote)
        ike.local = local
        ike.remote = remote
        ike.natLocal = natLocal
        ike.natRemote = natRemote
        var changed = before.0 != local || before.1 != remote || before.2 != natLocal || before.3 != natRemote
        for i in ike.children.indices {
            let encap = ChildInstall.udpPorts(ike: ike, encapsulate: encapsulates(ike, ike.children[i]))
            do {
                try ctx.dataPlane.updateEndpoints(ike.children[i].handle, local: local.address, remote: remote.address,
                                                  udpEncapsulation: encap)
                changed = changed || ike.children[i].encapsulated != (encap != nil)
                ike.children[i].encapsulated = encap != nil
            } catch {
                logger.warning("ike \(hex(ike.id)): CHILD SA \(ike.children[i].name) cannot follow the peer to \(remote): \(error)")
            }
        }
        guard changed else { return }
        logger.info("ike \(hex(ike.id)): peer moved \(before.1) -> \(remote) (\(reason.rawValue))\(local != before.0 ? ", here \(before.0) -> \(local)" : "")\(natLocal || natRemote ? ", NAT" : "")")
        ctx.bus.publish(.ikeSAAddressesChanged(ikeSA: ike.id, local: local, remote: remote, natLocal: natLocal,
                                               natRemote: natRemote, reason: reason))
    }

    /// ESP in UDP when a NAT is on the path or the CHILD SA's template forces it (as at install).
    private func encapsulates(_ ike: IKESA, _ child: ChildSA) -> Bool {
        if ike.natLocal || ike.natRemote { return true }
        guard let policy = ike.vpn?.securityPolicies.first(where: { $0.name == child.policyName }),
              let template = ctx.config.ipsecPolicyTemplate(named: policy.ipsecPolicy) else { return child.encapsulated }
        return template.encapsulation == .udp
    }
}

import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// Makes a CHILD SA as the responder, from the SA/TSi/TSr payloads of IKE_AUTH (or of
/// CREATE_CHILD_SA): choose the ESP proposal, narrow the selectors, derive the keys (2.17),
/// install both directions in the fast path. Returns the payloads for the reply: either
/// SA, TSi, TSr or the error notify that explains why not (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE).
struct ChildCreate {
    let engine: IKEEngineContext

    enum Outcome {
        case installed(ChildSA, reply: [IKEPayload])
        case refused(reply: [IKEPayload], reason: String)
    }

    func respond(ike: IKESA, vpn: VPNDefinition, payloads: [IKEPayload], nonceI: [UInt8], nonceR: [UInt8],
                 sharedSecret: SecretBytes? = nil, withKE: Bool = false, now: IKETime) -> Outcome {
        guard let sa = payloads.securityAssociation, let tsi = payloads.first(where: { $0.type == .trafficSelectorsInitiator }),
              let tsr = payloads.first(where: { $0.type == .trafficSelectorsResponder }),
              case .trafficSelectorsInitiator(let tsiP) = tsi, case .trafficSelectorsResponder(let tsrP) = tsr
        else {
            return .refused(reply: [.notify(NotifyPayload(type: .invalidSyntax))], reason: "no SA/TSi/TSr for the CHILD SA")
        }
        // The first security policy whose selectors overlap the proposal's (2.9: narrowing).
        var match: (SecurityPolicy, [AddressRangeSelector], [AddressRangeSelector])?
        for policy in vpn.securityPolicies {
            let remote = SelectorNarrowing.narrow(tsiP.addressRanges, to: policy.remoteTS)
            let local = SelectorNarrowing.narrow(tsrP.addressRanges, to: policy.localTS)
            let pairs = remote.contains { r in local.contains { $0.startAddress.isIPv4 == r.startAddress.isIPv4 } }
            if pairs { match = (policy, remote, local); break }
        }
        guard let (policy, remoteTS, localTS) = match else {
            engine.counters.tsUnacceptable += 1
            return .refused(reply: [.notify(NotifyPayload(type: .tsUnacceptable))],
                            reason: "traffic selectors \(describe(tsiP.addressRanges)) === \(describe(tsrP.addressRanges)) fit no security policy of '\(vpn.name)'")
        }
        guard let template = engine.config.ipsecPolicyTemplate(named: policy.ipsecPolicy),
              let chosen = ProposalSelection.selectESP(offered: sa.proposals, configured: template.proposals, withKE: withKE)
        else {
            engine.counters.noProposal += 1
            return .refused(reply: [.notify(NotifyPayload(type: .noProposalChosen))],
                            reason: "no ESP proposal in common for '\(vpn.name)/\(policy.name)'")
        }
        var inboundSPI: UInt32 = 0
        do {
            inboundSPI = try engine.dataPlane.allocateInboundSPI()
            let child = try ChildInstall(engine: engine).install(
                ike: ike, name: "\(vpn.name)/\(policy.name)#\(ike.id & 0xffff_ffff)", policyName: policy.name, template: template,
                chosen: chosen, inboundSPI: inboundSPI, weInitiated: false, sharedSecret: sharedSecret, nonceI: nonceI,
                nonceR: nonceR, localTS: localTS.flatMap(SelectorNarrowing.prefixes),
                remoteTS: remoteTS.flatMap(SelectorNarrowing.prefixes), now: now)
            return .installed(child, reply: [
                .securityAssociation(SecurityAssociationPayload(proposals: [chosen.wireProposal(spi: inboundSPI)])),
                .trafficSelectorsInitiator(TrafficSelectorsPayload(selectors: remoteTS.map { .addressRange($0) })),
                .trafficSelectorsResponder(TrafficSelectorsPayload(selectors: localTS.map { .addressRange($0) })),
            ])
        } catch {
            if inboundSPI != 0 { engine.dataPlane.releaseInboundSPI(inboundSPI) }
            return .refused(reply: [.notify(NotifyPayload(type: .temporaryFailure))],
                            reason: "the fast path refused the CHILD SA: \(error)")
        }
    }

    private func describe(_ r: [AddressRangeSelector]) -> String {
        r.map { "\($0.startAddress)-\($0.endAddress)" }.joined(separator: ",")
    }
}

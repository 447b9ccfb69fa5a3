import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// What our CREATE_CHILD_SA rekey promised.
struct ChildRekeyContext {
    var oldOutboundSPI: UInt32
    var newInboundSPI: UInt32
    var nonceI: [UInt8]
    var dh: KeyExchange?
    var policyName: String
}

/// Rekeying a CHILD SA ourselves (RFC 7296 1.3.3), make-before-break:
///   HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr}  -->  <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
/// then the new pair is installed and the old one deleted with an INFORMATIONAL.
struct ChildRekeyInitiator {
    let engine: IKEEngineContext

    func request(ike: IKESA, child: ChildSA) throws -> ([IKEPayload], ChildRekeyContext) {
        guard let vpn = ike.vpn, let policy = vpn.securityPolicies.first(where: { $0.name == child.policyName }),
              let template = engine.config.ipsecPolicyTemplate(named: policy.ipsecPolicy)
        else { throw IKEError.internal("no template for CHILD SA \(child.name)") }
        let spi = try engine.dataPlane.allocateInboundSPI()
        let nonce = secureRandomBytes(32)
        // PFS when the template names a group: the first proposal's first group.
        var dh: KeyExchange?
        var proposals = IKEInitiator.wireESPProposals(template.proposals, spi: spi)
        if let g = template.proposals.first?.groups.first, let group = DHGroup(rawValue: g.rawValue) {
            dh = try KeyExchange(group: group)
            proposals = proposals.map { p in
                var p = p
                p.transforms.insert(.keyExchange(KeyExchangeMethod(g.rawValue)), at: 1)
                return p
            }
        }
        var payloads: [IKEPayload] = [
            .notify(NotifyPayload(protocolID: .esp, spi: bytes32(child.inboundSPI), type: .rekeySA)),
            .securityAssociation(SecurityAssociationPayload(proposals: proposals)),
            .nonce(NoncePayload(data: nonce)),
        ]
        if let dh, let g = template.proposals.first?.groups.first {
            payloads.append(.keyExchange(KeyExchangePayload(group: KeyExchangeMethod(g.rawValue), data: dh.publicValue)))
        }
        payloads += [
            .trafficSelectorsInitiator(TrafficSelectorsPayload(selectors: child.localTS.map { .addressRange(AddressRangeSelector(prefix: $0)) })),
            .trafficSelectorsResponder(TrafficSelectorsPayload(selectors: child.remoteTS.map { .addressRange(AddressRangeSelector(prefix: $0)) })),
        ]
        return (payloads, ChildRekeyContext(oldOutboundSPI: child.outboundSPI, newInboundSPI: spi, nonceI: nonce, dh: dh,
                                            policyName: policy.name))
    }

    /// The answer: install the new pair. nil with a reason when the peer refused.
    func response(ike: IKESA, old: ChildSA, _ c: ChildRekeyContext, _ p: [IKEPayload], now: IKETime) -> Result<ChildSA, IKEError> {
        guard let vpn = ike.vpn, let policy = vpn.securityPolicies.first(where: { $0.name == c.policyName }),
              let template = engine.config.ipsecPolicyTemplate(named: policy.ipsecPolicy),
              let sa = p.securityAssociation, let nr = p.nonce,
              let chosen = ProposalSelection.selectESP(offered: sa.proposals, configured: template.proposals, withKE: c.dh != nil)
        else { return .failure(.protocolError(p.firstErrorNotify.map { "\($0.type)" } ?? "no acceptable SA in the answer")) }
        do {
            var shared: SecretBytes?
            if let dh = c.dh {
                guard let ke = p.keyExchange else { return .failure(.protocolError("no KE in the PFS answer")) }
                shared = try dh.sharedSecret(peerPublicValue: ke.data)
            }
            return .success(try ChildInstall(engine: engine).install(
                ike: ike, name: old.name, policyName: c.policyName, template: template, chosen: chosen,
                inboundSPI: c.newInboundSPI, weInitiated: true, sharedSecret: shared, nonceI: c.nonceI, nonceR: nr.data,
                localTS: old.localTS, remoteTS: old.remoteTS, encapsulate: old.encapsulated, now: now))
        } catch {
            return .failure(.internal("installing the rekeyed CHILD SA: \(error)"))
        }
    }
}

func bytes32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

/// RFC 7296 2.8.1: of two simultaneous rekeys, the one whose exchange has the lowest nonce
/// is redundant. True when the exchange with nonces `a` lost to the one with nonces `b`.
func rekeyLoses(_ a: [[UInt8]], to b: [[UInt8]]) -> Bool {
    let minA = a.min { $0.lexicographicallyPrecedes($1) } ?? []
    let minB = b.min { $0.lexicographicallyPrecedes($1) } ?? []
    return minA.lexicographicallyPrecedes(minB)
}

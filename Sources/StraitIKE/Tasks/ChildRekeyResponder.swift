import StraitConfig
import StraitIKECrypto
import StraitIKEWire

/// CREATE_CHILD_SA as the responder, for a new CHILD SA or a CHILD SA rekey (RFC 7296 1.3.1,
/// 1.3.3):
///   HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi], TSi, TSr}  -->
///                                <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
/// Make-before-break: the new SA pair is installed before the answer leaves; the old one stays
/// until the initiator deletes it. (Rekeying the IKE SA itself is IKERekeyResponder's.)
struct ChildRekeyResponder {
    let engine: IKEEngineContext

    func process(ike: IKESA, payloads: [IKEPayload], now: IKETime) -> (reply: [IKEPayload], child: ChildSA?, note: String) {
        guard let vpn = ike.vpn, payloads.securityAssociation != nil, let ni = payloads.nonce else {
            return ([.notify(NotifyPayload(type: .invalidSyntax))], nil, "CREATE_CHILD_SA without SA or nonce")
        }
        let nonceR = secureRandomBytes(32)
        var shared: SecretBytes?
        var kePayload: [IKEPayload] = []
        if let ke = payloads.keyExchange {
            // PFS: the group must be one of the template's (checked again by the proposal).
            guard let group = DHGroup(rawValue: ke.group.rawValue), let dh = try? KeyExchange(group: group),
                  let s = try? dh.sharedSecret(peerPublicValue: ke.data)
            else { return ([.notify(.invalidKEPayload(accepted: ke.group))], nil, "bad KE in CREATE_CHILD_SA") }
            shared = s
            kePayload = [.keyExchange(KeyExchangePayload(group: ke.group, data: dh.publicValue))]
        }
        switch ChildCreate(engine: engine).respond(ike: ike, vpn: vpn, payloads: payloads, nonceI: ni.data, nonceR: nonceR,
                                                   sharedSecret: shared, withKE: shared != nil, now: now) {
        case .installed(let child, let reply):
            // SA, Nr, [KEr], TSi, TSr in the RFC's order.
            var out = [reply[0], .nonce(NoncePayload(data: nonceR))] + kePayload
            out += reply.dropFirst()
            let rekeyed = payloads.notify(.rekeySA).map { "rekeys CHILD SA 0x" + hex32($0.spi.reduce(0) { $0 << 8 | UInt32($1) }) } ?? "new"
            return (out, child, rekeyed)
        case .refused(let reply, let reason):
            return (reply, nil, reason)
        }
    }
}

import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// IKE_AUTH as the responder with a pre-shared key (RFC 7296 1.2, 2.15):
///   HDR, SK {IDi, [IDr,] AUTH, SAi2, TSi, TSr, [N(INITIAL_CONTACT)]}  -->
///                                    <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
/// The IKE SA is established once AUTH verifies, even when the CHILD SA is refused (2.21.2).
struct IKEAuthResponder {
    let engine: IKEEngineContext

    enum Outcome {
        case established(reply: [IKEPayload], child: ChildSA?, childRefusal: String?, initialContact: Bool)
        case failed(reply: [IKEPayload], reason: String)
    }

    func process(ike: IKESA, payloads: [IKEPayload], now: IKETime) -> Outcome {
        let authFailed: [IKEPayload] = [.notify(NotifyPayload(type: .authenticationFailed))]
        guard case .identificationInitiator(let idi)? = payloads.first(where: { $0.type == .identificationInitiator }),
              case .authentication(let auth)? = payloads.first(where: { $0.type == .authentication })
        else { return .failed(reply: [.notify(NotifyPayload(type: .invalidSyntax))], reason: "IKE_AUTH without IDi or AUTH") }
        var idr: IdentificationPayload?
        if case .identificationResponder(let r)? = payloads.first(where: { $0.type == .identificationResponder }) { idr = r }
        if payloads.contains(where: { $0.type == .eap }) || auth.method.rawValue != 2 {
            engine.counters.authFailures += 1
            return .failed(reply: authFailed, reason: "peer \(Identities.text(idi)) uses auth method \(auth.method.rawValue); only PSK (2) is configured")
        }
        guard let peerID = Identities.identity(idi) else {
            engine.counters.authFailures += 1
            return .failed(reply: authFailed, reason: "unsupported peer identity \(Identities.text(idi))")
        }
        // The VPN definition for this peer: remote identity pattern, and our identity if named.
        let vpns = ike.candidates.filter { vpn in
            vpn.remoteID.matches(peerID) && vpn.remoteAuth == .psk &&
                (idr.map { Identities.identity($0) == vpn.localID } ?? true)
        }
        guard let vpn = vpns.first, let psk = engine.config.psk(for: vpn, remoteID: peerID) else {
            engine.counters.authFailures += 1
            return .failed(reply: authFailed, reason: "no VPN definition accepts peer identity \(peerID) from \(ike.remote)")
        }
        let prf = PRFAlgorithm(rawValue: ike.proposal.prf.rawValue)!
        let secret = SecretBytes(copying: psk.bytes)
        let peerOctets = IKEAuthentication.signedOctets(realMessage: ike.initRequest, peerNonce: ike.nonceR, prf: prf,
                                                        skP: ike.keys.skPi, idPayloadBody: idi.authenticationOctets)
        guard IKEAuthentication.verifySharedKeyAuth(auth.data, prf: prf, sharedSecret: secret, signedOctets: peerOctets) else {
            engine.counters.authFailures += 1
            return .failed(reply: authFailed, reason: "AUTH from \(peerID) at \(ike.remote) does not verify with the PSK of '\(vpn.name)'")
        }
        ike.vpn = vpn
        ike.remoteID = idi
        ike.remoteIdentity = peerID
        let ourID = Identities.payload(vpn.localID)
        ike.localID = ourID
        let ourOctets = IKEAuthentication.signedOctets(realMessage: ike.initResponse, peerNonce: ike.nonceI, prf: prf,
                                                       skP: ike.keys.skPr, idPayloadBody: ourID.authenticationOctets)
        var reply: [IKEPayload] = [
            .identificationResponder(ourID),
            .authentication(AuthenticationPayload(method: AuthMethod(2),
                                                  data: IKEAuthentication.sharedKeyAuth(prf: prf, sharedSecret: secret, signedOctets: ourOctets))),
        ]
        var child: ChildSA?
        var refusal: String?
        if payloads.securityAssociation != nil {
            switch ChildCreate(engine: engine).respond(ike: ike, vpn: vpn, payloads: payloads, nonceI: ike.nonceI,
                                                       nonceR: ike.nonceR, now: now) {
            case .installed(let c, let childReply):
                child = c
                reply += childReply
            case .refused(let childReply, let reason):
                refusal = reason
                reply += childReply
            }
        }
        return .established(reply: reply, child: child, childRefusal: refusal,
                            initialContact: payloads.notify(.initialContact) != nil)
    }
}

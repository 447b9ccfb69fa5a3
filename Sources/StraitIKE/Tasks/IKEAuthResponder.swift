import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// IKE_AUTH as the responder with a pre-shared key or certificates (RFC 7296 1.2, 2.15; Auth/):
///   HDR, SK {IDi, [CERT+,] [CERTREQ,] [IDr,] AUTH, SAi2, TSi, TSr, [N(INITIAL_CONTACT)]}  -->
///                                    <--  HDR, SK {IDr, [CERT+,] AUTH, SAr2, TSi, TSr}
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
        if payloads.contains(where: { $0.type == .eap }) {
            engine.counters.authFailures += 1
            return .failed(reply: authFailed, reason: "peer \(Identities.text(idi)) wants EAP, which Strait does not offer")
        }
        guard let peerID = Identities.identity(idi) else {
            engine.counters.authFailures += 1
            return .failed(reply: authFailed, reason: "unsupported peer identity \(Identities.text(idi))")
        }
        // The VPN definition for this peer: remote identity pattern, our identity if named, and
        // a remote-auth that fits the AUTH method (a PSK MIC, or a signature with a certificate).
        let signs = auth.method != WireAuthMethod.sharedKeyMIC
        let vpns = ike.candidates.filter { vpn in
            vpn.remoteID.matches(peerID) && (vpn.remoteAuth != .psk) == signs &&
                (idr.map { Identities.identity($0).map(vpn.localID.matches) ?? false } ?? true)
        }
        guard let vpn = vpns.first else {
            engine.counters.authFailures += 1
            return .failed(reply: authFailed, reason: "no VPN definition accepts peer identity \(peerID) from \(ike.remote) "
                           + "with auth method \(methodName(auth.method))")
        }
        switch PeerAuthentication(engine: engine).verify(ike: ike, vpn: vpn, id: idi, identity: peerID, auth: auth, payloads: payloads) {
        case .failure(let f):
            engine.counters.authFailures += 1
            return .failed(reply: authFailed, reason: "'\(vpn.name)': \(f.reason)")
        case .success(let how):
            engine.logger.debug("ike \(ike.remote): \(peerID) authenticated for '\(vpn.name)' by \(how)")
        }
        let local = LocalAuthentication(engine: engine)
        let ourID = local.idPayload(vpn)
        let ours: [IKEPayload]
        do { ours = try local.payloads(ike: ike, vpn: vpn, id: ourID, peerIdentity: peerID) } catch {
            return .failed(reply: authFailed, reason: "'\(vpn.name)': cannot authenticate ourselves: \(error)")
        }
        ike.vpn = vpn
        ike.remoteID = idi
        ike.remoteIdentity = peerID
        ike.localID = ourID
        var reply: [IKEPayload] = [.identificationResponder(ourID)] + ours
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
        reply += MobikeResponder(engine: engine).authPayloads(ike: ike, vpn: vpn, request: payloads)
        reply += MessageIDSync(engine: engine).authPayloads(ike: ike, peer: payloads)
        return .established(reply: reply, child: child, childRefusal: refusal,
                            initialContact: payloads.notify(.initialContact) != nil)
    }
}

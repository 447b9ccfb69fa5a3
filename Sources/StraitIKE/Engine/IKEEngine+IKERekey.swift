import StraitConfig
import StraitCore
import StraitIKEWire

/// When an IKE SA is rekeyed, re-authenticated or deleted, from its ike-policy-template.
struct IKELifetime {
    /// Start a rekey: rekey-time less up to rand-time; nil: never.
    var rekeyAt: IKETime?
    /// Deleted past this when no rekey succeeded: rekey-time + over-time.
    var expireAt: IKETime?
    /// Deleted so that the peer authenticates again: reauth-time less up to rand-time. Kept
    /// across rekeys (a rekey authenticates nobody), as strongSwan does.
    var reauthAt: IKETime?
    /// We made the first IKE SA of this line (IKE_SA_INIT initiator): we start it again after reauth.
    var weStarted = false
}

/// Where a rekey of an IKE SA stands.
struct IKERekeyState {
    /// The SA that took over (the CHILD SAs moved there): this one only waits to be deleted,
    /// and CREATE_CHILD_SA on it gets TEMPORARY_FAILURE (RFC 7296 2.25.2).
    var replacedBy: UInt64?
    /// The peer rekeyed this SA while our rekey was in flight (2.8.2): its new SA, and the
    /// nonces of its exchange, which decide which new SA is redundant.
    var peerSuccessor: UInt64?
    var peerNonces: [[UInt8]] = []
}

/// IKE SA rekeys (RFC 7296 1.3.2, 2.8, 2.8.2) and lifetimes, for both roles: the tasks
/// (IKERekeyInitiator, IKERekeyResponder) derive the new SA; here the CHILD SAs move to the
/// survivor, untouched in the fast path, and the old SA is deleted.
extension IKEEngine {
    // MARK: Lifetimes

    func ikeLifetime(for ike: IKESA, now: IKETime, inheriting old: IKELifetime?) -> IKELifetime {
        let start = ike.establishedAt ?? now
        var l = IKELifetime(weStarted: old?.weStarted ?? (ike.role == .initiator))
        guard let vpn = ike.vpn, let t = ctx.config.ikePolicyTemplate(named: vpn.ikePolicy) else { return l }
        if t.rekeyTime > .zero {
            l.rekeyAt = start + (t.rekeyTime - Self.jitter(t.randTime, below: t.rekeyTime))
            l.expireAt = start + t.rekeyTime + t.overTime
        }
        if let old {
            l.reauthAt = old.reauthAt
        } else if t.reauthTime > .zero {
            l.reauthAt = start + (t.reauthTime - Self.jitter(t.randTime, below: t.reauthTime))
        }
        return l
    }

    /// A random part of rand-time, so that SAs made together do not rekey together; none when
    /// rand-time is not below the time it shortens (the template's rule).
    static func jitter(_ rand: Duration, below time: Duration) -> Duration {
        guard rand > .zero, rand < time else { return .zero }
        return .milliseconds(Int64.random(in: 0...Int64(seconds(rand) * 1000)))
    }

    /// The IKE SA's own times, with no request of ours in flight (a retransmit timeout ends the
    /// SA anyway, and a Delete must not take the message ID of an unanswered request). nil:
    /// nothing due.
    func ikeTimers(_ ike: IKESA, now: IKETime) -> [IKEDatagram]? {
        guard ike.state == .established, ike.pending == nil else { return nil }
        if ike.lifetime == nil { ike.lifetime = ikeLifetime(for: ike, now: now, inheriting: nil) }
        guard let l = ike.lifetime else { return nil }
        if let t = l.expireAt, now >= t {
            logger.warning("ike \(ike.remote): IKE SA \(hex(ike.id)) not rekeyed by rekey-time + over-time: deleted with its CHILD SAs")
            return deleteWithPeer(ike, reason: "IKE SA lifetime", now: now)
        }
        if ike.rekey.replacedBy != nil { return nil }   // superseded: it waits for its Delete
        if let t = l.reauthAt, now >= t { return reauthenticate(ike, now: now) }
        if let t = l.rekeyAt, now >= t { return startIKERekey(ike, now: now) }
        return nil
    }

    /// reauth-time: RFC 7296 2.8.3 reauthentication is a new IKE SA from IKE_SA_INIT. We
    /// delete the SA (break-before-make); a peer that started it starts it again (its
    /// start/close/dpd actions), and if we started it, we do.
    func reauthenticate(_ ike: IKESA, now: IKETime) -> [IKEDatagram] {
        logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)) reached reauth-time: deleted so that it is authenticated anew")
        var out = deleteWithPeer(ike, reason: "reauth-time", now: now)
        if ike.lifetime?.weStarted == true, let vpn = ike.vpn {
            do { out += try initiate(vpn: vpn.name, remote: ike.remote.address, now: now) } catch {
                logger.warning("ike \(ike.remote): cannot start '\(vpn.name)' again after reauth-time: \(error)")
            }
        }
        return out
    }

    /// CHILD SAs out of the fast path at once, the IKE SA when the peer answers its Delete.
    func deleteWithPeer(_ ike: IKESA, reason: String, now: IKETime) -> [IKEDatagram] {
        for child in ike.children { removeChild(ike, outboundSPI: child.outboundSPI, reason: reason) }
        let out = sendRequest(ike, .informational, [.delete(.ikeSA)], kind: .deleteIKE, now: now)
        if out.isEmpty { deleteSA(ike, reason: reason, notify: false) }
        return out
    }

    // MARK: We rekey

    func startIKERekey(_ ike: IKESA, now: IKETime, group: IKEDHGroup? = nil, retried: Bool = false) -> [IKEDatagram] {
        do {
            let (payloads, c) = try IKERekeyInitiator(engine: ctx).request(ike: ike, group: group, retried: retried)
            let out = sendRequest(ike, .createChildSA, payloads, kind: .rekeyIKE(c), now: now)
            if out.isEmpty {
                ctx.releaseSPI(c.spiI)
                throw IKEError.internal("request not sealed")
            }
            ike.rekey.peerSuccessor = nil
            logger.info("ike \(ike.remote): rekeying IKE SA \(hex(ike.id)) (\(c.group))")
            return out
        } catch {
            ike.lifetime?.rekeyAt = now + .seconds(60)
            logger.warning("ike \(ike.remote): cannot rekey IKE SA \(hex(ike.id)): \(error); again in 60 s")
            return []
        }
    }

    /// The answer to our rekey: the new SA takes the CHILD SAs and we delete the old one, or
    /// after a collision (2.8.2) the SA made with the lowest of the four nonces is deleted by
    /// whoever made it, and the other new SA inherits the CHILD SAs.
    func ikeRekeyAnswered(_ old: IKESA, _ c: IKERekeyContext, _ payloads: [IKEPayload], now: IKETime) -> [IKEDatagram] {
        let outcome = IKERekeyInitiator(engine: ctx).response(old: old, c, payloads, now: now)
        guard case .rekeyed(let new) = outcome else {
            ctx.releaseSPI(c.spiI)
            // The peer's own rekey of this SA succeeded and ours did not (it finished first
            // and refused ours, 2.8.2's one-sided case): its SA carries on, it deletes this one.
            if let p = successor(old) {
                logger.info("ike \(old.remote): IKE SA rekey collision: ours failed, the peer's \(hex(p.id)) takes over")
                handOver(old, to: p, now: now)
                return []
            }
            switch outcome {
            case .otherGroup(let g):
                logger.info("ike \(old.remote): IKE SA rekey: INVALID_KE_PAYLOAD, once more with \(g)")
                return startIKERekey(old, now: now, group: g, retried: true)
            case .busy:
                // TEMPORARY_FAILURE: not at once (RFC 7296 2.25), within the hard lifetime.
                old.lifetime?.rekeyAt = now + .seconds(15) + .milliseconds(Int64.random(in: 0...10_000))
                logger.info("ike \(old.remote): IKE SA rekey: TEMPORARY_FAILURE; again in 15 to 25 s")
            case .failed(let why):
                old.lifetime?.rekeyAt = now + .seconds(60)
                logger.warning("ike \(old.remote): rekey of IKE SA \(hex(old.id)) failed: \(why); again in 60 s until over-time runs out")
            case .rekeyed: break
            }
            return []
        }
        sas[new.id] = new
        new.lifetime = ikeLifetime(for: new, now: now, inheriting: old.lifetime)
        logger.info("ike \(old.remote): IKE SA rekeyed (we initiated): \(hex(old.id)) -> \(hex(new.id)), \(new.proposal.text)")
        if let p = successor(old) {
            if rekeyLoses([c.nonceI, new.nonceR], to: old.rekey.peerNonces) {
                logger.info("ike \(old.remote): IKE SA rekey collision: ours \(hex(new.id)) holds the lowest nonce and goes; the peer's \(hex(p.id)) stays")
                handOver(old, to: p, now: now)
                new.rekey.replacedBy = p.id
                return sendRequest(new, .informational, [.delete(.ikeSA)], kind: .deleteIKE, now: now)
            }
            // The peer deletes its redundant SA; until then it holds nothing.
            logger.info("ike \(old.remote): IKE SA rekey collision: the peer's \(hex(p.id)) holds the lowest nonce and goes; ours stays")
            p.rekey.replacedBy = new.id
        }
        handOver(old, to: new, now: now)
        return sendRequest(old, .informational, [.delete(.ikeSA)], kind: .deleteIKE, now: now)
    }

    // MARK: The peer rekeys

    /// An IKE SA rekey request (the checks of `mustWait` passed).
    func answerIKERekey(_ old: IKESA, _ payloads: [IKEPayload], now: IKETime) -> [IKEPayload] {
        let (reply, made, note) = IKERekeyResponder(engine: ctx).process(old: old, payloads: payloads, now: now)
        logger.info("ike \(old.remote): \(note)")
        guard let new = made else { return reply }
        sas[new.id] = new
        new.lifetime = ikeLifetime(for: new, now: now, inheriting: old.lifetime)
        if case .rekeyIKE? = old.pending?.kind {
            // Both ends rekey at once: the CHILD SAs stay until our answer says which new SA lives.
            old.rekey.peerSuccessor = new.id
            old.rekey.peerNonces = [new.nonceI, new.nonceR]
            logger.info("ike \(old.remote): IKE SA rekey collision: both ends rekey \(hex(old.id))")
        } else {
            handOver(old, to: new, now: now)
        }
        return reply
    }

    /// CREATE_CHILD_SA requests that must wait (RFC 7296 2.25.1, 2.25.2): a new or rekeyed CHILD
    /// SA while we rekey the IKE SA, anything on an IKE SA that was replaced (we or the peer are
    /// closing it) or that we are deleting (our Delete crossed the request), an IKE SA rekey
    /// while one of our CHILD SA rekeys is in flight (its CHILD SA would move under it;
    /// strongSwan refuses this too).
    func mustWait(_ ike: IKESA, _ payloads: [IKEPayload]) -> Bool {
        if ike.rekey.replacedBy != nil { return true }
        let rekeysIKE = payloads.securityAssociation?.proposals.contains { $0.protocolID == .ike } == true
        switch ike.pending?.kind {
        case .deleteIKE?: return true
        case .rekeyIKE?: return !rekeysIKE
        case .rekeyChild?: return rekeysIKE
        default: return false
        }
    }

    // MARK: Moving CHILD SAs

    /// The peer's new SA from a collision, while it is alive.
    func successor(_ old: IKESA) -> IKESA? {
        old.rekey.peerSuccessor.flatMap { sas[$0] }.flatMap { $0.state == .established ? $0 : nil }
    }

    /// The CHILD SAs move to `new` as they are: same handles and SPIs in the fast path.
    func handOver(_ old: IKESA, to new: IKESA, now: IKETime) {
        new.children += old.children
        old.children = []
        old.rekey.replacedBy = new.id
        old.rekey.peerSuccessor = nil
        ctx.bus.publish(.ikeSARekeyed(old: old.id, new: report(new, now: now)))
    }
}

import Foundation
import Logging
import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// The IKEv2 protocol engine: every IKE SA of the box, driven by datagrams and the clock.
/// No I/O and no threads of its own: the shell calls it from one thread and sends what it
/// returns. Requests are answered by tasks (Tasks/), one per exchange step.
public final class IKEEngine {
    public var bus: IKEEventBus { ctx.bus }
    public var counters: IKECounters { ctx.counters }

    let ctx: IKEEngineContext
    /// Every IKE SA by our SPI.
    var sas: [UInt64: IKESA] = [:]
    /// Half-open SAs by the initiator's SPI and address, to recognise IKE_SA_INIT retransmits.
    var halfOpen: [HalfOpenKey: UInt64] = [:]
    /// IKE SAs we are starting, by our SPI, until IKE_SA_INIT is answered.
    var initiating: [UInt64: InitiatingSA] = [:]
    /// The answers to Deletes of IKE SAs that are gone, for retransmits of those Deletes.
    var closedAnswers = ClosedSAAnswers()
    /// How long an SA may stay half-open before it is dropped.
    static let halfOpenTimeout = Duration.seconds(30)

    struct HalfOpenKey: Hashable { var spiI: UInt64; var remote: IKEEndpoint }

    /// - credentials: the certificates and keys of `config` (`IKECredentials.load`); nil reads
    ///   the files `config` names here, once.
    /// - wallClock: the date certificates are checked against.
    public init(config: IKEConfig, dataPlane: IKEDataPlane, bus: IKEEventBus = IKEEventBus(), logger: Logger,
                now: IKETime, credentials: IKECredentials? = nil, wallClock: @escaping @Sendable () -> Date = { Date() }) throws {
        ctx = try IKEEngineContext(config: config, dataPlane: dataPlane, bus: bus, logger: logger, now: now,
                                   credentials: credentials, wallClock: wallClock)
    }

    var logger: Logger { ctx.logger }

    // MARK: Receive

    /// A datagram arrived; returns what to send (responses, or nothing).
    public func receive(_ datagram: IKEDatagram, now: IKETime) -> [IKEDatagram] {
        ctx.counters.received += 1
        let bytes = datagram.bytes
        guard let peeked = try? IKEHeader.peek(bytes), Int(peeked.length) == bytes.count else {
            ctx.counters.malformed += 1
            return []
        }
        let h = peeked.header
        if h.exchangeType == .ikeSAInit && !h.isResponse && h.responderSPI == 0 {
            return initRequest(datagram, now: now)
        }
        if h.exchangeType == .ikeSAInit && h.isResponse && !h.isFromInitiator, initiating[h.initiatorSPI] != nil {
            return initResponse(datagram, now: now)
        }
        // Our SPI is the responder's when the peer is the original initiator.
        let ours = h.isFromInitiator ? h.responderSPI : h.initiatorSPI
        guard let ike = sas[ours], ike.spiI == h.initiatorSPI, ike.spiR == h.responderSPI else {
            if !h.isResponse, let again = closedAnswers.answer(ourSPI: ours, spiI: h.initiatorSPI, spiR: h.responderSPI,
                                                               messageID: h.messageID, from: datagram.remote, now: now) {
                ctx.counters.retransmitsAnswered += 1
                return again.map { reply(datagram, $0) }
            }
            ctx.counters.unknownSPI += 1
            return []
        }
        let message: IKEMessage
        do { message = try IKEMessage.decode(bytes) } catch {
            ctx.counters.malformed += 1
            logger.debug("ike \(ike.remote): undecodable message: \(error)")
            return []
        }
        if h.isResponse { return response(ike, message, datagram, now: now) }
        return request(ike, message, datagram, now: now)
    }

    private func initRequest(_ d: IKEDatagram, now: IKETime) -> [IKEDatagram] {
        let message: IKEMessage
        do { message = try IKEMessage.decode(d.bytes) } catch let e as IKEWireError {
            ctx.counters.malformed += 1
            if case .unsupportedCriticalPayload(let type) = e.code, let h = try? IKEHeader.peek(d.bytes).header {
                let refusal = IKEMessage(header: IKEHeader(initiatorSPI: h.initiatorSPI, responderSPI: 0, exchangeType: .ikeSAInit,
                                                           flags: [.response], messageID: h.messageID),
                                         payloads: [.notify(.unsupportedCriticalPayload(type))]).encode()
                return [reply(d, refusal)]
            }
            return []
        } catch { ctx.counters.malformed += 1; return [] }
        let key = HalfOpenKey(spiI: message.header.initiatorSPI, remote: d.remote)
        if let id = halfOpen[key], let ike = sas[id], let last = ike.lastResponse {
            ctx.counters.retransmitsAnswered += 1
            return last.datagrams.map { reply(d, $0) }
        }
        let candidates = ctx.config.vpns.filter { vpn in
            (SelectorNarrowing.value(d.local.address) == 0 || vpn.localAddress == d.local.address)
                && vpn.remoteAddress.contains(d.remote.address)
        }
        guard !candidates.isEmpty else {
            logger.info("ike \(d.remote): IKE_SA_INIT to \(d.local) matches no VPN definition")
            return []
        }
        guard halfOpen.count < ctx.config.limits.halfOpen else {
            ctx.counters.halfOpenRefused += 1
            return []
        }
        switch IKEInitResponder(engine: ctx).process(message, bytes: d.bytes, datagram: d, candidates: candidates,
                                                    halfOpen: halfOpen.count, now: now) {
        case .created(let ike, let response):
            sas[ike.id] = ike
            halfOpen[key] = ike.id
            logger.debug("ike \(d.remote): IKE_SA_INIT answered, SA \(hex(ike.id)) half-open, \(ike.proposal.text), NAT local=\(ike.natLocal) remote=\(ike.natRemote)")
            return [reply(d, response)]
        case .reply(let bytes, let reason):
            if reason == "cookie" { ctx.counters.cookiesSent += 1 }
            if reason.hasPrefix("no proposal") { ctx.counters.noProposal += 1 }
            logger.info("ike \(d.remote): IKE_SA_INIT refused: \(reason)")
            return [reply(d, bytes)]
        case .drop(let reason):
            ctx.counters.malformed += 1
            logger.info("ike \(d.remote): IKE_SA_INIT dropped: \(reason)")
            return []
        }
    }

    /// A request from the peer on an existing SA.
    private func request(_ ike: IKESA, _ message: IKEMessage, _ d: IKEDatagram, now: IKETime) -> [IKEDatagram] {
        let id = message.header.messageID
        // RFC 6311: a sync request comes with message ID 0, whatever ID we expect.
        if id == 0, message.header.exchangeType == .informational, ike.state == .established, ike.midSync.enabled,
           let out = answerMessageIDSync(ike, message, d, now: now) { return out }
        if let last = ike.lastResponse, last.messageID == id, id &+ 1 == ike.nextExpectedRequest {
            // A retransmit (of any fragment): the whole answer again (RFC 7383 2.6.1).
            if message.payloads.encryptedFragment.map({ $0.fragmentNumber != 1 }) ?? false { return [] }
            ctx.counters.retransmitsAnswered += 1
            return last.datagrams.map { reply(d, $0) }
        }
        guard id == ike.nextExpectedRequest else { return [] }   // outside the window of 1
        let payloads: [IKEPayload]
        do {
            if message.payloads.encryptedFragment != nil {
                guard case .complete(let p) = try ike.reassemble(d.bytes, message) else { return [] }
                payloads = p
            } else {
                payloads = try ike.open(d.bytes, message)
            }
        } catch {
            ctx.counters.malformed += 1
            logger.info("ike \(ike.remote): request \(id) does not decrypt: \(error)")
            return []
        }
        // Authenticated: the peer may have moved (IKEEngine+Mobike: the float to 4500, NAT, MOBIKE).
        followPeer(ike, d, now: now)
        ike.lastHeard = now
        var answer: [IKEPayload] = []
        var after: (() -> Void)?
        switch message.header.exchangeType {
        case .ikeAuth where ike.state == .halfOpen:
            (answer, after) = authenticate(ike, payloads, now: now)
        case .informational where ike.state == .established:
            switch InformationalResponder().process(ike: ike, payloads: payloads) {
            case .reply(let p, let gone, let deleteIKE):
                answer = p + (deleteIKE ? [] : mobikeRequest(ike, payloads, d))
                for spi in gone { removeChild(ike, outboundSPI: spi, reason: "deleted by peer") }
                if deleteIKE { after = { self.deleteSA(ike, reason: "deleted by peer") } }
            }
        case .createChildSA where ike.state == .established && mustWait(ike, payloads):
            answer = [.notify(NotifyPayload(type: .temporaryFailure))]
            logger.info("ike \(ike.remote): CREATE_CHILD_SA answered TEMPORARY_FAILURE (IKE SA \(hex(ike.id)) is being rekeyed or deleted)")
        case .createChildSA where ike.state == .established
            && payloads.securityAssociation?.proposals.contains(where: { $0.protocolID == .ike }) == true:
            answer = answerIKERekey(ike, payloads, now: now)
        case .createChildSA where ike.state == .established:
            let (p, child, note) = ChildRekeyResponder(engine: ctx).process(ike: ike, payloads: payloads, now: now)
            answer = p
            if let child {
                // A rekey of a CHILD SA we are rekeying too: remember the peer's nonces (2.8.1).
                // The old one is replaced: we no longer rekey it, the peer deletes it.
                if let r = payloads.notify(.rekeySA), r.spi.count == 4,
                   let i = ike.children.firstIndex(where: { $0.outboundSPI == r.spi.reduce(0) { $0 << 8 | UInt32($1) } }) {
                    if ike.children[i].rekeying { ike.children[i].peerRekeyNonces = child.nonces }
                    ike.children[i].rekeyAt = nil
                }
                addChild(ike, child, note: note)
            } else { logger.info("ike \(ike.remote): CREATE_CHILD_SA: \(note)") }
        default:
            answer = [.notify(NotifyPayload(type: .invalidSyntax))]
        }
        guard let out = try? ike.sealAll(message.header.exchangeType, messageID: id, response: true, answer, fragmentSize: ctx.fragmentSize) else { return [] }
        ike.lastResponse = (id, out)
        ike.nextExpectedRequest = id &+ 1
        ctx.bus.publish(.messageIDs(ikeSA: ike.id, nextInitiatorRequest: ike.nextRequestID, nextExpectedRequest: ike.nextExpectedRequest))
        after?()
        if ike.state == .deleting {
            closedAnswers.remember(ourSPI: ike.id, .init(spiI: ike.spiI, spiR: ike.spiR, remote: d.remote, messageID: id,
                                                         datagrams: out, until: now + ClosedSAAnswers.hold))
        }
        return out.map { reply(d, $0) }
    }

    private func authenticate(_ ike: IKESA, _ payloads: [IKEPayload], now: IKETime) -> ([IKEPayload], (() -> Void)?) {
        switch IKEAuthResponder(engine: ctx).process(ike: ike, payloads: payloads, now: now) {
        case .failed(let reply, let reason):
            logger.warning("ike \(ike.remote): authentication failed: \(reason)")
            return (reply, { self.deleteSA(ike, reason: "authentication failed", notify: false) })
        case .established(let reply, let child, let refusal, let initialContact):
            ike.state = .established
            ike.establishedAt = now
            halfOpen.removeValue(forKey: HalfOpenKey(spiI: ike.spiI, remote: ike.remote))
            halfOpen = halfOpen.filter { $0.value != ike.id }
            ctx.counters.ikeSAsEstablished += 1
            let report = self.report(ike, now: now)
            logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)) established with \(report.remoteID) for '\(report.vpn)', \(ike.proposal.text)\(ike.natLocal || ike.natRemote ? ", NAT" : "")")
            ctx.bus.publish(.ikeSAEstablished(report))
            if let child { addChild(ike, child, note: "with IKE_AUTH") }
            if let refusal { logger.warning("ike \(ike.remote): CHILD SA refused: \(refusal)") }
            return (reply, { self.replaceDuplicates(of: ike, initialContact: initialContact) })
        }
    }

    /// `unique-sa` (and INITIAL_CONTACT, RFC 7296 2.4): older SAs of the same peer identity go.
    private func replaceDuplicates(of ike: IKESA, initialContact: Bool) {
        guard let vpn = ike.vpn, let template = ctx.config.ikePolicyTemplate(named: vpn.ikePolicy),
              template.uniqueSA != .never else { return }
        let others = sas.values.filter {
            $0 !== ike && $0.state == .established && $0.vpn?.name == vpn.name && $0.remoteIdentity == ike.remoteIdentity
        }
        guard !others.isEmpty else { return }
        if template.uniqueSA == .keep && !initialContact {
            logger.warning("ike \(ike.remote): unique-sa keep: a second IKE SA for \(ike.remoteIdentity?.description ?? "?") is deleted")
            deleteSA(ike, reason: "unique-sa keep", notify: false)
            return
        }
        for old in others { deleteSA(old, reason: initialContact ? "INITIAL_CONTACT" : "replaced by a new IKE SA (unique-sa)", notify: false) }
    }

    /// A response to our own request (IKE_AUTH, liveness, delete).
    private func response(_ ike: IKESA, _ message: IKEMessage, _ d: IKEDatagram, now: IKETime) -> [IKEDatagram] {
        guard let pending = ike.pending, pending.messageID == message.header.messageID else { return [] }
        let payloads: [IKEPayload]
        if message.payloads.encryptedFragment != nil {
            guard case .complete(let p)? = try? ike.reassemble(d.bytes, message) else { return [] }
            payloads = p
        } else {
            guard let p = try? ike.open(d.bytes, message) else { return [] }
            payloads = p
        }
        ike.pending = nil
        ike.lastHeard = now
        ike.nextRequestID = pending.messageID &+ 1
        // HA sync follows our window too, not only the peer's (a stale copy fails a takeover).
        ctx.bus.publish(.messageIDs(ikeSA: ike.id, nextInitiatorRequest: ike.nextRequestID, nextExpectedRequest: ike.nextExpectedRequest))
        switch pending.kind {
        case .deleteIKE: deleteSA(ike, reason: "terminated", notify: false)
        case .auth(let auth): return authenticated(ike, auth, payloads, now: now)
        case .rekeyChild(let c): return rekeyed(ike, c, payloads, now: now)
        case .rekeyIKE(let c): return ikeRekeyAnswered(ike, c, payloads, now: now)
        case .deleteChild(let spis):
            for child in ike.children where spis.contains(child.inboundSPI) {
                removeChild(ike, outboundSPI: child.outboundSPI, reason: "deleted by us")
            }
        case .messageIDSync(let c): messageIDSyncAnswered(ike, c, payloads)
        case .liveness: break
        }
        return []
    }

    /// The answer to our CHILD SA rekey: the new pair in, then one of the pairs out.
    private func rekeyed(_ ike: IKESA, _ c: ChildRekeyContext, _ payloads: [IKEPayload], now: IKETime) -> [IKEDatagram] {
        guard let i = ike.children.firstIndex(where: { $0.outboundSPI == c.oldOutboundSPI }) else {
            ctx.dataPlane.releaseInboundSPI(c.newInboundSPI)
            return []
        }
        let old = ike.children[i]
        ike.children[i].rekeying = false
        switch ChildRekeyInitiator(engine: ctx).response(ike: ike, old: old, c, payloads, now: now) {
        case .failure(let e):
            ctx.dataPlane.releaseInboundSPI(c.newInboundSPI)
            ike.children[i].rekeyAt = now + .seconds(30)
            logger.warning("ike \(ike.remote): rekey of CHILD SA \(old.name) failed: \(e); retry in 30 s")
            return []
        case .success(let new):
            addChild(ike, new, note: "rekeyed by us")
            // Both sides rekeyed at once: the exchange with the lowest nonce made the redundant
            // pair, and its initiator deletes that pair (RFC 7296 2.8.1).
            var doomed = old.inboundSPI
            if let theirs = old.peerRekeyNonces {
                if rekeyLoses(new.nonces, to: theirs) { doomed = new.inboundSPI }
                logger.info("ike \(ike.remote): CHILD SA rekey collision on \(old.name): \(doomed == new.inboundSPI ? "ours" : "the old pair") goes")
            }
            return sendRequest(ike, .informational, [.delete(.childSAs(.esp, spis: [doomed]))], kind: .deleteChild([doomed]), now: now)
        }
    }

    private func authenticated(_ ike: IKESA, _ auth: AuthContext, _ payloads: [IKEPayload], now: IKETime) -> [IKEDatagram] {
        switch IKEInitiator(engine: ctx).processAuthResponse(ike, auth, payloads, now: now) {
        case .failure(let e):
            ctx.dataPlane.releaseInboundSPI(auth.inboundSPI)
            logger.warning("ike \(ike.remote): IKE_AUTH as initiator failed: \(e)")
            // Tell the responder, unless it refused us itself (RFC 7296 2.21.2); no retransmits.
            var out: [IKEDatagram] = []
            if payloads.notify(.authenticationFailed) == nil {
                out = sendRequest(ike, .informational, [.notify(NotifyPayload(type: .authenticationFailed))], kind: .liveness, now: now)
            }
            deleteSA(ike, reason: "authentication failed", notify: false)
            return out
        case .success(let child):
            ike.state = .established
            ike.establishedAt = now
            ctx.counters.ikeSAsEstablished += 1
            let report = self.report(ike, now: now)
            logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)) established (we initiated) with \(report.remoteID) for '\(report.vpn)', \(ike.proposal.text)")
            ctx.bus.publish(.ikeSAEstablished(report))
            if let child { addChild(ike, child, note: "with IKE_AUTH") } else {
                logger.warning("ike \(ike.remote): no CHILD SA: \(payloads.firstErrorNotify.map { "\($0.type)" } ?? "no acceptable answer")")
            }
            return []
        }
    }

    /// The answer to an IKE_SA_INIT we sent.
    private func initResponse(_ d: IKEDatagram, now: IKETime) -> [IKEDatagram] {
        guard var s = initiating[(try? IKEHeader.peek(d.bytes))?.header.initiatorSPI ?? 0],
              let message = try? IKEMessage.decode(d.bytes) else { ctx.counters.malformed += 1; return [] }
        let task = IKEInitiator(engine: ctx)
        switch task.processInitResponse(&s, message, bytes: d.bytes, now: now) {
        case .retry(let why):
            logger.info("ike \(s.remote): IKE_SA_INIT again (\(why))")
            guard let bytes = try? task.initRequest(&s) else { return [] }
            s.attempts = 0
            s.nextSend = now + ctx.config.retransmit.wait(afterAttempt: 0)
            initiating[s.spiI] = s
            ctx.counters.sent += 1
            return [IKEDatagram(local: s.local, remote: s.remote, bytes: bytes)]
        case .failed(let why):
            initiating.removeValue(forKey: s.spiI)
            ctx.releaseSPI(s.spiI)
            logger.warning("ike \(s.remote): cannot start an IKE SA for '\(s.vpn.name)': \(why)")
            return []
        case .established(let ike):
            initiating.removeValue(forKey: s.spiI)
            sas[ike.id] = ike
            do {
                let (payloads, auth) = try task.authPayloads(ike, policy: s.policy)
                return sendRequest(ike, .ikeAuth, payloads, kind: .auth(auth), now: now)
            } catch {
                logger.warning("ike \(s.remote): IKE_AUTH not sent: \(error)")
                deleteSA(ike, reason: "cannot authenticate", notify: false)
                return []
            }
        }
    }

    // MARK: Children and deletion

    func addChild(_ ike: IKESA, _ child: ChildSA, note: String) {
        var child = child
        scheduleLifetimes(&child, vpn: ike.vpn)
        ike.children.append(child)
        logger.info("ike \(ike.remote): CHILD SA \(child.name) installed (\(note)): in 0x\(hex32(child.inboundSPI)) out 0x\(hex32(child.outboundSPI)), \(child.localTS.map(\.description).joined(separator: ",")) === \(child.remoteTS.map(\.description).joined(separator: ",")), \(child.proposal.text)\(child.encapsulated ? ", UDP-encapsulated" : "")")
        ctx.bus.publish(.childSAInstalled(ikeSA: ike.id, child: childReport(child, now: child.installedAt)))
    }

    /// Lifetimes by time (the fast path counts bytes and packets): rekey a little early, at a
    /// random moment in rand-time so both ends rarely start together. Also after a reload that
    /// changed the template's times.
    func scheduleLifetimes(_ child: inout ChildSA, vpn: VPNDefinition?) {
        child.rekeyAt = nil
        child.expireAt = nil
        guard let policy = vpn?.securityPolicies.first(where: { $0.name == child.policyName }),
              let t = ctx.config.ipsecPolicyTemplate(named: policy.ipsecPolicy) else { return }
        if t.rekeyTime > .zero {
            let jitter = t.randTime > .zero ? Duration.milliseconds(Int64.random(in: 0...Int64(seconds(t.randTime) * 1000))) : .zero
            child.rekeyAt = child.installedAt + (t.rekeyTime - jitter)
        }
        if t.lifeTime > .zero { child.expireAt = child.installedAt + t.lifeTime }
    }

    func removeChild(_ ike: IKESA, outboundSPI: UInt32, reason: String) {
        guard let i = ike.children.firstIndex(where: { $0.outboundSPI == outboundSPI }) else { return }
        let child = ike.children.remove(at: i)
        ctx.dataPlane.remove(child.handle)
        logger.info("ike \(ike.remote): CHILD SA \(child.name) removed (\(reason)): in 0x\(hex32(child.inboundSPI)) out 0x\(hex32(child.outboundSPI))")
        ctx.bus.publish(.childSARemoved(ikeSA: ike.id, inboundSPI: child.inboundSPI, outboundSPI: child.outboundSPI, reason: reason))
    }

    /// Forget an IKE SA and remove its CHILD SAs from the fast path.
    func deleteSA(_ ike: IKESA, reason: String, notify: Bool = true) {
        // An inbound SPI reserved for a CHILD SA still being negotiated goes back.
        switch ike.pending?.kind {
        case .auth(let a)?: ctx.dataPlane.releaseInboundSPI(a.inboundSPI)
        case .rekeyChild(let c)?: ctx.dataPlane.releaseInboundSPI(c.newInboundSPI)
        case .rekeyIKE(let c)?: ctx.releaseSPI(c.spiI)
        default: break
        }
        ike.pending = nil
        // Deleted by the peer while both ends rekeyed it: the peer's new SA won (RFC 7296
        // 2.8.2), the CHILD SAs go there. (lastHeard: the peer's Delete just came.)
        if !ike.children.isEmpty, let heir = successor(ike) { handOver(ike, to: heir, now: ike.lastHeard) }
        for child in ike.children { removeChild(ike, outboundSPI: child.outboundSPI, reason: reason) }
        sas.removeValue(forKey: ike.id)
        halfOpen = halfOpen.filter { $0.value != ike.id }
        ctx.releaseSPI(ike.id)
        ike.state = .deleting
        if ike.establishedAt != nil {
            logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)) deleted (\(reason))")
            ctx.bus.publish(.ikeSADeleted(id: ike.id, reason: reason))
        }
    }

    func reply(_ d: IKEDatagram, _ bytes: [UInt8]) -> IKEDatagram {
        ctx.counters.sent += 1
        return IKEDatagram(local: d.local, remote: d.remote, bytes: bytes)
    }
}

func hex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 16 - s.count)) + s
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 8 - s.count)) + s
}

import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// Timers react to what happened (WireGuard's way): half-open SAs expire, a quiet peer gets a
/// liveness check (RFC 7296 2.4), and our requests are retransmitted with backoff until the
/// peer is declared dead.
extension IKEEngine {
    /// Call every 100 ms or so.
    public func tick(now: IKETime) -> [IKEDatagram] {
        var out = retransmitInits(now: now)
        closedAnswers.expire(now: now)
        try? ctx.cookies.rotateIfDue(now: now.nanoseconds / 1_000_000_000)
        for ike in Array(sas.values) {
            if ike.state == .halfOpen {
                if now - ike.createdAt > Self.halfOpenTimeout {
                    if ike.role == .initiator {
                        logger.warning("ike \(ike.remote): IKE SA for '\(ike.vpn?.name ?? "?")' not established in \(Self.halfOpenTimeout): given up")
                    }
                    deleteSA(ike, reason: "half-open timeout", notify: false)
                    continue
                }
                // Half-open and a request of ours pending: our IKE_AUTH, retransmitted below.
                if ike.pending == nil { continue }
            }
            if let k = natKeepalive(ike, now: now) { out.append(k) }
            if let p = ike.pending {
                let retransmit = ctx.config.retransmit
                let dpdTimeout = ike.vpn.flatMap { ctx.config.ikePolicyTemplate(named: $0.ikePolicy)?.dpd.timeout }
                let timedOut = dpdTimeout.map { now - p.sentAt > $0 } ?? false
                guard timedOut || now >= p.nextSend else { continue }
                if timedOut || p.attempts >= retransmit.tries {
                    logger.warning("ike \(ike.remote): peer \(ike.remoteIdentity?.description ?? "?") does not answer: IKE SA \(hex(ike.id)) is dead")
                    deleteSA(ike, reason: "peer dead (no answer to \(p.attempts) tries)", notify: false)
                    continue
                }
                var next = p
                next.attempts += 1
                next.nextSend = now + retransmit.wait(afterAttempt: next.attempts)
                ike.pending = next
                ctx.counters.retransmitsSent += 1
                ctx.counters.sent += 1
                out += p.datagrams.map { IKEDatagram(local: ike.local, remote: ike.remote, bytes: $0) }
                continue
            }
            if let d = messageIDSyncTimer(ike, now: now) {
                out += d
                continue
            }
            if let d = ikeTimers(ike, now: now) {
                out += d
                continue
            }
            if let d = childTimers(ike, now: now) {
                out += d
                continue
            }
            guard let vpn = ike.vpn, let template = ctx.config.ikePolicyTemplate(named: vpn.ikePolicy),
                  template.dpd.isEnabled, now - ike.lastHeard >= template.dpd.interval
            else { continue }
            out += sendRequest(ike, .informational, [], kind: .liveness, now: now)
        }
        return out
    }

    /// CHILD SAs past their hard lifetime go (the peer is told); those due start a rekey.
    /// One request at a time per IKE SA; nil when nothing was due.
    func childTimers(_ ike: IKESA, now: IKETime) -> [IKEDatagram]? {
        guard ike.state == .established, ike.pending == nil else { return nil }
        if let dead = ike.children.first(where: { $0.expireAt.map { now >= $0 } ?? false }) {
            removeChild(ike, outboundSPI: dead.outboundSPI, reason: "lifetime")
            return sendRequest(ike, .informational, [.delete(.childSAs(.esp, spis: [dead.inboundSPI]))],
                               kind: .deleteChild([dead.inboundSPI]), now: now)
        }
        guard let i = ike.children.firstIndex(where: { !$0.rekeying && ($0.rekeyAt.map { now >= $0 } ?? false) }) else { return nil }
        do {
            let (payloads, c) = try ChildRekeyInitiator(engine: ctx).request(ike: ike, child: ike.children[i])
            ike.children[i].rekeying = true
            ike.children[i].peerRekeyNonces = nil
            logger.info("ike \(ike.remote): rekeying CHILD SA \(ike.children[i].name)")
            return sendRequest(ike, .createChildSA, payloads, kind: .rekeyChild(c), now: now)
        } catch {
            ike.children[i].rekeyAt = now + .seconds(30)
            logger.warning("ike \(ike.remote): cannot rekey CHILD SA \(ike.children[i].name): \(error)")
            return nil
        }
    }

    /// Send a request of ours on an SA (window size 1: only when none is in flight).
    /// `messageID`: only RFC 6311's sync request (0) uses another than the next one.
    func sendRequest(_ ike: IKESA, _ exchange: ExchangeType, _ payloads: [IKEPayload], kind: PendingRequest.Kind,
                     messageID: UInt32? = nil, now: IKETime) -> [IKEDatagram] {
        let id = messageID ?? ike.nextRequestID
        guard ike.pending == nil, let datagrams = try? ike.sealAll(exchange, messageID: id, response: false, payloads, fragmentSize: ctx.fragmentSize)
        else { return [] }
        ike.pending = PendingRequest(kind: kind, messageID: id, datagrams: datagrams, sentAt: now, attempts: 0,
                                     nextSend: now + ctx.config.retransmit.wait(afterAttempt: 0), exchange: exchange, payloads: payloads)
        ctx.counters.sent += UInt64(datagrams.count)
        return datagrams.map { IKEDatagram(local: ike.local, remote: ike.remote, bytes: $0) }
    }

    /// Start a tunnel of a VPN definition to its remote address (or `remote`), with the first
    /// security policy's selectors.
    public func initiate(vpn name: String, remote: IPAddress? = nil, now: IKETime) throws -> [IKEDatagram] {
        guard let vpn = ctx.config.vpn(named: name) else { throw IKEEngineError(message: "no VPN definition named '\(name)'") }
        guard let target = remote ?? vpn.remoteAddress.initiatorTarget, vpn.remoteAddress.contains(target) else {
            throw IKEEngineError(message: "VPN '\(name)' has no single remote address to initiate to; give one inside \(vpn.remoteAddress)")
        }
        guard let policy = vpn.securityPolicies.first, let template = ctx.config.ikePolicyTemplate(named: vpn.ikePolicy),
              let group = template.proposals.first?.groups.first, let dhGroup = DHGroup(rawValue: group.rawValue)
        else { throw IKEEngineError(message: "VPN '\(name)' has no security policy or key exchange group") }
        var s = InitiatingSA(vpn: vpn, policy: policy, spiI: ctx.newSPI(), local: IKEEndpoint(vpn.localAddress, 500),
                             remote: IKEEndpoint(target, 500), group: group, dh: try KeyExchange(group: dhGroup),
                             nonceI: secureRandomBytes(32), nextSend: now + ctx.config.retransmit.wait(afterAttempt: 0))
        let bytes = try IKEInitiator(engine: ctx).initRequest(&s)
        initiating[s.spiI] = s
        ctx.counters.sent += 1
        logger.info("ike \(s.remote): initiating an IKE SA for '\(name)'")
        return [IKEDatagram(local: s.local, remote: s.remote, bytes: bytes)]
    }

    /// Retransmit IKE_SA_INITs we sent, until the tries run out.
    func retransmitInits(now: IKETime) -> [IKEDatagram] {
        var out: [IKEDatagram] = []
        for (spi, var s) in initiating where now >= s.nextSend {
            if s.attempts >= ctx.config.retransmit.tries {
                initiating.removeValue(forKey: spi)
                ctx.releaseSPI(spi)
                logger.warning("ike \(s.remote): no answer to IKE_SA_INIT for '\(s.vpn.name)'")
                continue
            }
            s.attempts += 1
            s.nextSend = now + ctx.config.retransmit.wait(afterAttempt: s.attempts)
            initiating[spi] = s
            ctx.counters.retransmitsSent += 1
            ctx.counters.sent += 1
            out.append(IKEDatagram(local: s.local, remote: s.remote, bytes: s.request))
        }
        return out
    }

    /// Delete an IKE SA (and its CHILD SAs) with an INFORMATIONAL Delete to the peer.
    public func terminate(ikeSA id: UInt64, now: IKETime) -> [IKEDatagram] {
        guard let ike = sas[id] else { return [] }
        guard ike.state == .established else { deleteSA(ike, reason: "terminated", notify: false); return [] }
        // The children go at once; the IKE SA when the peer answers (or gives up).
        for child in ike.children { removeChild(ike, outboundSPI: child.outboundSPI, reason: "terminated") }
        ike.pending = nil
        let out = sendRequest(ike, .informational, [.delete(.ikeSA)], kind: .deleteIKE, now: now)
        if out.isEmpty { deleteSA(ike, reason: "terminated", notify: false) }
        return out
    }

    /// The fast path says a CHILD SA reached a lifetime (`cookie` from ChildSAInstall). A hard
    /// limit removes it at once and tells the peer; a soft one starts a rekey.
    public func childSAExpired(cookie: UInt64, hard: Bool, now: IKETime) -> [IKEDatagram] {
        guard let ike = sas.values.first(where: { $0.children.contains { $0.cookie == cookie } }),
              let index = ike.children.firstIndex(where: { $0.cookie == cookie }) else { return [] }
        let child = ike.children[index]
        if !hard {
            // Soft byte/packet limit: rekey now (the next tick starts it).
            if !child.rekeying { ike.children[index].rekeyAt = now }
            return childTimers(ike, now: now) ?? []
        }
        removeChild(ike, outboundSPI: child.outboundSPI, reason: "hard lifetime")
        return sendRequest(ike, .informational, [.delete(.childSAs(.esp, spis: [child.inboundSPI]))],
                           kind: .deleteChild([child.inboundSPI]), now: now)
    }

    /// Stop: tell every established peer (best effort, no retransmits) and remove CHILD SAs.
    public func shutdown(now: IKETime) -> [IKEDatagram] {
        var out: [IKEDatagram] = []
        for ike in Array(sas.values) {
            if ike.state == .established, ike.pending == nil {
                out += sendRequest(ike, .informational, [.delete(.ikeSA)], kind: .deleteIKE, now: now)
            }
            deleteSA(ike, reason: "shutdown", notify: false)
        }
        return out
    }

    // MARK: Reports

    /// Every IKE SA, for `straitctl show ike sa`.
    public func reports(now: IKETime) -> [IKESAReport] {
        sas.values.sorted { $0.createdAt < $1.createdAt }.map { report($0, now: now) }
    }

    func report(_ ike: IKESA, now: IKETime) -> IKESAReport {
        IKESAReport(id: ike.id, vpn: ike.vpn?.name ?? ike.candidates.first?.name ?? "", state: ike.state.rawValue, role: ike.role,
                    local: ike.local, remote: ike.remote, localID: ike.localID.map(Identities.text) ?? "",
                    remoteID: ike.remoteIdentity?.description ?? "", initiatorSPI: ike.spiI, responderSPI: ike.spiR,
                    proposal: ike.proposal.text, natLocal: ike.natLocal, natRemote: ike.natRemote,
                    ageSeconds: ike.establishedAt.map { seconds(now - $0) } ?? 0, nextMessageID: ike.nextExpectedRequest,
                    children: ike.children.map { childReport($0, now: now) })
    }

    func childReport(_ c: ChildSA, now: IKETime) -> ChildSAReport {
        ChildSAReport(name: c.name, inboundSPI: c.inboundSPI, outboundSPI: c.outboundSPI, proposal: c.proposal.text,
                      localTS: c.localTS, remoteTS: c.remoteTS, encapsulated: c.encapsulated,
                      ageSeconds: seconds(now - c.installedAt), usage: ctx.dataPlane.query(c.handle))
    }
}

func seconds(_ d: Duration) -> Double {
    let (s, a) = d.components
    return Double(s) + Double(a) / 1e18
}

/// A request the engine cannot carry out.
public struct IKEEngineError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

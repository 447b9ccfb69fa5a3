import StraitIKEWire

/// RFC 6311 message ID synchronization (Tasks/MessageIDSync.swift) in the engine: after an HA
/// takeover the new active synchronizes every imported IKE SA whose peer supports it before
/// anything else is sent on it; and any SA with the extension answers a peer's sync request.
extension IKEEngine {
    /// Announce IKEV2_MESSAGE_ID_SYNC_SUPPORTED in IKE_AUTH and answer sync requests: on in an
    /// HA pair (straitd sets it when the configuration has an `ha` section). SAs established
    /// before a change keep what they negotiated.
    public var messageIDSync: Bool {
        get { ctx.messageIDSync }
        set { ctx.messageIDSync = newValue }
    }

    /// The tick's step for an SA whose synced IDs may be stale (HA import): the sync request,
    /// with message ID 0. nil: nothing due.
    func messageIDSyncTimer(_ ike: IKESA, now: IKETime) -> [IKEDatagram]? {
        guard ike.midSync.due, ike.state == .established, ike.pending == nil else { return nil }
        ike.midSync.due = false
        let (payloads, c) = MessageIDSync(engine: ctx).request(ike: ike)
        logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)) taken over: RFC 6311 message ID sync sent (our next request \(c.sent.expectedSend), the peer's \(c.sent.expectedRecv); synced \(ike.nextRequestID)/\(ike.nextExpectedRequest))")
        ctx.counters.messageIDSyncsSent += 1
        return sendRequest(ike, .informational, payloads, kind: .messageIDSync(c), messageID: 0, now: now)
    }

    /// The peer's answer to our sync request (the engine already matched message ID 0).
    func messageIDSyncAnswered(_ ike: IKESA, _ c: MessageIDSyncContext, _ payloads: [IKEPayload]) {
        switch MessageIDSync(engine: ctx).response(c, payloads) {
        case .failure(let e):
            // Carry on with the synced IDs (the peer may still accept them).
            ike.nextRequestID = c.previousNextRequestID
            ike.nextExpectedRequest = c.previousNextExpectedRequest
            logger.warning("ike \(ike.remote): IKE SA \(hex(ike.id)): message ID sync failed: \(e); carrying on with the synced IDs")
        case .success(let ids):
            ike.nextRequestID = ids.next
            ike.nextExpectedRequest = ids.expected
            ike.lastResponse = nil   // answers an ID the peer no longer uses
            ctx.counters.messageIDSyncsCompleted += 1
            logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)): message IDs synchronized (RFC 6311): our next request \(ids.next), the peer's \(ids.expected)")
        }
        ctx.bus.publish(.messageIDs(ikeSA: ike.id, nextInitiatorRequest: ike.nextRequestID, nextExpectedRequest: ike.nextExpectedRequest))
    }

    /// A request with message ID 0 on an established SA with the extension: if it is a sync
    /// request, the answer (or nothing, when dropped). nil: not a sync request, the normal
    /// path takes it.
    func answerMessageIDSync(_ ike: IKESA, _ message: IKEMessage, _ d: IKEDatagram, now: IKETime) -> [IKEDatagram]? {
        guard message.payloads.encryptedFragment == nil, let payloads = try? ike.open(d.bytes, message),
              MessageIDSync.isSyncRequest(payloads) else { return nil }
        ike.lastHeard = now
        switch MessageIDSync(engine: ctx).respond(ike: ike, payloads, inFlight: ike.pending?.messageID) {
        case .drop(let why):
            logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)): message ID sync request dropped: \(why)")
            return []
        case .again(let datagrams):
            ctx.counters.retransmitsAnswered += 1
            return datagrams.map { reply(d, $0) }
        case .answer(let answer, let next, let expected, let m1, let nonce):
            guard let out = try? ike.sealAll(.informational, messageID: 0, response: true, answer, fragmentSize: ctx.fragmentSize)
            else { return [] }
            ike.midSync.highestM1 = m1
            ike.midSync.lastAnswer = (nonce, out)
            ike.nextExpectedRequest = expected
            ike.lastResponse = nil
            logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)): the peer synchronized message IDs (RFC 6311): our next request \(next), the peer's \(expected)")
            ctx.counters.messageIDSyncsAnswered += 1
            var sent = out.map { reply(d, $0) }
            // Our request in flight used an ID the peer now skips: it goes again under the new one.
            let inFlight = ike.pending
            ike.pending = nil
            ike.nextRequestID = next
            if let p = inFlight {
                if case .messageIDSync = p.kind {} else {
                    sent += sendRequest(ike, p.exchange, p.payloads, kind: p.kind, now: now)
                }
            }
            ctx.bus.publish(.messageIDs(ikeSA: ike.id, nextInitiatorRequest: ike.nextRequestID, nextExpectedRequest: ike.nextExpectedRequest))
            return sent
        }
    }
}

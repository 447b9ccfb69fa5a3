import StraitIKEWire

/// What RFC 6311 (IKEv2 message ID synchronization for HA clusters) keeps on an IKE SA.
struct MessageIDSyncState {
    /// We announced IKEV2_MESSAGE_ID_SYNC_SUPPORTED in IKE_AUTH (the engine's `messageIDSync`,
    /// on in an HA pair) and so did the peer (RFC 6311 3): either end may synchronize.
    var enabled = false
    /// Taken over from another node (HA import): the message IDs are the last synced ones,
    /// and the old active may have used more after that. The sync exchange is due.
    var due = false
    /// Responder: the highest EXPECTED_SEND_REQ_MESSAGE_ID (M1) taken so far, and our answer
    /// to it (a retransmitted sync request gets the same answer; a lower or replayed M1 is
    /// dropped, 5.1).
    var highestM1: UInt32?
    var lastAnswer: (nonce: UInt32, datagrams: [[UInt8]])?
}

/// Our sync request in flight: what we sent, and the IDs to go back to if it fails.
struct MessageIDSyncContext {
    var sent: MessageIDSyncData
    var previousNextRequestID: UInt32
    var previousNextExpectedRequest: UInt32
}

/// The RFC 6311 exchange, both roles. An INFORMATIONAL with message ID 0 (outside the normal
/// numbering, so it gets through whatever IDs the peer expects), protected by the IKE SA:
///
///   HDR(MID=0), SK {N(IKEV2_MESSAGE_ID_SYNC: nonce, M1, P1)}  -->
///                    <--  HDR(MID=0), SK {N(IKEV2_MESSAGE_ID_SYNC: nonce, P2, M2)}
///
/// M1/P1: the requester's next request ID and the next request ID it expects (our synced
/// values raised by `window`, since the old active may have used IDs after its last sync).
/// The responder answers with its own view: P2 = max(P1, one past the highest ID it used),
/// M2 = max(M1, the next ID it expects). Both ends continue from P2/M2.
struct MessageIDSync {
    let engine: IKEEngineContext

    /// How far past the synced IDs the requester starts. The HA sync sends every message ID
    /// change as it happens, so the old active is at most a few exchanges ahead of the copy;
    /// a wider margin costs nothing (IDs are 32 bits).
    static let window: UInt32 = 16

    /// IKE_AUTH, both roles: our IKEV2_MESSAGE_ID_SYNC_SUPPORTED when the engine has it on;
    /// the extension is on for the SA when the peer's message carried it too.
    func authPayloads(ike: IKESA, peer: [IKEPayload]) -> [IKEPayload] {
        guard engine.messageIDSync else { return [] }
        ike.midSync.enabled = peer.notify(.ikev2MessageIDSyncSupported) != nil
        return [.notify(NotifyPayload(type: .ikev2MessageIDSyncSupported))]
    }

    /// Whether the peer can answer a sync on this SA. Its answer is a second response with
    /// message ID 0 once it has answered our request 0; an implementation that derives its
    /// AES-GCM IVs from message IDs (strongSwan: iv_gen_seq) would repeat an IV, so it refuses
    /// to seal it and drops the IKE SA instead. With CBC (random IVs, RFC 7296 3.14), or while
    /// we have sent no request yet (as far as the sync says), the sync is safe.
    static func peerCanAnswer(_ ike: IKESA) -> Bool {
        ike.proposal.integrity != nil || ike.nextRequestID == 0
    }

    /// Initiator: the request (ID 0) for an SA whose IDs may be stale.
    func request(ike: IKESA) -> ([IKEPayload], MessageIDSyncContext) {
        let nonce = secureRandomBytes(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let sent = MessageIDSyncData(nonce: nonce, expectedSend: ike.nextRequestID &+ Self.window,
                                     expectedRecv: ike.nextExpectedRequest &+ Self.window)
        return ([.notify(sent.notify)], MessageIDSyncContext(sent: sent, previousNextRequestID: ike.nextRequestID,
                                                              previousNextExpectedRequest: ike.nextExpectedRequest))
    }

    /// Initiator: the peer's answer. Success gives (our next request ID, the peer's next
    /// request ID we expect) = (the answer's RECV, the answer's SEND).
    func response(_ c: MessageIDSyncContext, _ payloads: [IKEPayload]) -> Result<(next: UInt32, expected: UInt32), IKEError> {
        guard let n = payloads.notify(.ikev2MessageIDSync) else {
            let why = payloads.firstErrorNotify.map { "\($0.type)" } ?? "no IKEV2_MESSAGE_ID_SYNC"
            return .failure(.protocolError("the peer answered the message ID sync with \(why)"))
        }
        guard let answer = try? MessageIDSyncData(notify: n) else { return .failure(.protocolError("malformed IKEV2_MESSAGE_ID_SYNC")) }
        guard answer.nonce == c.sent.nonce else { return .failure(.protocolError("IKEV2_MESSAGE_ID_SYNC answer with another nonce")) }
        // RFC 6311 5.1: M2 >= M1 and P2 >= P1. A peer that answers lower would drop what we
        // send with the higher ID: its own values are the ones that work with it.
        return .success((answer.expectedRecv, answer.expectedSend))
    }

    enum ResponderOutcome {
        /// Answer with these payloads (message ID 0); continue with these IDs.
        case answer([IKEPayload], nextRequestID: UInt32, nextExpectedRequest: UInt32, m1: UInt32, nonce: UInt32)
        /// The same request again: our previous answer again.
        case again([[UInt8]])
        case drop(String)
    }

    /// Responder: the sync request `payloads` (only sync notifies, already checked) on an SA
    /// where the extension is on. `highestUsed` is the highest request ID we used (ours in
    /// flight), or nil when none is in flight.
    func respond(ike: IKESA, _ payloads: [IKEPayload], inFlight: UInt32?) -> ResponderOutcome {
        guard let n = payloads.notify(.ikev2MessageIDSync), let req = try? MessageIDSyncData(notify: n) else {
            return .drop("malformed IKEV2_MESSAGE_ID_SYNC")
        }
        if let last = ike.midSync.lastAnswer, last.nonce == req.nonce, req.expectedSend == ike.midSync.highestM1 {
            return .again(last.datagrams)
        }
        // 5.1: M1 not above what the cluster already used (its requests, earlier syncs): a
        // replay, dropped silently.
        if let h = ike.midSync.highestM1, req.expectedSend <= h { return .drop("M1 \(req.expectedSend) not above an earlier sync's \(h)") }
        if req.expectedSend < ike.nextExpectedRequest {
            return .drop("M1 \(req.expectedSend) below the next request ID expected, \(ike.nextExpectedRequest)")
        }
        let m2 = max(req.expectedSend, ike.nextExpectedRequest)
        let p2 = max(req.expectedRecv, inFlight.map { $0 &+ 1 } ?? ike.nextRequestID)
        let answer = MessageIDSyncData(nonce: req.nonce, expectedSend: p2, expectedRecv: m2)
        return .answer([.notify(answer.notify)], nextRequestID: p2, nextExpectedRequest: m2, m1: req.expectedSend, nonce: req.nonce)
    }

    /// A request of message ID 0 is a sync request when its only payloads are sync notifies
    /// (what strongSwan checks too): anything else goes the normal way.
    static func isSyncRequest(_ payloads: [IKEPayload]) -> Bool {
        var found = false
        for p in payloads {
            guard case .notify(let n) = p else { return false }
            switch n.type {
            case .ikev2MessageIDSync: found = true
            case .ipsecReplayCounterSync: continue
            default: return false
            }
        }
        return found
    }
}

/// The `seqnum-sync` knobs of the issue (6WIND's names).
public struct HASeqSyncPolicy: Equatable, Sendable {
    /// On takeover, outbound sequence numbers jump this far past the last synced value. It must
    /// exceed what an SA sends between two syncs plus the failure detection time.
    public var oseqShift: UInt64
    /// Sync an SA's sequence state at least this often while it moves.
    public var syncPeriodTime: Duration
    /// ... or as soon as this many packets passed on it since its last sync, whichever first.
    public var syncPeriodPackets: UInt64
    public init(oseqShift: UInt64 = 65536, syncPeriodTime: Duration = .seconds(1), syncPeriodPackets: UInt64 = 16384) {
        self.oseqShift = oseqShift
        self.syncPeriodTime = syncPeriodTime
        self.syncPeriodPackets = syncPeriodPackets
    }
}

/// Decides, per CHILD SA, when its sequence state goes to the standby: every
/// `syncPeriodTime`, or once `syncPeriodPackets` packets (outbound sequence numbers used plus
/// inbound window movement) passed since the last sync, whichever comes first. An SA that did
/// not move is not sent again. I/O-free: the caller samples the fast path (fp_sa_get_seq /
/// fp_sa_get_replay) and passes the time.
public struct HASeqScheduler: Sendable {
    public var policy: HASeqSyncPolicy
    private struct Synced: Sendable {
        var at: HAInstant
        var outboundSeq: UInt64
        var inboundTop: UInt64
    }
    private var synced: [HAChildKey: Synced] = [:]

    public init(policy: HASeqSyncPolicy) { self.policy = policy }

    /// The samples that are due now; each one returned counts as synced from `now` on.
    public mutating func due(_ samples: [HASeqState], now: HAInstant) -> [HASeqState] {
        var out: [HASeqState] = []
        for s in samples {
            guard let last = synced[s.child] else {
                // Never synced: send at once, so the standby has a base to shift from.
                out.append(s)
                synced[s.child] = Synced(at: now, outboundSeq: s.outboundSeq, inboundTop: s.inboundTop)
                continue
            }
            let moved = (s.outboundSeq &- last.outboundSeq) &+ (s.inboundTop &- last.inboundTop)
            let changed = s.outboundSeq != last.outboundSeq || s.inboundTop != last.inboundTop
            let byPackets = changed && moved >= policy.syncPeriodPackets
            let byTime = changed && now - last.at >= policy.syncPeriodTime
            if byPackets || byTime {
                out.append(s)
                synced[s.child] = Synced(at: now, outboundSeq: s.outboundSeq, inboundTop: s.inboundTop)
            }
        }
        return out
    }

    /// Forget an SA (deleted): its key may come back as another SA.
    public mutating func remove(_ child: HAChildKey) { synced[child] = nil }

    /// Forget everything (new connection): the next samples all go out.
    public mutating func reset() { synced.removeAll() }

    public var tracked: Int { synced.count }
}

/// What a new active installs as an outbound SA's "last sequence number used" on takeover.
public struct HATakeoverSeq: Equatable, Sendable {
    public var seq: UInt64
    /// A 32-bit SA (no ESN) has fewer than the shift left, or none: it must be rekeyed at once
    /// (the fast path stops an SA at 2^32 - 1 rather than wrap, RFC 4303 3.3.3).
    public var rekeyNow: Bool
}

public enum HATakeover {
    /// `lastSynced` + `shift`: past every number the old active may have used after its last
    /// sync (gaps are harmless, reuse makes the peer drop packets as replays). Never below
    /// `lastSynced` + 1, capped at the SA's largest sequence number (2^32 - 1 without ESN).
    public static func outboundSeq(lastSynced: UInt64, shift: UInt64, esn: Bool) -> HATakeoverSeq {
        let limit: UInt64 = esn ? UInt64.max : UInt64(UInt32.max)
        let (sum, overflow) = lastSynced.addingReportingOverflow(max(shift, 1))
        if overflow || sum >= limit { return HATakeoverSeq(seq: limit, rekeyNow: true) }
        // Room for fewer packets than one shift: rekey before the peer sees the SA run dry.
        let rekey = !esn && limit - sum < max(shift, 1)
        return HATakeoverSeq(seq: sum, rekeyNow: rekey)
    }
}

/// The standby's copy of the active's SAs. Applies upserts and deletes idempotently, ordered
/// by each SA's version: a message at or below the version held changes nothing, so a
/// duplicate or a stale message (e.g. one queued before a bulk resync) is harmless. What it
/// returns tells the daemon wiring what to install, update or remove (inactive) in the fast path.
public struct HAStandbyStore: Sendable {
    public enum Change: Equatable, Sendable {
        case ikeSAAdded(UInt64), ikeSAUpdated(UInt64), ikeSARemoved(UInt64)
        case childSAAdded(HAChildKey), childSAUpdated(HAChildKey), childSARemoved(HAChildKey)
        case seqUpdated(HAChildKey)
    }

    public struct Counters: Equatable, Sendable {
        public var applied: UInt64 = 0
        /// Upserts or deletes at or below the version held (duplicates, stale).
        public var stale: UInt64 = 0
        /// CHILD SA or seq state for an SA we do not hold.
        public var orphans: UInt64 = 0
        public var bulkResyncs: UInt64 = 0
        public init() {}
    }

    public private(set) var ikeSAs: [UInt64: HAIKESAState] = [:]
    public private(set) var childSAs: [HAChildKey: HAChildSAState] = [:]
    public private(set) var seq: [HAChildKey: HASeqState] = [:]
    public private(set) var counters = Counters()
    /// Versions of deleted SAs, so an older upsert arriving late does not bring one back.
    /// Cleared by a bulk resync (the dump is the truth then), which bounds them.
    private var deletedIKE: [UInt64: UInt64] = [:]
    private var deletedChild: [HAChildKey: UInt64] = [:]
    /// During a bulk dump: what it refreshed. At bulkEnd the rest is gone on the active.
    private var bulk: (generation: UInt64, ike: Set<UInt64>, child: Set<HAChildKey>)?

    public init() {}

    /// The standby is in sync once a bulk dump completed and none is under way.
    public private(set) var completedBulk: UInt64?
    public var inBulk: Bool { bulk != nil }

    public mutating func apply(_ message: HASyncMessage) -> [Change] {
        switch message {
        case .ikeSAUpsert(let s): return upsertIKE(s)
        case .ikeSADelete(let id, let version): return deleteIKE(id, version: version)
        case .childSAUpsert(let c): return upsertChild(c)
        case .childSADelete(_, let key, let version): return deleteChild(key, version: version)
        case .seqState(let states): return states.flatMap { applySeq($0) }
        case .bulkBegin(let g, _, _):
            bulk = (g, [], [])
            deletedIKE.removeAll()
            deletedChild.removeAll()
            counters.bulkResyncs += 1
            return []
        case .bulkEnd(let g):
            guard let b = bulk, b.generation == g else { return [] }
            bulk = nil
            completedBulk = g
            var out: [Change] = []
            for key in childSAs.keys where !b.child.contains(key) { out += dropChild(key) }
            for id in ikeSAs.keys where !b.ike.contains(id) { out += dropIKE(id) }
            return out
        case .hello, .handshakeConfirm, .heartbeat, .bulkResyncRequest:
            return []
        }
    }

    private mutating func upsertIKE(_ s: HAIKESAState) -> [Change] {
        bulk?.ike.insert(s.id)
        if let old = ikeSAs[s.id], old.version >= s.version { counters.stale += 1; return [] }
        if let gone = deletedIKE[s.id], gone >= s.version { counters.stale += 1; return [] }
        let existed = ikeSAs[s.id] != nil
        ikeSAs[s.id] = s
        counters.applied += 1
        return [existed ? .ikeSAUpdated(s.id) : .ikeSAAdded(s.id)]
    }

    private mutating func deleteIKE(_ id: UInt64, version: UInt64) -> [Change] {
        guard let old = ikeSAs[id], old.version <= version else { counters.stale += 1; return [] }
        deletedIKE[id] = version
        counters.applied += 1
        return dropIKE(id)
    }

    private mutating func dropIKE(_ id: UInt64) -> [Change] {
        var out: [Change] = []
        // Its CHILD SAs go with it (the active deletes them too, RFC 7296 1.4.1).
        for (key, c) in childSAs where c.ikeSA == id { out += dropChild(key) }
        ikeSAs[id] = nil
        return out + [.ikeSARemoved(id)]
    }

    private mutating func upsertChild(_ c: HAChildSAState) -> [Change] {
        bulk?.child.insert(c.key)
        if let old = childSAs[c.key], old.version >= c.version { counters.stale += 1; return [] }
        if let gone = deletedChild[c.key], gone >= c.version { counters.stale += 1; return [] }
        if ikeSAs[c.ikeSA] == nil { counters.orphans += 1 }
        let existed = childSAs[c.key] != nil
        childSAs[c.key] = c
        counters.applied += 1
        return [existed ? .childSAUpdated(c.key) : .childSAAdded(c.key)]
    }

    private mutating func deleteChild(_ key: HAChildKey, version: UInt64) -> [Change] {
        guard let old = childSAs[key], old.version <= version else { counters.stale += 1; return [] }
        deletedChild[key] = version
        counters.applied += 1
        return dropChild(key)
    }

    private mutating func dropChild(_ key: HAChildKey) -> [Change] {
        childSAs[key] = nil
        seq[key] = nil
        return [.childSARemoved(key)]
    }

    /// Sequence state only moves forward: a late sample never lowers what a takeover shifts from.
    private mutating func applySeq(_ s: HASeqState) -> [Change] {
        guard childSAs[s.child] != nil else { counters.orphans += 1; return [] }
        var next = s
        if let old = seq[s.child] {
            guard s.outboundSeq > old.outboundSeq || s.inboundTop > old.inboundTop else { counters.stale += 1; return [] }
            next.outboundSeq = max(s.outboundSeq, old.outboundSeq)
            if s.inboundTop < old.inboundTop {
                next.inboundTop = old.inboundTop
                next.window = old.window
                next.bitmap = old.bitmap
            }
        }
        seq[s.child] = next
        counters.applied += 1
        return [.seqUpdated(s.child)]
    }

    /// The outbound "last sequence number used" to install for each CHILD SA on takeover.
    public func takeoverSeqs(shift: UInt64) -> [HAChildKey: HATakeoverSeq] {
        var out: [HAChildKey: HATakeoverSeq] = [:]
        for (key, c) in childSAs {
            out[key] = HATakeover.outboundSeq(lastSynced: seq[key]?.outboundSeq ?? 0, shift: shift, esn: c.esn)
        }
        return out
    }
}

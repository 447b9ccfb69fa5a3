/// The active node's side: turns what the IKE engine reports (as the plain HA structs; the
/// daemon maps IKEEvent and engine objects to them) and periodic fast-path sequence samples
/// into sync messages. Keeps the last state of every SA, so it can stamp versions, apply
/// partial updates (message IDs, addresses) and produce a full bulk dump for a standby that
/// joins or lost messages. I/O-free; the caller passes the time.
public struct HAActiveExporter: Sendable {
    public private(set) var ikeSAs: [UInt64: HAIKESAState] = [:]
    public private(set) var childSAs: [HAChildKey: HAChildSAState] = [:]
    public private(set) var scheduler: HASeqScheduler
    private var lastSeq: [HAChildKey: HASeqState] = [:]
    /// One counter for all SAs: every SA's versions only grow, whatever else changes.
    private var version: UInt64 = 0
    private var generation: UInt64 = 0

    public init(policy: HASeqSyncPolicy) { scheduler = HASeqScheduler(policy: policy) }

    private mutating func nextVersion() -> UInt64 {
        version += 1
        return version
    }

    /// An IKE SA was established, rekeyed (the new one; delete the old separately) or changed.
    public mutating func ikeSAUpserted(_ s: HAIKESAState) -> HASyncMessage {
        var s = s
        s.version = nextVersion()
        ikeSAs[s.id] = s
        return .ikeSAUpsert(s)
    }

    /// IKEEvent.messageIDs: only the window moved.
    public mutating func messageIDs(ikeSA: UInt64, nextRequestID: UInt32, nextExpectedRequest: UInt32) -> HASyncMessage? {
        guard var s = ikeSAs[ikeSA] else { return nil }
        guard s.nextRequestID != nextRequestID || s.nextExpectedRequest != nextExpectedRequest else { return nil }
        s.nextRequestID = nextRequestID
        s.nextExpectedRequest = nextExpectedRequest
        return ikeSAUpserted(s)
    }

    /// IKEEvent.ikeSAAddressesChanged: the IKE SA and its CHILD SAs moved.
    public mutating func addressesChanged(ikeSA: UInt64, local: HAEndpoint, remote: HAEndpoint, natLocal: Bool,
                                          natRemote: Bool, childEncapsulation: (local: UInt16, remote: UInt16)?) -> [HASyncMessage] {
        guard var s = ikeSAs[ikeSA] else { return [] }
        s.local = local
        s.remote = remote
        s.natLocal = natLocal
        s.natRemote = natRemote
        var out = [ikeSAUpserted(s)]
        for (_, c) in childSAs.sorted(by: { $0.key.inboundSPI < $1.key.inboundSPI }) where c.ikeSA == ikeSA {
            var c = c
            c.local = local.address
            c.remote = remote.address
            c.udpEncapsulation = childEncapsulation
            out.append(childSAUpserted(c))
        }
        return out
    }

    public mutating func ikeSADeleted(id: UInt64) -> [HASyncMessage] {
        guard ikeSAs[id] != nil else { return [] }
        ikeSAs[id] = nil
        for (key, c) in childSAs where c.ikeSA == id { forgetChild(key) }
        return [.ikeSADelete(id: id, version: nextVersion())]
    }

    public mutating func childSAUpserted(_ c: HAChildSAState) -> HASyncMessage {
        var c = c
        c.version = nextVersion()
        childSAs[c.key] = c
        return .childSAUpsert(c)
    }

    public mutating func childSARemoved(ikeSA: UInt64, child: HAChildKey) -> HASyncMessage? {
        guard childSAs[child] != nil else { return nil }
        forgetChild(child)
        return .childSADelete(ikeSA: ikeSA, child: child, version: nextVersion())
    }

    private mutating func forgetChild(_ key: HAChildKey) {
        childSAs[key] = nil
        lastSeq[key] = nil
        scheduler.remove(key)
    }

    /// Fast-path samples of the CHILD SAs' sequence state; the due ones go out in one message.
    /// Samples of SAs not (or no longer) exported are ignored.
    public mutating func seqSamples(_ samples: [HASeqState], now: HAInstant) -> HASyncMessage? {
        let known = samples.filter { childSAs[$0.child] != nil }
        for s in known { lastSeq[s.child] = s }
        let due = scheduler.due(known, now: now)
        return due.isEmpty ? nil : .seqState(due)
    }

    /// seqSamples as messages of at most `seqChunk` states each. After a busy spell thousands can
    /// be due at once (every SA not synced yet is): 10k tunnels set up while the HA queue waited
    /// on the IKE engine gave one message of 6,100 states, 974 kB, past HALimits.maxMessage, and
    /// the standby closed the link on it (then a full dump, and again).
    public mutating func seqSampleMessages(_ samples: [HASeqState], now: HAInstant) -> [HASyncMessage] {
        guard case .seqState(let due)? = seqSamples(samples, now: now) else { return [] }
        return stride(from: 0, to: due.count, by: Self.seqChunk).map { .seqState(Array(due[$0..<min($0 + Self.seqChunk, due.count)])) }
    }

    /// seqSampleMessages in two steps, for a caller whose samples are cheap without the replay
    /// bitmap (the daemon reads the bitmap only of the SAs due): `dueSamples` takes samples
    /// (bitmaps not needed) and returns the due ones, each counting as synced from `now` on;
    /// the caller completes them and sends `seqMessages(_:)`. Same scheduler, same decisions.
    public mutating func dueSamples(_ samples: [HASeqState], now: HAInstant) -> [HASeqState] {
        scheduler.due(samples.filter { childSAs[$0.child] != nil }, now: now)
    }

    /// The completed due samples, recorded for the next dump, in messages of `seqChunk`.
    public mutating func seqMessages(_ due: [HASeqState]) -> [HASyncMessage] {
        recordSamples(due)
        return stride(from: 0, to: due.count, by: Self.seqChunk).map { .seqState(Array(due[$0..<min($0 + Self.seqChunk, due.count)])) }
    }

    /// Samples for the next dump only (nothing is scheduled or sent).
    public mutating func recordSamples(_ samples: [HASeqState]) {
        for s in samples where childSAs[s.child] != nil { lastSeq[s.child] = s }
    }

    /// States per seqState message: 128 with full 8192-packet bitmaps is ~135 kB, half the limit.
    public static let seqChunk = 128

    /// Everything, for a standby that (re)joined: bulkBegin, every IKE SA, every CHILD SA,
    /// the last sequence samples, bulkEnd. IKE SAs first so no CHILD SA arrives orphaned.
    public mutating func bulkDump() -> [HASyncMessage] {
        generation += 1
        var out: [HASyncMessage] = [.bulkBegin(generation: generation, ikeSAs: UInt32(clamping: ikeSAs.count),
                                               childSAs: UInt32(clamping: childSAs.count))]
        out += ikeSAs.values.sorted { $0.id < $1.id }.map { .ikeSAUpsert($0) }
        out += childSAs.values.sorted { $0.inboundSPI < $1.inboundSPI }.map { .childSAUpsert($0) }
        let seqs = lastSeq.values.sorted { $0.child.inboundSPI < $1.child.inboundSPI }
        // Chunks keep each message far below HALimits.maxMessage even with full bitmaps.
        for start in stride(from: 0, to: seqs.count, by: 128) { out.append(.seqState(Array(seqs[start..<min(start + 128, seqs.count)]))) }
        out.append(.bulkEnd(generation: generation))
        return out
    }

    public func heartbeat(nodeID: UInt32, sequence: UInt64, needsResync: Bool = false, vrrpPriority: UInt8 = 0) -> HASyncMessage {
        .heartbeat(HAHeartbeat(nodeID: nodeID, role: .active, sequence: sequence, ikeSAs: UInt32(clamping: ikeSAs.count),
                               childSAs: UInt32(clamping: childSAs.count), needsResync: needsResync, vrrpPriority: vrrpPriority))
    }

    /// Every sample now, whatever the schedule says (a graceful failover's last word: the
    /// standby's takeover then shifts from where this node really stopped). Chunked like a dump.
    public mutating func seqFlush(_ samples: [HASeqState]) -> [HASyncMessage] {
        let known = samples.filter { childSAs[$0.child] != nil }.sorted { $0.child.inboundSPI < $1.child.inboundSPI }
        for s in known { lastSeq[s.child] = s }
        return stride(from: 0, to: known.count, by: 128).map { .seqState(Array(known[$0..<min($0 + 128, known.count)])) }
    }
}

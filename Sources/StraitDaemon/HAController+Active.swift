import Foundation
import StraitFastPath
import StraitHASync
import StraitIKE

/// The active node: IKE events and fast-path samples to sync messages (on `queue`).
extension HAController {
    func ikeEvent(_ event: IKEEvent) {
        guard role == .active else { return }
        // The exported CHILD SAs may change: sampling rebuilds its arrays on the next tick.
        if case .messageIDs = event {} else { sampling.stale = true }
        switch event {
        case .ikeSAEstablished(let report):
            exportIKESA(report.id)
        case .ikeSARekeyed(let old, let new):
            exportIKESA(new.id)
            for m in exporter.ikeSADeleted(id: old) { send(m) }
        case .ikeSADeleted(let id, _):
            for m in exporter.ikeSADeleted(id: id) { send(m) }
        case .childSAInstalled(let ikeSA, let child):
            exportChild(HAChildKey(inboundSPI: child.inboundSPI, outboundSPI: child.outboundSPI), ikeSA: ikeSA)
        case .childSARemoved(let ikeSA, let inbound, let outbound, _):
            imported[HAChildKey(inboundSPI: inbound, outboundSPI: outbound)] = nil
            if let m = exporter.childSARemoved(ikeSA: ikeSA, child: HAChildKey(inboundSPI: inbound, outboundSPI: outbound)) { send(m) }
        case .ikeSAAddressesChanged(let ikeSA, let local, let remote, let natLocal, let natRemote, _):
            let udp: (local: UInt16, remote: UInt16)? = natLocal || natRemote ? (local.port, remote.port) : nil
            for m in exporter.addressesChanged(ikeSA: ikeSA, local: HAEndpoint(local.address, local.port),
                                               remote: HAEndpoint(remote.address, remote.port), natLocal: natLocal,
                                               natRemote: natRemote, childEncapsulation: udp) { send(m) }
        case .messageIDs(let ikeSA, let next, let expected):
            if let m = exporter.messageIDs(ikeSA: ikeSA, nextRequestID: next, nextExpectedRequest: expected) { send(m) }
        }
    }

    /// The engine's snapshot of one IKE SA, and its CHILD SAs not exported yet or now owned by
    /// it (a rekeyed IKE SA inherits its CHILD SAs).
    private func exportIKESA(_ id: UInt64) {
        guard let ike, let export = (try? ike.haSnapshot(id: id))?.first else { return }
        send(exporter.ikeSAUpserted(HAMapping.ikeSA(export, takenAtWallMs: HAMapping.wallMs())))
        for c in export.children {
            let key = HAChildKey(inboundSPI: c.inboundSPI, outboundSPI: c.outboundSPI)
            if exporter.childSAs[key]?.ikeSA != id { exportChild(key, ikeSA: id) }
        }
    }

    private func exportChild(_ key: HAChildKey, ikeSA: UInt64) {
        guard let entry = tap?.entry(key) else {
            logger.warning("ha: CHILD SA \(key) of IKE SA \(ikeSA) was not seen at install: not synced")
            return
        }
        send(exporter.childSAUpserted(HAMapping.childSA(entry.install, ikeSA: ikeSA, takenAtWallMs: HAMapping.wallMs())))
    }

    func sendBulkDump() {
        counters.bulkDumpsSent += 1
        // The dump carries the exporter's last samples; sampling records only the SAs it sends.
        exporter.recordSamples(currentSamples())
        for m in exporter.bulkDump() { send(m) }
    }

    /// The exported CHILD SAs as flat arrays for the fast path's bulk reader, and what the last
    /// tick read. Rebuilt only when the set of SAs may have changed (`stale`: an IKE event; the
    /// tap's generation; a role change), keeping the state of the SAs that stay.
    struct SeqSampling {
        var keys: [HAChildKey] = []
        var position: [HAChildKey: Int] = [:]
        var outbound: [Int32] = []
        var inbound: [Int32] = []
        /// This tick's reads, and the previous tick's.
        var outSeq: [UInt64] = []
        var inTop: [UInt64] = []
        var lastOutSeq: [UInt64] = []
        var lastInTop: [UInt64] = []
        /// Moved since the scheduler last took it (or never taken): offered to it every tick.
        var pending: [Bool] = []
        var stale = true
        var tapGeneration: UInt64 = .max
        var activeSince: Date?

        /// One call for all SAs (here, not in the caller: the arrays are disjoint parts of one
        /// value, which Swift's exclusivity rules allow only inside the value).
        mutating func peek(_ fastPath: FastPath) {
            fastPath.peekSequences(outbound: outbound, inbound: inbound, outSeq: &outSeq, inTop: &inTop)
        }
    }

    /// Reads every exported CHILD SA's outbound sequence number and replay top in one fast-path
    /// call; only the SAs that moved since the scheduler last took them are offered to it, and
    /// only the due ones get their replay bitmap read. The scheduler's rules are unchanged: an SA
    /// that did not move never goes out, so skipping the ones that did not is the same decision.
    func sampleSequences() {
        refreshSampling()
        sampling.peek(fastPath)
        var offered: [HASeqState] = []
        for i in sampling.keys.indices {
            let seq = sampling.outSeq[i], top = sampling.inTop[i]
            if seq != sampling.lastOutSeq[i] || top != sampling.lastInTop[i] {
                sampling.lastOutSeq[i] = seq
                sampling.lastInTop[i] = top
                sampling.pending[i] = true
            }
            // UInt64.max: the handle names no SA (removed under us; the next refresh drops it).
            guard sampling.pending[i], seq != .max, top != .max else { continue }
            offered.append(HASeqState(child: sampling.keys[i], outboundSeq: seq, inboundTop: top))
        }
        guard !offered.isEmpty else { return }
        let now = HAInstant(nanoseconds: DispatchTime.now().uptimeNanoseconds)
        var due: [HASeqState] = []
        for var s in exporter.dueSamples(offered, now: now) {
            guard let i = sampling.position[s.child] else { continue }
            sampling.pending[i] = false
            guard let replay = try? fastPath.replayState(Int(sampling.inbound[i])) else { continue }
            (s.inboundTop, s.window, s.bitmap) = (replay.top, replay.window, replay.bitmap)
            due.append(s)
        }
        for m in exporter.seqMessages(due) { send(m) }
    }

    /// The handles of every exported CHILD SA active here: the tap's (IKE installed it), else a
    /// taken-over one's.
    private func refreshSampling() {
        let generation = tap?.generation ?? 0
        let fresh = sampling.activeSince != roleChangedAt
        guard sampling.stale || fresh || generation != sampling.tapGeneration else { return }
        let handles = tap?.handles() ?? [:]
        let installed = standbySAs.filter(\.value.active).mapValues { ($0.inbound, $0.outbound) }
            .merging(imported.mapValues { ($0.inbound, $0.outbound) }) { a, _ in a }
        var next = SeqSampling(stale: false, tapGeneration: generation, activeSince: roleChangedAt)
        next.keys.reserveCapacity(exporter.childSAs.count)
        for key in exporter.childSAs.keys {
            guard let (inbound, outbound) = handles[key].map({ ($0.inbound, $0.outbound) }) ?? installed[key] else { continue }
            // An SA that stays keeps what it had (a new role starts over: the scheduler did).
            let old = fresh ? nil : sampling.position[key]
            next.position[key] = next.keys.count
            next.keys.append(key)
            next.inbound.append(Int32(inbound))
            next.outbound.append(Int32(outbound))
            next.lastOutSeq.append(old.map { sampling.lastOutSeq[$0] } ?? .max)
            next.lastInTop.append(old.map { sampling.lastInTop[$0] } ?? .max)
            next.pending.append(old.map { sampling.pending[$0] } ?? true)
        }
        sampling = next
    }

    /// The fast path's full sequence state of every exported CHILD SA active here (a dump, a
    /// demotion's last samples: not every tick).
    func currentSamples() -> [HASeqState] {
        let handles = tap?.handles() ?? [:]
        let installed = standbySAs.filter(\.value.active).mapValues { ($0.inbound, $0.outbound) }
            .merging(imported.mapValues { ($0.inbound, $0.outbound) }) { a, _ in a }
        var samples: [HASeqState] = []
        samples.reserveCapacity(exporter.childSAs.count)
        for key in exporter.childSAs.keys {
            guard let (inbound, outbound) = handles[key].map({ ($0.inbound, $0.outbound) }) ?? installed[key] else { continue }
            guard let seq = try? fastPath.outboundSeq(outbound), let replay = try? fastPath.replayState(inbound) else { continue }
            samples.append(HASeqState(child: key, outboundSeq: seq, inboundTop: replay.top, window: replay.window, bitmap: replay.bitmap))
        }
        return samples
    }
}

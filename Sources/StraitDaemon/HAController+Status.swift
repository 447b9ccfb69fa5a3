import Foundation
import StraitAPI
import StraitHASync

/// `ha status` (from the control socket's thread: it waits for `queue`).
extension HAController {
    func report() -> HAStatusReport {
        let needsTransport = (try? transport?.takeNeedsBulkResync().wait()) ?? false
        let stats = try? transport?.stats.wait()
        let resigned = vrrp?.isResigned(group: config.listenVRRPGroup) ?? false
        return queue.sync {
            // takeNeedsBulkResync clears the mark: put it back for the tick that acts on it.
            if needsTransport { pendingResync = true }
            func ms(_ d: Date?) -> Int? { d.map { Int(Date().timeIntervalSince($0) * 1000) } }
            let active = role == .active
            var counters: [String: UInt64] = [
                "takeovers": counters.takeovers, "bulk-dumps-sent": counters.bulkDumpsSent,
                "install-errors": counters.installErrors, "activate-errors": counters.activateErrors,
                "takeover-rekey-needed": counters.rekeyNeeded,
                "ike-sas-imported": counters.ikeSAsImported, "import-errors": counters.importErrors,
                "store-applied": store.counters.applied, "store-stale": store.counters.stale,
                "store-orphans": store.counters.orphans, "bulk-resyncs-received": store.counters.bulkResyncs,
                "demotions": counters.demotions, "split-brains": splitBrain.episodes, "split-brain-yields": splitBrain.yields,
                "split-brain-seq-moves": counters.splitBrainSeqMoves,
                "seq-sample-ticks": counters.sampleTicks, "seq-sample-cpu-us": counters.sampleCPUNs / 1000,
                "seq-sample-wall-us": counters.sampleWallNs / 1000, "seq-sample-wall-max-us": counters.sampleWallMaxNs / 1000,
            ]
            if let stats {
                counters["link-connects"] = stats.connects
                counters["link-disconnects"] = stats.disconnects
                counters["messages-sent"] = stats.sent
                counters["messages-received"] = stats.received
                counters["queue-drops"] = stats.queueDrops
                counters["frames-refused"] = stats.refused
            }
            let link = config.listens ? "listen \(config.sync.localAddress):\(config.sync.port)"
                : "connect \(config.sync.remoteAddress):\(config.sync.port)"
            return HAStatusReport(
                configured: true, nodeID: config.nodeID, role: role == .unknown ? "unknown" : (active ? "active" : "standby"),
                vrrpGroup: config.listenVRRPGroup, link: link, peerConnected: connected, peerNodeID: peerNodeID.map(Int.init),
                lastReceivedMs: ms(lastReceived), lastSentMs: ms(lastSent),
                ikeSAs: active ? exporter.ikeSAs.count : store.ikeSAs.count,
                childSAs: active ? exporter.childSAs.count : store.childSAs.count, seqStates: store.seq.count,
                inactiveSAs: standbySAs.values.filter { !$0.active }.count, takenOverSAs: standbySAs.values.filter(\.active).count + imported.count,
                needsResync: pendingResync || store.inBulk || (!active && connected && store.completedBulk == nil),
                counters: counters, roleChangedMs: ms(roleChangedAt), lastTakeoverMs: lastTakeoverDuration.map { $0 * 1000 },
                resigned: resigned, splitBrain: splitBrain.isSplit, splitBrainHold: splitBrainHold)
        }
    }
}

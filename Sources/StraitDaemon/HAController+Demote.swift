import Foundation
import StraitAPI
import StraitFastPath
import StraitHASync
import StraitIKE
import StraitIKEService

/// Leaving the active role without a restart: demotion (the group left Master), the graceful
/// failover and resume commands, and split brain (both nodes active).
extension HAController {
    // MARK: demotion (on `queue`)

    /// The group left Master while this node was active: become a standby again.
    ///
    /// The CHILD SAs are removed from the fast path, not kept as inactive copies: the new
    /// active has moved on (its outbound numbers are shifted, its message IDs advance) and
    /// its full dump, which this node asks for at once, is the truth; reinstalling from it is
    /// the path every joining standby takes, so there is one way to hold correct copies. And
    /// removing them stops this node sending with their sequence numbers at once.
    func demote(reason: String) {
        guard role == .active else { return }
        let started = Date()
        // This node's last numbers, for the peer: in a split brain it must jump past them.
        let last = currentSamples()
        var released = IKEHARelease()
        if let ike {
            do { released = try ike.haReleaseAll() } catch {
                logger.error("ha: demotion: the IKE engine did not release its SAs: \(error)")
            }
        }
        // Taken over but not imported into IKE (an import error), or still inactive.
        let withoutIKE = standbySAs.count
        for key in Array(standbySAs.keys) { removeStandbySA(key) }
        imported.removeAll()
        store = HAStandbyStore()
        exporter = HAActiveExporter(policy: exporter.scheduler.policy)
        splitBrain.localDemoted()
        role = .standby
        counters.demotions += 1
        finalSamples = last
        let ms = Int(Date().timeIntervalSince(started) * 1000)
        let text = "ha: vrrp group \(config.listenVRRPGroup) \(reason): standby now (no restart): released \(released.ikeSAs) IKE SA(s) "
            + "and \(released.childSAs + withoutIKE) CHILD SA(s) silently in \(ms)ms; "
            + (connected ? "asking node \(peerNodeID.map(String.init) ?? "?") for a full dump" : "the sync link is down: a dump follows when it is up")
        logger.notice("\(text)")
        if connected { askForDumpAfterDemotion() }
    }

    /// The last samples first (the active jumps past them if it needs to), then the request.
    func askForDumpAfterDemotion() {
        for start in stride(from: 0, to: finalSamples.count, by: 128) {
            send(.seqState(Array(finalSamples[start..<min(start + 128, finalSamples.count)])))
        }
        finalSamples = []
        send(.bulkResyncRequest(reason: .startup))
    }

    // MARK: graceful failover and resume (control socket thread)

    func failover() throws -> HAActionResult {
        guard let vrrp else { throw ControlError(.notConfigured, "no vrrp section: nothing to resign") }
        let group = config.listenVRRPGroup
        try queue.sync {
            guard role == .active else {
                throw ControlError(.notActive, "this node is \(role == .standby ? "standby" : "not decided yet"): ha failover runs on the active node")
            }
            guard connected else { throw ControlError(.notActive, "the sync link to the standby is down: it is not in sync to take over") }
            // Where this node really is now: the standby's takeover shifts from here, so the
            // shift only covers what goes out between this and the demotion.
            for m in exporter.seqFlush(currentSamples()) { send(m) }
        }
        guard vrrp.resign(group: group) else { throw ControlError(.notActive, "vrrp group \(group) is not master here") }
        logger.notice("ha: failover: vrrp group \(group) resigned (priority 0); this node stays backup until ha resume")
        return HAActionResult(message: "vrrp group \(group) resigned: the standby takes over; this node stays standby until `ha resume`")
    }

    func resume() throws -> HAActionResult {
        guard let vrrp else { throw ControlError(.notConfigured, "no vrrp section") }
        let group = config.listenVRRPGroup
        let was = vrrp.isResigned(group: group)
        _ = vrrp.reclaim(group: group)
        let held = queue.sync { () -> Bool in
            defer { releaseHold(reason: "ha resume") }
            return splitBrainHold
        }
        logger.notice("ha: resume: vrrp group \(group) may preempt again")
        return HAActionResult(message: was || held ? "vrrp group \(group) may preempt again" : "vrrp group \(group) was not resigned: nothing to do")
    }

    // MARK: split brain (on `queue`)

    /// The bound for both active: three master-down intervals of the group, at least three
    /// heartbeats (both sides must have seen the other's).
    static func splitBrainBound(advertInterval: Duration, priority: UInt8) -> Duration {
        let down = advertInterval * (3 * 256 + 256 - Int(priority)) / 256
        return max(down * 3, .seconds(3))
    }

    func peerHeartbeat(_ h: HAHeartbeat) {
        peerRole = h.role
        peerPriority = h.vrrpPriority
        peerHeartbeatAt = Date()
        switch splitBrain.peerReported(h.role, localActive: role == .active, now: haNow()) {
        case .detected:
            let text = "ha: SPLIT BRAIN: node \(h.nodeID) reports active while this node is active too (vrrp cannot hear it); "
                + "keeping its sequence numbers; resolved when vrrp converges, or the lower (priority, node id) yields after \(splitBrain.bound)"
            logger.error("\(text)")
        case .won: wonSplitBrain(why: "node \(h.nodeID) reports \(h.role == .standby ? "standby" : "unknown")")
        case .none, .yield: break
        }
    }

    /// The peer stepped down and this node stayed active: every outbound sequence number jumps
    /// past what the peer may have sent with it, and the addresses are announced again.
    func wonSplitBrain(why: String) {
        var moved = 0
        let shift = config.seqnumSync.oseqShift
        for (key, outbound) in activeOutbound() {
            guard let own = try? fastPath.outboundSeq(outbound),
                  let t = splitBrain.resumeSeq(key, own: own, shift: shift, esn: exporter.childSAs[key]?.esn ?? true) else { continue }
            // Only ever raised, and the workers add to it atomically: no number is used twice.
            do {
                try fastPath.setOutboundSeq(outbound, t.seq)
                moved += 1
                if t.rekeyNow { counters.rekeyNeeded += 1 }
            } catch {
                logger.error("ha: split brain: CHILD SA \(key): \((error as? FastPath.Error)?.message ?? "\(error)")")
            }
        }
        splitBrain.resolved()
        counters.splitBrainSeqMoves += UInt64(moved)
        vrrp?.announce(group: config.listenVRRPGroup)
        sampleSequences()
        logger.notice("ha: split brain over (\(why)): this node stays active; \(moved) outbound sequence number(s) moved past the peer's (+\(shift))")
    }

    func splitBrainTick() {
        if splitBrainHold {
            let age = Date().timeIntervalSince(peerHeartbeatAt ?? .distantPast)
            if !connected { releaseHold(reason: "the sync link is down") }
            else if age > 3 { releaseHold(reason: "no heartbeat from the peer for \(Int(age)) s") }
            else if peerRole != .active { releaseHold(reason: "the peer reports \(peerRole == .standby ? "standby" : "unknown")") }
        }
        guard role == .active, splitBrain.isSplit, let vrrp else { return }
        let me = vrrp.status().instances.filter { $0.group == config.listenVRRPGroup }
        let priority = me.map(\.priority).min() ?? 0
        let local = HASplitBrain.Node(nodeID: UInt32(config.nodeID), priority: priority)
        let peer = peerNodeID.flatMap { id in peerPriority > 0 ? HASplitBrain.Node(nodeID: id, priority: peerPriority) : nil }
        guard splitBrain.tick(now: haNow(), local: local, peer: peer) == .yield, let peer else { return }
        let text = "ha: split brain for \(splitBrain.bound): this node (priority \(priority), node \(config.nodeID)) is below node "
            + "\(peer.nodeID) (priority \(peer.priority)): yields, vrrp group \(config.listenVRRPGroup) held out of the election while that node is active"
        logger.error("\(text)")
        splitBrainHold = vrrp.hold(group: config.listenVRRPGroup, true)
    }

    func releaseHold(reason: String) {
        guard splitBrainHold else { return }
        splitBrainHold = false
        _ = vrrp?.hold(group: config.listenVRRPGroup, false)
        logger.notice("ha: split-brain hold on vrrp group \(config.listenVRRPGroup) ends (\(reason))")
    }

    /// A standby that has not received a complete dump (or lost the link) must not preempt the
    /// active: it would take the addresses with SAs missing, and the old active, demoted,
    /// would drop them. Taking over from a silent Master (master-down) is not held back.
    func syncPreemptHold() {
        let hold = role != .active && (!connected || store.completedBulk == nil || store.inBulk || pendingResync)
        guard hold != preemptHeld, let vrrp else { return }
        preemptHeld = hold
        vrrp.setPreemptHold(group: config.listenVRRPGroup, hold)
        logger.info("ha: vrrp group \(config.listenVRRPGroup) \(hold ? "does not preempt until this node is in sync" : "may preempt: in sync")")
    }

    func haNow() -> HAInstant { HAInstant(nanoseconds: DispatchTime.now().uptimeNanoseconds) }

    /// The outbound fast-path handle of every CHILD SA active here, by key.
    func activeOutbound() -> [HAChildKey: Int] {
        var out = (tap?.handles() ?? [:]).mapValues(\.outbound)
        for (key, sa) in standbySAs where sa.active { out[key] = sa.outbound }
        for (key, h) in imported { out[key] = h.outbound }
        return out
    }
}

import Foundation
import StraitFastPath
import StraitHASync
import StraitIKE

/// The standby node: the active's SAs into HAStandbyStore and, inactive, into the fast path;
/// and the takeover that activates them (on `queue`).
extension HAController {
    func standbyApply(_ message: HASyncMessage) {
        for change in store.apply(message) {
            switch change {
            case .childSAAdded(let key):
                installInactive(key)
            case .childSAUpdated(let key):
                // New endpoints or lifetimes: the inactive copy is replaced (no worker uses it).
                removeStandbySA(key)
                installInactive(key)
            case .childSARemoved(let key):
                removeStandbySA(key)
            case .ikeSAAdded, .ikeSAUpdated, .ikeSARemoved, .seqUpdated:
                break   // kept in the store; sequence state is applied at takeover
            }
        }
    }

    private func installInactive(_ key: HAChildKey) {
        guard let state = store.childSAs[key] else { return }
        nextCookie += 1
        let install = HAMapping.install(state, cookie: nextCookie)
        do {
            let plan = try FastPathIKEDataPlane.plan(install)
            let inbound = try install.inboundKey.withUnsafeBytes {
                try fastPath.addSA(plan.inbound, keyingMaterial: $0, cookie: install.cookie, inactive: true)
            }
            do {
                let outbound = try install.outboundKey.withUnsafeBytes {
                    try fastPath.addSA(plan.outbound, keyingMaterial: $0, cookie: install.cookie, inactive: true)
                }
                standbySAs[key] = StandbySA(inbound: inbound, outbound: outbound, plan: plan, cookie: install.cookie)
            } catch {
                try? fastPath.deleteSA(inbound)
                throw error
            }
        } catch {
            counters.installErrors += 1
            logger.warning("ha: CHILD SA \(state.name) (\(key)): inactive install failed: \((error as? FastPath.Error)?.message ?? "\(error)")")
        }
    }

    func removeStandbySA(_ key: HAChildKey) {
        guard let sa = standbySAs.removeValue(forKey: key) else { return }
        for p in sa.policies { try? fastPath.deletePolicy(p) }
        try? fastPath.deleteSA(sa.outbound)
        try? fastPath.deleteSA(sa.inbound)
    }

    /// The group became Master here: continue every synced CHILD SA. Outbound sequence numbers
    /// jump `oseq-shift` past the last synced value (the old active may have used some after
    /// its last sync: reuse would make the peer drop them as replays); the inbound window
    /// starts where the last sync left it. Then the SA is activated and gets its policies.
    func takeOver() {
        let started = Date()
        defer { lastTakeoverDuration = Date().timeIntervalSince(started) }
        role = .active
        guard !standbySAs.isEmpty || !store.ikeSAs.isEmpty else {
            logger.info("ha: vrrp group \(config.listenVRRPGroup) is master: active (no synced SA to take over)")
            if connected { sendBulkDump() }
            return
        }
        counters.takeovers += 1
        let seqs = store.takeoverSeqs(shift: config.seqnumSync.oseqShift)
        var activated = 0
        for (key, sa) in standbySAs.sorted(by: { $0.key.inboundSPI < $1.key.inboundSPI }) where !sa.active {
            do {
                let t = seqs[key] ?? HATakeover.outboundSeq(lastSynced: 0, shift: config.seqnumSync.oseqShift,
                                                            esn: store.childSAs[key]?.esn ?? false)
                try fastPath.setOutboundSeq(sa.outbound, t.seq)
                if t.rekeyNow { counters.rekeyNeeded += 1 }
                if let s = store.seq[key], s.window == sa.plan.inbound.replayWindow, s.window > 0 {
                    try fastPath.setReplayState(sa.inbound, FastPath.ReplayState(top: s.inboundTop, window: s.window, bitmap: s.bitmap))
                }
                try fastPath.activateSA(sa.inbound)
                try fastPath.activateSA(sa.outbound)
                var policies: [Int] = []
                for p in sa.plan.policies { policies.append(try fastPath.addPolicy(p, sa: sa.outbound, key: "ha")) }
                standbySAs[key]?.policies = policies
                standbySAs[key]?.active = true
                activated += 1
            } catch {
                counters.activateErrors += 1
                logger.error("ha: takeover of CHILD SA \(key): \((error as? FastPath.Error)?.message ?? "\(error)")")
            }
        }
        let importedBefore = counters.ikeSAsImported
        importIKESAs()
        // The exporter carries on from the store, so a standby that joins later gets these SAs.
        for s in store.ikeSAs.values.sorted(by: { $0.id < $1.id }) { _ = exporter.ikeSAUpserted(s) }
        for c in store.childSAs.values where standbySAs[c.key]?.active == true || imported[c.key] != nil {
            _ = exporter.childSAUpserted(c)
        }
        let text = "ha: vrrp group \(config.listenVRRPGroup) is master: took over \(activated) CHILD SA(s) "
            + "(outbound sequence numbers +\(config.seqnumSync.oseqShift) past the last sync), "
            + "\(counters.ikeSAsImported - importedBefore) of \(store.ikeSAs.count) IKE SA(s) imported into the IKE engine"
            + (counters.activateErrors > 0 ? "; \(counters.activateErrors) failed" : "")
        logger.notice("\(text)")
        if connected { sendBulkDump() }
    }

    /// Hands every stored IKE SA, with its activated CHILD SAs, to the IKE engine, which then
    /// answers the peer on it (DPD, Deletes, rekeys) and owns the CHILD SAs' fast-path copies.
    private func importIKESAs() {
        guard let ike else { return }
        // Grouped once: a filter over every CHILD SA per IKE SA was quadratic (10k tunnels: 10^8 visits).
        let byIKESA = Dictionary(grouping: store.childSAs.values.filter { standbySAs[$0.key]?.active == true }, by: \.ikeSA)
        for s in store.ikeSAs.values.sorted(by: { $0.id < $1.id }) {
            let children = (byIKESA[s.id] ?? []).sorted { $0.inboundSPI < $1.inboundSPI }
            do {
                let imports = children.map { c -> ChildSAHAImport in
                    let sa = standbySAs[c.key]!
                    return ChildSAHAImport(export: HAMapping.childExport(c),
                                           handle: ChildSAHandle(inbound: sa.inbound, outbound: sa.outbound, policies: sa.policies),
                                           cookie: sa.cookie)
                }
                try ike.haImport(HAMapping.ikeExport(s, children: imports.map(\.export)), children: imports)
                counters.ikeSAsImported += 1
                for c in children {
                    if let sa = standbySAs.removeValue(forKey: c.key) { imported[c.key] = (sa.inbound, sa.outbound) }
                }
            } catch {
                counters.importErrors += 1
                logger.warning("ha: IKE SA \(String(s.id, radix: 16)) (\(s.vpn)) not imported into the IKE engine: \(error); its CHILD SAs carry traffic without IKE")
            }
        }
    }
}

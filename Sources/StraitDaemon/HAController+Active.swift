import Foundation
import StraitFastPath
import StraitHASync
import StraitIKE

/// The active node: IKE events and fast-path samples to sync messages (on `queue`).
extension HAController {
    func ikeEvent(_ event: IKEEvent) {
        guard role == .active else { return }
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
        for m in exporter.bulkDump() { send(m) }
    }

    /// Reads the outbound sequence number and the inbound replay state of every exported
    /// CHILD SA; the scheduler decides which go out now.
    func sampleSequences() {
        for m in exporter.seqSampleMessages(currentSamples(), now: HAInstant(nanoseconds: DispatchTime.now().uptimeNanoseconds)) { send(m) }
    }

    /// The fast path's sequence state of every exported CHILD SA active here.
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

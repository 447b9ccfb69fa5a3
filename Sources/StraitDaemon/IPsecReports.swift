import StraitAPI
import StraitConfig
import StraitCore
import StraitFastPath

/// `show ipsec sa` and `show ipsec spd`, from what the fast path reports, named by what the
/// daemon installed.
extension ReportBuilder {
    /// Every installed SA, in config order.
    func ipsecSAs() -> [SAReport] {
        let infos = fastPath.saInfos()
        let order = { (info: FastPath.SAInfo) in (ipsec.saIndexes[info.handle] ?? Int.max, info.handle) }
        return infos.sorted { order($0) < order($1) }.map { info in
            let inbound = info.direction == .inbound
            return SAReport(
                name: ipsec.name(ofSA: info.handle), direction: info.direction.rawValue,
                spi: IPsecDefaults.spiText(info.spi), local: info.local?.description ?? "-",
                remote: info.remote?.description ?? "-", encap: info.encapsulation.rawValue,
                udpPorts: info.encapsulation == .udp ? [info.udpLocalPort, info.udpRemotePort] : nil,
                algorithm: info.algorithm?.rawValue ?? ipsec.sas[info.handle]?.algorithm.rawValue ?? "unknown",
                esn: info.esn, replayWindow: info.replayWindow,
                localTS: info.localTS?.description ?? "-", remoteTS: info.remoteTS?.description ?? "-",
                active: info.active, expired: info.expired, packets: info.packets, bytes: info.bytes,
                replayDrops: info.replayDrops, authFailures: info.authFailures, policyMismatches: info.policyMismatches,
                seq: inbound ? nil : info.seq, replayTop: inbound ? info.replayTop : nil)
        }
    }

    /// Every installed policy, in config order.
    func ipsecPolicies() -> [PolicyReport] {
        fastPath.policyInfos()
            .map { (index: ipsec.policyIndexes[$0.handle] ?? $0.handle, info: $0) }
            .sorted { $0.index < $1.index }
            .map { index, p in
                PolicyReport(index: index, localTS: p.localTS?.description ?? "-", remoteTS: p.remoteTS?.description ?? "-",
                             protocol: p.proto.description, ports: PolicyReport.ports(local: p.localPort, remote: p.remotePort),
                             priority: p.priority, action: p.action.rawValue, sa: p.sa.map { ipsec.name(ofSA: $0) },
                             matches: p.matches)
            }
    }

}

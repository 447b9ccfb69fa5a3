import StraitAPI
import StraitConfig
import StraitCore
import StraitFastPath

/// `show ipsec sa` and `show ipsec spd`, from what the fast path reports, named by what the
/// daemon installed (the `ipsec` section, and IKE's CHILD SAs).
extension ReportBuilder {
    /// Every installed SA, in config order.
    func ipsecSAs() -> [SAReport] {
        let infos = fastPath.saInfos()
        let order = { (info: FastPath.SAInfo) in (ipsec.saIndexes[info.handle] ?? Int.max, info.handle) }
        return infos.sorted { order($0) < order($1) }.map { info in
            let inbound = info.direction == .inbound
            return SAReport(
                name: saName(info.handle), direction: info.direction.rawValue,
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

    /// A static SA's config name, an IKE CHILD SA's (`sites/lan#12 in`), else `sa<handle>`.
    func saName(_ handle: Int) -> String {
        ipsec.sas[handle]?.name ?? ike?.name(ofSA: handle) ?? ipsec.name(ofSA: handle)
    }

    /// Every installed policy, in config order (IKE's after, by handle).
    func ipsecPolicies() -> [PolicyReport] {
        // Configured policies first, by their config index; IKE's after, by handle.
        let order = { (p: FastPath.PolicyInfo) -> (Int, Int) in
            if let index = ipsec.policyIndexes[p.handle] { return (0, index) }
            return (1, p.handle)
        }
        return fastPath.policyInfos().sorted { order($0) < order($1) }.map { p in
            PolicyReport(index: order(p).1, localTS: p.localTS?.description ?? "-", remoteTS: p.remoteTS?.description ?? "-",
                         protocol: p.proto.description, ports: PolicyReport.ports(local: p.localPort, remote: p.remotePort),
                         priority: p.priority, action: p.action.rawValue, sa: p.sa.map(saName), matches: p.matches)
        }
    }


}

/// The tables of `show ipsec sa` and `show ipsec spd`.
extension ReportText {
    public static func ipsecSAs(_ sas: [SAReport]) -> String {
        var t = TextTable([
            .init("NAME"), .init("DIR"), .init("SPI"), .init("LOCAL"), .init("REMOTE"), .init("ENCAP"), .init("ALGORITHM"),
            .init("ESN"), .init("WINDOW", .right), .init("LOCAL-TS"), .init("REMOTE-TS"), .init("STATE"),
            .init("PACKETS", .right), .init("BYTES", .right), .init("REPLAY", .right), .init("AUTH-FAIL", .right),
            .init("TS-FAIL", .right), .init("SEQ/TOP", .right),
        ])
        for sa in sas {
            let inbound = sa.direction == SADirection.inbound
            t.add([sa.name, sa.direction, sa.spi, sa.local, sa.remote, encap(sa), sa.algorithm, sa.esn ? "yes" : "no",
                   inbound ? (sa.replayWindow == 0 ? "off" : String(sa.replayWindow)) : "-",
                   sa.localTS, sa.remoteTS, state(sa), String(sa.packets), String(sa.bytes),
                   inbound ? String(sa.replayDrops) : "-", inbound ? String(sa.authFailures) : "-",
                   inbound ? String(sa.policyMismatches) : "-",
                   (inbound ? sa.replayTop : sa.seq).map(String.init) ?? "-"])
        }
        return t.render()
    }

    public static func ipsecPolicies(_ policies: [PolicyReport]) -> String {
        var t = TextTable([
            .init("INDEX", .right), .init("LOCAL-TS"), .init("REMOTE-TS"), .init("PROTO"), .init("PORTS"),
            .init("PRIO", .right), .init("ACTION"), .init("SA"), .init("MATCHES", .right),
        ])
        for p in policies {
            t.add([String(p.index), p.localTS, p.remoteTS, p.protocol, p.ports, String(p.priority), p.action,
                   p.sa ?? "-", String(p.matches)])
        }
        return t.render()
    }

    /// `none`, `udp 4500/4500`.
    static func encap(_ sa: SAReport) -> String {
        guard sa.encap == "udp", let ports = sa.udpPorts, ports.count == 2 else { return sa.encap }
        return "udp \(ports[0])/\(ports[1])"
    }

    /// `active`, `inactive` or `expired`.
    static func state(_ sa: SAReport) -> String { sa.expired ? "expired" : sa.active ? "active" : "inactive" }
}

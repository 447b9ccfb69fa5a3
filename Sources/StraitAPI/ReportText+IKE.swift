/// `show ike sa` (a table, or one SA in detail) and `show ike stats`.
extension ReportText {
    public static func ikeSAs(_ sas: [IKESAStatus]) -> String {
        var t = TextTable([
            .init("ID", .right), .init("VPN"), .init("STATE"), .init("ROLE"), .init("LOCAL"), .init("REMOTE"),
            .init("REMOTE-ID"), .init("PROPOSAL"), .init("NAT"), .init("AGE", .right), .init("CHILDREN", .right),
        ])
        for sa in sas {
            t.add([String(sa.id), sa.vpn, sa.state, sa.role, sa.local, sa.remote, sa.remoteID, sa.proposal,
                   nat(local: sa.natLocal, remote: sa.natRemote), uptime(sa.ageSeconds), String(sa.children.count)])
        }
        return t.render()
    }

    /// One IKE SA and each of its CHILD SAs, as key/value blocks.
    public static func ikeSA(_ sa: IKESAStatus) -> String {
        var out = "IKE SA \(sa.id): \(sa.state), \(sa.role)\n"
        out += block([
            ("vpn", sa.vpn),
            ("local", "\(sa.local)  id \(sa.localID)"),
            ("remote", "\(sa.remote)  id \(sa.remoteID)"),
            ("SPIs", "\(sa.initiatorSPI) (initiator)  \(sa.responderSPI) (responder)"),
            ("proposal", sa.proposal),
            ("NAT", nat(local: sa.natLocal, remote: sa.natRemote)),
            ("age", uptime(sa.ageSeconds)),
            ("message ID", String(sa.nextMessageID)),
        ])
        if sa.children.isEmpty { return out + "\nno CHILD SA\n" }
        for child in sa.children {
            out += "\nCHILD SA \(child.name)\n"
            var rows = [
                ("SPIs", "in \(child.inboundSPI)  out \(child.outboundSPI)"),
                ("proposal", child.proposal),
                ("local TS", child.localTS.isEmpty ? "-" : child.localTS.joined(separator: ", ")),
                ("remote TS", child.remoteTS.isEmpty ? "-" : child.remoteTS.joined(separator: ", ")),
                ("encap", child.encapsulated ? "ESP in UDP" : "ESP"),
                ("age", uptime(child.ageSeconds)),
            ]
            if let u = child.usage {
                rows.append(("in", "\(u.inboundPackets) packets  \(u.inboundBytes) bytes  replay drops \(u.replayDrops)  "
                             + "auth failures \(u.authFailures)"))
                rows.append(("out", "\(u.outboundPackets) packets  \(u.outboundBytes) bytes  seq \(u.outboundSeq)"))
            } else {
                rows.append(("usage", "unknown (not in the fast path)"))
            }
            out += block(rows)
        }
        return out
    }

    public static func ikeStats(_ stats: IKEStatsReport) -> String {
        var sections = ["ports: " + (stats.ports.isEmpty ? "-" : stats.ports.map(String.init).joined(separator: ", ")) + "\n"]
        let rows = stats.rows
        for group in ["engine", "udp"] {
            var t = TextTable([.init("COUNTER"), .init("VALUE", .right), .init("MEANING")])
            for r in rows where r.group == group { t.add([r.name, r.value, r.meaning]) }
            sections.append("\(group):\n" + t.render())
        }
        return sections.joined(separator: "\n")
    }

    /// `no`, `local`, `remote` or `both`: which side NAT detection found behind a NAT.
    public static func nat(local: Bool, remote: Bool) -> String {
        switch (local, remote) {
        case (true, true): return "both"
        case (true, false): return "local"
        case (false, true): return "remote"
        case (false, false): return "no"
        }
    }

    /// Indented `key  value` lines, keys padded to one width.
    static func block(_ rows: [(String, String)]) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { "  " + $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 + "\n" }.joined()
    }
}

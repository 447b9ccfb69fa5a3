import Foundation

/// The human-readable form of each report, as straitctl prints it.
public enum ReportText {
    public static func ports(_ ports: [PortReport]) -> String {
        var t = TextTable([
            .init("NAME"), .init("DEVICE"), .init("MIRROR"), .init("LINK"), .init("MAC"), .init("MTU", .right),
            .init("QUEUES", .right),
            .init("RX-PKTS", .right), .init("RX-BYTES", .right), .init("TX-PKTS", .right), .init("TX-BYTES", .right),
            .init("RX-ERR", .right), .init("TX-ERR", .right), .init("MISSED", .right), .init("ADDRESSES"),
        ])
        for p in ports {
            t.add([p.name, p.device, p.mirror.isEmpty ? "-" : p.mirror, link(p.linkUp, p.speedMbps), p.mac,
                   String(p.mtu), "\(p.rxQueues)/\(p.txQueues)",
                   String(p.rxPackets), String(p.rxBytes), String(p.txPackets), String(p.txBytes),
                   String(p.rxErrors), String(p.txErrors), String(p.rxMissed),
                   p.addresses.isEmpty ? "-" : p.addresses.joined(separator: ",")])
        }
        return t.render()
    }

    /// `up 25G`, `up 2.5G`, `up 100M`, `up` (speed unknown), `down`.
    public static func link(_ up: Bool, _ speedMbps: UInt32) -> String {
        guard up else { return "down" }
        if speedMbps == 0 { return "up" }
        if speedMbps < 1000 { return "up \(speedMbps)M" }
        if speedMbps % 1000 == 0 { return "up \(speedMbps / 1000)G" }
        return "up \(formatDecimal(Double(speedMbps) / 1000))G"
    }

    public static func lcores(_ lcores: [LcoreReport]) -> String {
        var t = TextTable([
            .init("LCORE", .right), .init("CPU", .right), .init("ROLE"), .init("BUSY%", .right),
            .init("RX-PKTS", .right), .init("TX-PKTS", .right), .init("LOOPS", .right), .init("QUEUES"),
        ])
        for l in lcores {
            t.add([String(l.lcore), String(l.cpu), l.role, String(format: "%.1f", l.busyPercent),
                   String(l.rxPackets), String(l.txPackets), String(l.loops),
                   l.queues.isEmpty ? "-" : l.queues.joined(separator: ",")])
        }
        return t.render()
    }

    /// Counters grouped forward / exception / drop (other kinds after), each group a table.
    /// Zero counters are left out unless `all`; `perLcore` adds a column per lcore.
    public static func stats(_ stats: StatsReport, all: Bool = false, perLcore: Bool = false) -> String {
        let shown = stats.counters.filter { all || $0.total != 0 }
        if shown.isEmpty {
            return stats.counters.isEmpty ? "no counters\n" : "all counters are zero (--all shows them)\n"
        }
        var kinds = CounterKind.ordered
        for c in shown where !kinds.contains(c.kind) { kinds.append(c.kind) }
        let lcoreCount = perLcore ? shown.map(\.perLcore.count).max() ?? 0 : 0
        var sections: [String] = []
        for kind in kinds {
            let group = shown.filter { $0.kind == kind }
            if group.isEmpty { continue }
            var columns: [TextTable.Column] = [.init("COUNTER"), .init("TOTAL", .right)]
            columns += (0..<lcoreCount).map { .init("LCORE\($0)", .right) }
            columns.append(.init("REASON"))
            var t = TextTable(columns)
            for c in group {
                var row = [c.name, String(c.total)]
                row += (0..<lcoreCount).map { $0 < c.perLcore.count ? String(c.perLcore[$0]) : "-" }
                row.append(c.reason)
                t.add(row)
            }
            sections.append("\(kind):\n" + t.render())
        }
        return sections.joined(separator: "\n")
    }

    public static func routes(_ routes: [RouteReport]) -> String {
        var t = TextTable([.init("PREFIX"), .init("TYPE"), .init("VIA"), .init("PORT")])
        for r in routes { t.add([r.prefix, r.type, r.via ?? r.sa.map { "sa \($0)" } ?? "-", r.port ?? "-"]) }
        return t.render()
    }

    public static func neighbors(_ neighbors: [NeighborReport]) -> String {
        var t = TextTable([.init("ADDRESS"), .init("MAC"), .init("PORT")])
        for n in neighbors { t.add([n.address, n.mac, n.port]) }
        return t.render()
    }

    public static func config(_ config: ConfigReport) -> String {
        var text = "# source: \(config.source)\n" + config.text
        if !text.hasSuffix("\n") { text += "\n" }
        return text
    }

    public static func version(_ v: VersionReport) -> String {
        """
        straitd \(v.version)
        instance \(v.instance)
        uptime   \(uptime(v.uptimeSeconds))
        dpdk     \(v.dpdk)

        """ + (v.pid.map { "pid      \($0)\n" } ?? "")
    }

    /// `3d 04:05:06`, or `04:05:06` under a day.
    public static func uptime(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        let hms = String(format: "%02d:%02d:%02d", (s / 3600) % 24, (s / 60) % 60, s % 60)
        return s >= 86400 ? "\(s / 86400)d \(hms)" : hms
    }

    static func formatDecimal(_ d: Double) -> String {
        var s = String(format: "%.3f", d)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

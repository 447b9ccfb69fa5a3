// `straitctl ha failover-test` as text.

extension ReportText {
    public static func failover(_ r: FailoverReport) -> String {
        func ms(_ v: Double?) -> String { v.map { "\(Int($0.rounded())) ms" } ?? "-" }
        func count(_ before: Int, _ after: Int?) -> String { "\(before) -> \(after.map(String.init) ?? "-")" }
        var out = "failover test: \(r.trigger) (\(r.triggerDetail)) at \(ms(r.triggerAtMs)), "
            + "probes every \(ms(r.intervalMs)) for \(ms(r.durationMs))\n"
        var rows: [(String, String)] = [
            ("active before", r.activeBefore),
            ("active after", r.activeAfter ?? "none (no failover)"),
        ]
        if r.activeAfter != nil {
            rows.append(("takeover", "\(ms(r.takeoverAfterTriggerMs)) after the trigger (seen at \(ms(r.detectedAfterTriggerMs)))"
                         + (r.takeoverWorkMs.map { ", its work \(($0 * 10).rounded() / 10) ms" } ?? "")))
        }
        rows += [
            ("traffic gap", "\(ms(r.gapMs)) (the longest time without replies; \(ms(r.intervalMs)) is none)"),
            ("probes", "\(r.sent) sent, \(r.lost) lost"),
            ("IKE SAs", count(r.ikeSAsBefore, r.ikeSAsAfter)),
            ("CHILD SAs", count(r.childSAsBefore, r.childSAsAfter)),
            ("ESP SAs out", count(r.activeOutboundSAsBefore, r.activeOutboundSAsAfter)),
            ("renegotiations", "\(r.renegotiations) IKE SA(s), \(r.childSAsNegotiated) CHILD SA(s) negotiated"),
            ("replay drops", "\(r.replayDrops)"),
            ("ICV failures", "\(r.authFailures)"),
        ]
        if !r.unreachableAfter.isEmpty {
            rows.append(("not asked after", r.unreachableAfter.joined(separator: ", ") + " (not in the sums)"))
        }
        out += block(rows)
        var table = TextTable([.init("TARGET"), .init("SENT", .right), .init("LOST", .right), .init("GAP", .right),
                               .init("FROM", .right), .init("TO", .right), .init("RECOVERED")])
        for t in r.targets {
            table.add([t.target, "\(t.sent)", "\(t.lost)", ms(t.gapMs), ms(t.gapFromMs), ms(t.gapToMs), t.recovered ? "yes" : "no"])
        }
        out += "\n" + table.render()
        out += "\n" + (r.passed ? "result: PASS (seamless)\n" : "result: FAIL\n" + r.problems.map { "  - \($0)\n" }.joined())
        return out
    }
}

import ArgumentParser
import Foundation
import StraitAPI

/// `straitctl ha failover-test`: probes through the pair's tunnels, makes the active fail, and
/// reports what the traffic and the tunnels went through (FailoverMath does the arithmetic).
struct FailoverTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover-test",
        abstract: "Fail the active over under probe traffic and report the gap, losses, tunnels, renegotiations, replay drops.",
        discussion: """
            Run it as root on a host whose traffic to the --target addresses goes through the pair's \
            tunnels (in a lab: ip netns exec HOST-NS straitctl ha failover-test ...). It asks every \
            --node (a control socket: a remote node's can be forwarded with \
            ssh -L /tmp/b.sock:/run/strait/control.sock root@gw-b), finds the active, sends an ICMP \
            echo to each target every --interval, fires the trigger after --settle, watches for the \
            new active, and at the end of --duration compares the nodes with what they were before. \
            --trigger kill signals the pid the active reports, so it needs the same host (pid namespace). \
            Exit status: 0 seamless, 1 a problem (no failover, tunnels lost, renegotiations, replay or \
            ICV drops, no traffic at the end, a gap over --max-gap), 2 usage error or no active node.
            """)

    enum Trigger: String, ExpressibleByArgument, CaseIterable { case graceful, kill, linkDown = "link-down", command }

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("node"), help: ArgumentHelp("A node's control socket (twice: both nodes of the pair).", valueName: "path"))
    var nodes: [String] = []
    @Option(name: .customLong("target"), help: ArgumentHelp("An IPv4 address behind the tunnels to probe (repeatable).", valueName: "address"))
    var targets: [String] = []
    @Option(help: ArgumentHelp("graceful (ha failover), kill (SIGKILL the active), link-down (--link) or command (--trigger-command).",
                               valueName: "how"))
    var trigger: Trigger = .graceful
    @Option(help: ArgumentHelp("Milliseconds between probes to each target.", valueName: "ms")) var interval = 10
    @Option(help: ArgumentHelp("Seconds the probes run in all.", valueName: "s")) var duration = 10.0
    @Option(help: ArgumentHelp("Seconds of probes before the trigger.", valueName: "s")) var settle = 2.0
    @Option(help: ArgumentHelp("link-down: the interface to set down (and up again after the test).", valueName: "ifname"))
    var link: String?
    @Option(name: .customLong("link-netns"), help: ArgumentHelp("link-down: the interface's network namespace.", valueName: "name"))
    var linkNetns: String?
    @Option(name: .customLong("trigger-command"), help: ArgumentHelp("command: run through /bin/sh at the trigger time.", valueName: "text"))
    var triggerCommand: String?
    @Option(name: .customLong("max-gap"), help: ArgumentHelp("A traffic gap above this is a problem (exit status 1).", valueName: "ms"))
    var maxGap: Double?

    func validate() throws {
        if targets.isEmpty { throw ValidationError("give at least one --target") }
        guard (1...1000).contains(interval) else { throw ValidationError("--interval: 1 to 1000 ms") }
        guard settle >= 0.5, duration >= settle + 1, duration <= 600 else {
            throw ValidationError("--settle at least 0.5 s, --duration at least --settle + 1 s and at most 600 s")
        }
        if trigger == .linkDown, link == nil { throw ValidationError("--trigger link-down needs --link IFNAME") }
        if trigger == .command, triggerCommand == nil { throw ValidationError("--trigger command needs --trigger-command") }
    }

    func run() throws {
        let nodes = (self.nodes.isEmpty ? [global.socketPath] : self.nodes).map(FailoverNode.init)
        let before = nodes.map { $0.snapshot() }
        for s in before where !s.reachable { fail("\(s.node): no answer to ha status") }
        let actives = before.filter { $0.role == "active" }
        guard actives.count == 1, let activeIndex = before.firstIndex(where: { $0.role == "active" }) else {
            fail(actives.isEmpty ? "no node is active" : "more than one node is active: \(actives.map(\.node).joined(separator: ", "))")
        }
        let how: FailoverTrigger
        switch trigger {
        case .graceful: how = .graceful
        case .kill:
            guard let pid = before[activeIndex].pid else { fail("\(before[activeIndex].node): show version has no pid (an older straitd?)") }
            how = .kill(pid: Int32(pid))
        case .linkDown: how = .linkDown(interface: link!, netns: linkNetns)
        case .command: how = .command(triggerCommand!)
        }
        let prober: ICMPProber
        do { prober = try ICMPProber(targets: targets, interval: Double(interval) / 1000) } catch { fail("\(error)") }
        note("probing \(targets.joined(separator: ", ")) every \(interval) ms for \(duration) s; active: \(before[activeIndex].node); "
             + "trigger \(how.name) in \(settle) s")

        prober.start()
        Thread.sleep(forTimeInterval: settle)
        let triggerAt = prober.now()
        var background: Process?
        let triggerError = how.fire(active: nodes[activeIndex], background: &background)
        if let triggerError { note("the trigger failed: \(triggerError)") }
        // The new active: the first other node whose ha status says active, and since when.
        var detectedAt: Double?, roleChangedMs: Int?
        while prober.now() < duration {
            if detectedAt == nil {
                for (i, node) in nodes.enumerated() where i != activeIndex {
                    let asked = prober.now()
                    if let ha = node.haStatus(), ha.role == "active" { detectedAt = asked; roleChangedMs = ha.roleChangedMs; break }
                }
            }
            Thread.sleep(forTimeInterval: detectedAt == nil ? 0.02 : min(0.1, max(0, duration - prober.now())))
        }
        let series = prober.finish(replyWait: 1)
        let after = nodes.map { $0.snapshot() }
        if let e = how.restore() { note("restoring the link failed: \(e)") }
        var detail = how.detail
        if let p = background {
            p.waitUntilExit()
            detail += ", exit status \(p.terminationStatus)"
        }
        let firstSent = series.compactMap { $0.sent.first }.min() ?? 0
        let run = FailoverMath.Run(
            trigger: how.name, triggerDetail: detail, intervalMs: Double(interval), durationMs: duration * 1000,
            triggerAtMs: (triggerAt - firstSent) * 1000, detectedAtMs: detectedAt.map { ($0 - firstSent) * 1000 },
            roleChangedMsAtDetection: roleChangedMs, triggerError: triggerError, maxGapMs: maxGap)
        let targets = zip(self.targets, series).map { FailoverMath.target($0, sentAt: $1.sent, repliedAt: $1.replied,
                                                                                  recoveryWindow: max(0.2, 5 * Double(interval) / 1000)) }
        let report = FailoverMath.report(run: run, targets: targets, before: before, after: after)
        if global.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data(ReportText.failover(report).utf8))
        }
        if case .graceful = how, triggerError == nil {
            note("\(before[activeIndex].node) resigned: straitctl --socket \(before[activeIndex].node) ha resume lets it preempt again")
        }
        if !report.passed { throw ExitCode(1) }
    }

    private func note(_ text: String) { FileHandle.standardError.write(Data("straitctl: \(text)\n".utf8)) }

    private func fail(_ text: String) -> Never {
        note(text)
        Foundation.exit(2)
    }
}

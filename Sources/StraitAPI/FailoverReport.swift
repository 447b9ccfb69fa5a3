// The result of `straitctl ha failover-test`, and the arithmetic that makes it from the probes
// and the nodes' reports. Pure: the command (straitctl) does the I/O, this decides what it means.

/// One node of the pair as `ha failover-test` saw it, before or after the failover.
/// Every field but `node` is nil when the node did not answer (killed, unreachable).
public struct FailoverNodeSnapshot: Codable, Sendable, Equatable {
    /// The control socket it was asked through.
    public var node: String
    public var reachable: Bool
    public var nodeID: Int?
    /// `active`, `standby` or `unknown` (`ha status`).
    public var role: String?
    public var pid: Int?
    /// Established IKE SAs in the node's engine, and their CHILD SAs (`show ike sa`).
    public var ikeSAs: Int?
    public var childSAs: Int?
    /// Outbound ESP SAs active in the fast path (`show ipsec sa`): a taken-over CHILD SA the
    /// engine did not import still counts here.
    public var activeOutboundSAs: Int?
    /// `show ike stats`: IKE SAs established (IKE_SA_INIT + IKE_AUTH, both roles) and CHILD SAs
    /// installed since the daemon started. An HA import counts in neither.
    public var ikeSAsEstablished: UInt64?
    public var childSAsInstalled: UInt64?
    /// The fast path's `esp-replay` and `esp-auth-failed` drop counters (`show stats`).
    public var espReplayDrops: UInt64?
    public var espAuthFailures: UInt64?
    /// `ha status`: the node's takeovers so far, ms since its role changed, how long its last
    /// takeover took.
    public var takeovers: UInt64?
    public var roleChangedMs: Int?
    public var lastTakeoverMs: Double?

    public init(node: String, reachable: Bool = false, nodeID: Int? = nil, role: String? = nil, pid: Int? = nil,
                ikeSAs: Int? = nil, childSAs: Int? = nil, activeOutboundSAs: Int? = nil, ikeSAsEstablished: UInt64? = nil,
                childSAsInstalled: UInt64? = nil, espReplayDrops: UInt64? = nil, espAuthFailures: UInt64? = nil,
                takeovers: UInt64? = nil, roleChangedMs: Int? = nil, lastTakeoverMs: Double? = nil) {
        self.node = node; self.reachable = reachable; self.nodeID = nodeID; self.role = role; self.pid = pid
        self.ikeSAs = ikeSAs; self.childSAs = childSAs; self.activeOutboundSAs = activeOutboundSAs
        self.ikeSAsEstablished = ikeSAsEstablished; self.childSAsInstalled = childSAsInstalled
        self.espReplayDrops = espReplayDrops; self.espAuthFailures = espAuthFailures; self.takeovers = takeovers
        self.roleChangedMs = roleChangedMs; self.lastTakeoverMs = lastTakeoverMs
    }
}

/// The probes to one target: how many, how many answered, and the longest stretch without answer.
public struct FailoverTargetResult: Codable, Sendable, Equatable {
    public var target: String
    public var sent: Int
    public var received: Int
    public var lost: Int
    /// The longest time between two consecutive answered probes, by their send times (from the
    /// test start, or to the last probe, when the stretch has no answered end). With no loss it
    /// is the probe interval.
    public var gapMs: Double
    /// When that stretch began and ended, in ms since the first probe.
    public var gapFromMs: Double
    public var gapToMs: Double
    /// A probe near the end was answered: traffic flows at the end.
    public var recovered: Bool

    public init(target: String, sent: Int, received: Int, lost: Int, gapMs: Double, gapFromMs: Double, gapToMs: Double,
                recovered: Bool) {
        self.target = target; self.sent = sent; self.received = received; self.lost = lost; self.gapMs = gapMs
        self.gapFromMs = gapFromMs; self.gapToMs = gapToMs; self.recovered = recovered
    }
}

/// The whole report.
public struct FailoverReport: Codable, Sendable, Equatable {
    /// graceful, kill, link-down or command; and what was done, in words.
    public var trigger: String
    public var triggerDetail: String
    public var intervalMs: Double
    public var durationMs: Double
    /// When the trigger fired, in ms since the first probe.
    public var triggerAtMs: Double
    /// The socket of the active before, and of the active after (nil: none became active).
    public var activeBefore: String
    public var activeAfter: String?
    /// The new active's role change, in ms after the trigger (from its `ha status` roleChangedMs),
    /// and when this command first saw it active.
    public var takeoverAfterTriggerMs: Double?
    public var detectedAfterTriggerMs: Double?
    /// How long the new active's takeover itself took (activation + IKE import).
    public var takeoverWorkMs: Double?
    public var targets: [FailoverTargetResult]
    /// All targets: the worst gap, and the sums.
    public var gapMs: Double
    public var sent: Int
    public var lost: Int
    /// Tunnels on the active before and on the active after.
    public var ikeSAsBefore: Int
    public var ikeSAsAfter: Int?
    public var childSAsBefore: Int
    public var childSAsAfter: Int?
    public var activeOutboundSAsBefore: Int
    public var activeOutboundSAsAfter: Int?
    /// IKE SAs established / CHILD SAs installed during the test, summed over the nodes that
    /// answered before and after (a node that restarted counts from its restart).
    public var renegotiations: UInt64
    public var childSAsNegotiated: UInt64
    /// Inbound ESP drops in the fast paths during the test (same nodes).
    public var replayDrops: UInt64
    public var authFailures: UInt64
    /// Nodes that could not be asked after the test (their counters are missing from the sums).
    public var unreachableAfter: [String]
    public var before: [FailoverNodeSnapshot]
    public var after: [FailoverNodeSnapshot]
    /// What went wrong; empty: the failover was seamless (`passed`, exit status 0).
    public var problems: [String]
    public var passed: Bool
}

/// The arithmetic of the report.
public enum FailoverMath {
    /// The probes to one target: `sentAt` in seconds since the first probe of the test, and for
    /// each the time its reply came (nil: none). A reply later than `replyTimeout` after its
    /// probe counts as lost, as ping's -W does. Recovered: a probe sent within `recoveryWindow`
    /// of the last one was answered.
    public static func target(_ name: String, sentAt: [Double], repliedAt: [Double?], replyTimeout: Double = 1.0,
                              recoveryWindow: Double = 0.2) -> FailoverTargetResult {
        let answered = zip(sentAt, repliedAt).map { s, r in r.map { $0 - s <= replyTimeout } ?? false }
        let received = answered.filter { $0 }.count
        guard let first = sentAt.first, let last = sentAt.last else {
            return FailoverTargetResult(target: name, sent: 0, received: 0, lost: 0, gapMs: 0, gapFromMs: 0, gapToMs: 0,
                                        recovered: false)
        }
        // Stretches between answered probes; the test's first probe and its last one close the
        // stretches at the ends (no answer yet, no answer any more).
        var gap = 0.0, from = first, to = first
        var previous = first
        for (s, ok) in zip(sentAt, answered) where ok {
            if s - previous > gap { gap = s - previous; from = previous; to = s }
            previous = s
        }
        if last - previous > gap { gap = last - previous; from = previous; to = last }
        let recovered = last - previous <= recoveryWindow
        return FailoverTargetResult(target: name, sent: sentAt.count, received: received, lost: sentAt.count - received,
                                    gapMs: gap * 1000, gapFromMs: (from - first) * 1000, gapToMs: (to - first) * 1000,
                                    recovered: recovered)
    }

    /// How much a counter grew on a node between two snapshots: nil when either is missing.
    /// A node whose pid changed restarted: its counters began again at 0, so all of `after` is new.
    public static func delta(_ before: FailoverNodeSnapshot, _ after: FailoverNodeSnapshot,
                             _ value: KeyPath<FailoverNodeSnapshot, UInt64?>) -> UInt64? {
        guard let b = before[keyPath: value], let a = after[keyPath: value] else { return nil }
        if before.pid != nil, after.pid != nil, before.pid != after.pid { return a }
        return a >= b ? a - b : a
    }

    /// The inputs of `report`, apart from the snapshots.
    public struct Run: Sendable {
        public var trigger: String
        public var triggerDetail: String
        public var intervalMs: Double
        public var durationMs: Double
        public var triggerAtMs: Double
        /// When the command first saw the new active, in ms since the first probe; the new
        /// active's `roleChangedMs` as read then, and that read's own time.
        public var detectedAtMs: Double?
        public var roleChangedMsAtDetection: Int?
        /// The trigger could not be carried out (e.g. the daemon refused `ha failover`).
        public var triggerError: String?
        /// --max-gap: a gap above it is a problem.
        public var maxGapMs: Double?

        public init(trigger: String, triggerDetail: String, intervalMs: Double, durationMs: Double, triggerAtMs: Double,
                    detectedAtMs: Double? = nil, roleChangedMsAtDetection: Int? = nil, triggerError: String? = nil,
                    maxGapMs: Double? = nil) {
            self.trigger = trigger; self.triggerDetail = triggerDetail; self.intervalMs = intervalMs
            self.durationMs = durationMs; self.triggerAtMs = triggerAtMs; self.detectedAtMs = detectedAtMs
            self.roleChangedMsAtDetection = roleChangedMsAtDetection; self.triggerError = triggerError; self.maxGapMs = maxGapMs
        }
    }

    /// The report: `before` and `after` list the same nodes in the same order.
    public static func report(run: Run, targets: [FailoverTargetResult], before: [FailoverNodeSnapshot],
                              after: [FailoverNodeSnapshot]) -> FailoverReport {
        let oldActive = before.first { $0.role == "active" }
        let newActive = after.first { $0.role == "active" && $0.node != oldActive?.node }
        var problems: [String] = []
        if let e = run.triggerError { problems.append("the trigger failed: \(e)") }
        if newActive == nil {
            problems.append(after.contains { $0.role == "active" && $0.node == oldActive?.node }
                            ? "no failover: \(oldActive?.node ?? "?") is still the active"
                            : "no failover: no node became active")
        }
        let pairs = zip(before, after).filter { $0.reachable && $1.reachable }
        func sum(_ k: KeyPath<FailoverNodeSnapshot, UInt64?>) -> UInt64 {
            pairs.compactMap { delta($0, $1, k) }.reduce(0, +)
        }
        let renegotiations = sum(\.ikeSAsEstablished), childNegotiated = sum(\.childSAsInstalled)
        let replay = sum(\.espReplayDrops), auth = sum(\.espAuthFailures)

        let ikeBefore = oldActive?.ikeSAs ?? 0, childBefore = oldActive?.childSAs ?? 0
        let outBefore = oldActive?.activeOutboundSAs ?? 0
        if let n = newActive {
            if (n.ikeSAs ?? 0) < ikeBefore { problems.append("tunnels lost: \(ikeBefore) IKE SAs before, \(n.ikeSAs ?? 0) after") }
            if (n.childSAs ?? 0) < childBefore {
                problems.append("CHILD SAs lost: \(childBefore) before, \(n.childSAs ?? 0) after")
            }
            if (n.activeOutboundSAs ?? 0) < outBefore {
                problems.append("ESP SAs lost: \(outBefore) active outbound before, \(n.activeOutboundSAs ?? 0) after")
            }
        }
        if renegotiations > 0 { problems.append("\(renegotiations) IKE SA(s) negotiated during the test") }
        if replay > 0 { problems.append("\(replay) inbound ESP packet(s) dropped as replays") }
        if auth > 0 { problems.append("\(auth) inbound ESP packet(s) failed their ICV") }
        for t in targets where !t.recovered { problems.append("no reply from \(t.target) at the end of the test") }
        let gap = targets.map(\.gapMs).max() ?? 0
        if let max = run.maxGapMs, gap > max { problems.append("traffic gap \(Int(gap.rounded())) ms is over --max-gap \(Int(max)) ms") }

        var takeoverAt: Double?
        if let at = run.detectedAtMs, let ago = run.roleChangedMsAtDetection { takeoverAt = at - Double(ago) - run.triggerAtMs }
        return FailoverReport(
            trigger: run.trigger, triggerDetail: run.triggerDetail, intervalMs: run.intervalMs, durationMs: run.durationMs,
            triggerAtMs: run.triggerAtMs, activeBefore: oldActive?.node ?? "", activeAfter: newActive?.node,
            takeoverAfterTriggerMs: newActive == nil ? nil : takeoverAt,
            detectedAfterTriggerMs: newActive == nil ? nil : run.detectedAtMs.map { $0 - run.triggerAtMs },
            takeoverWorkMs: newActive?.lastTakeoverMs, targets: targets, gapMs: gap,
            sent: targets.map(\.sent).reduce(0, +), lost: targets.map(\.lost).reduce(0, +),
            ikeSAsBefore: ikeBefore, ikeSAsAfter: newActive?.ikeSAs, childSAsBefore: childBefore,
            childSAsAfter: newActive?.childSAs, activeOutboundSAsBefore: outBefore,
            activeOutboundSAsAfter: newActive?.activeOutboundSAs, renegotiations: renegotiations,
            childSAsNegotiated: childNegotiated, replayDrops: replay, authFailures: auth,
            unreachableAfter: after.filter { !$0.reachable }.map(\.node), before: before, after: after, problems: problems,
            passed: problems.isEmpty)
    }
}

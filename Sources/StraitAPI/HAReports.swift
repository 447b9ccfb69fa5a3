// The result of `ha status`.

/// `ha status`: this node's HA role, the sync link and what is synced.
public struct HAStatusReport: Codable, Sendable, Equatable {
    /// False without an `ha` section (everything else is then empty).
    public var configured: Bool
    public var nodeID: Int
    /// active, standby or unknown (before VRRP decided).
    public var role: String
    public var vrrpGroup: String
    /// "listen 192.168.255.1:7490" or "connect 192.168.255.1:7490".
    public var link: String
    public var peerConnected: Bool
    public var peerNodeID: Int?
    /// Milliseconds since the last message from the peer / to it; nil: none yet.
    public var lastReceivedMs: Int?
    public var lastSentMs: Int?
    /// Active: exported; standby: held in the store.
    public var ikeSAs: Int
    public var childSAs: Int
    /// Standby: CHILD SAs with sequence state synced; installed inactive in the fast path.
    public var seqStates: Int
    public var inactiveSAs: Int
    /// CHILD SAs this node took over (active after a takeover, without IKE).
    public var takenOverSAs: Int
    /// Messages were dropped (queue overflow) or a dump is under way: not in sync.
    public var needsResync: Bool
    public var counters: [String: UInt64]
    /// Milliseconds since this node's role last changed (nil: never decided); with the
    /// report's own time it dates a takeover (`ha failover-test`).
    public var roleChangedMs: Int?
    /// How long this node's last takeover took (activating the CHILD SAs, importing the IKE
    /// SAs), in milliseconds; nil: it never took over.
    public var lastTakeoverMs: Double?
    /// `ha failover` resigned this node's group: it does not preempt until `ha resume`.
    public var resigned: Bool?
    /// The peer reports active while this node is active too (split brain, now).
    public var splitBrain: Bool?
    /// This node yielded a split brain: its group stays out of the election while the peer is active.
    public var splitBrainHold: Bool?

    public init(configured: Bool = false, nodeID: Int = 0, role: String = "none", vrrpGroup: String = "", link: String = "",
                peerConnected: Bool = false, peerNodeID: Int? = nil, lastReceivedMs: Int? = nil, lastSentMs: Int? = nil,
                ikeSAs: Int = 0, childSAs: Int = 0, seqStates: Int = 0, inactiveSAs: Int = 0, takenOverSAs: Int = 0,
                needsResync: Bool = false, counters: [String: UInt64] = [:], roleChangedMs: Int? = nil,
                lastTakeoverMs: Double? = nil, resigned: Bool? = nil, splitBrain: Bool? = nil, splitBrainHold: Bool? = nil) {
        self.configured = configured; self.nodeID = nodeID; self.role = role; self.vrrpGroup = vrrpGroup; self.link = link
        self.peerConnected = peerConnected; self.peerNodeID = peerNodeID; self.lastReceivedMs = lastReceivedMs
        self.lastSentMs = lastSentMs; self.ikeSAs = ikeSAs; self.childSAs = childSAs; self.seqStates = seqStates
        self.inactiveSAs = inactiveSAs; self.takenOverSAs = takenOverSAs; self.needsResync = needsResync; self.counters = counters
        self.roleChangedMs = roleChangedMs; self.lastTakeoverMs = lastTakeoverMs
        self.resigned = resigned; self.splitBrain = splitBrain; self.splitBrainHold = splitBrainHold
    }
}

/// `ha failover` and `ha resume`: what the daemon did, in a sentence.
public struct HAActionResult: Codable, Sendable, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
}

extension ReportText {
    public static func haStatus(_ r: HAStatusReport) -> String {
        guard r.configured else { return "no ha section in the config\n" }
        func age(_ ms: Int?) -> String { ms.map { "\($0)ms ago" } ?? "never" }
        var rows: [(String, String)] = [
            ("node", "\(r.nodeID)"), ("role", r.role), ("vrrp group", r.vrrpGroup), ("link", r.link),
            ("peer", r.peerConnected ? "connected (node \(r.peerNodeID.map(String.init) ?? "?"))" : "not connected"),
            ("last received", age(r.lastReceivedMs)), ("last sent", age(r.lastSentMs)),
            ("IKE SAs synced", "\(r.ikeSAs)"), ("CHILD SAs synced", "\(r.childSAs)"),
        ]
        if r.role != "active" || r.takenOverSAs > 0 {
            rows += [("sequence states", "\(r.seqStates)"), ("inactive in fast path", "\(r.inactiveSAs)"),
                     ("taken over", "\(r.takenOverSAs)")]
        }
        rows.append(("needs resync", r.needsResync ? "yes" : "no"))
        if r.resigned == true { rows.append(("resigned", "yes (ha failover; ha resume ends it)")) }
        if r.splitBrain == true { rows.append(("SPLIT BRAIN", "the peer is active too")) }
        if r.splitBrainHold == true { rows.append(("split-brain hold", "yielded: out of the vrrp election while the peer is active")) }
        if let ms = r.roleChangedMs { rows.append(("role since", "\(ms)ms ago")) }
        if let ms = r.lastTakeoverMs { rows.append(("last takeover took", "\((ms * 10).rounded() / 10)ms")) }
        rows += r.counters.sorted { $0.key < $1.key }.map { ($0.key, String($0.value)) }
        return block(rows)
    }
}

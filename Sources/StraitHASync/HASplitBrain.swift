/// Split brain: both nodes active at once (VRRP partitioned while the sync link is up, or both
/// partitioned and then healed). Both may have sent with the same CHILD SAs, from different
/// sequence numbers, so whoever stays active must jump past what the other used. I/O-free:
/// the daemon feeds it what the peer says (heartbeats, sequence samples, a resync request)
/// and its own role, and acts on the answers.
///
/// The rules:
/// - Detection: the peer's heartbeat says active while we have been active for `grace` (one
///   heartbeat period and a margin: a heartbeat the peer sent just before it demoted, when we
///   preempted it, is not a split brain). Reported once per episode (`detected`); `episodes`
///   counts them.
/// - While we are active, every sequence sample the peer sends is kept (highest outbound
///   number per CHILD SA): only an active node sends them, and a node that demotes sends its
///   last ones before asking for a dump, so this also covers a split brain the heartbeats never
///   saw (the sync link was partitioned too).
/// - Resolution by VRRP (it converges when the partition heals): the loser demotes (it asks for
///   a full dump, or its heartbeat says standby). The winner then moves every outbound sequence
///   number to max(own, peer's last reported + oseq-shift) (`resumeSeq`): past everything the
///   peer may have sent after its last report, and never back.
/// - Resolution by bound: both still active `bound` after detection (VRRP cannot converge,
///   e.g. its path alone is cut): the node with the lower (VRRP priority, node id) yields by
///   resigning its group (`yield`); the other stays.
public struct HASplitBrain: Sendable {
    public struct Node: Equatable, Sendable {
        public var nodeID: UInt32
        public var priority: UInt8
        public init(nodeID: UInt32, priority: UInt8) {
            self.nodeID = nodeID
            self.priority = priority
        }
    }

    public enum Decision: Equatable, Sendable {
        case none
        /// Both active: log once, count, show in `ha status`.
        case detected
        /// The peer stepped down while we stayed active: move the outbound sequence numbers
        /// (`resumeSeq`) before anything else goes out, then `resolved()`.
        case won
        /// Both stayed active for `bound`, and we are the lower node: resign the group.
        case yield
    }

    public var bound: Duration
    public var grace: Duration
    /// When this node last became active.
    public private(set) var activeSince: HAInstant?
    /// When the current episode was detected (nil: none now).
    public private(set) var since: HAInstant?
    public private(set) var episodes: UInt64 = 0
    public private(set) var yields: UInt64 = 0
    /// The peer's highest reported outbound sequence number per CHILD SA, while we are active.
    public private(set) var peerSeq: [HAChildKey: UInt64] = [:]
    private var yielded = false

    public init(bound: Duration, grace: Duration = .milliseconds(1500)) {
        self.bound = bound
        self.grace = grace
    }

    /// This node became active (a takeover or the first Master).
    public mutating func localActivated(now: HAInstant) { activeSince = now }

    public var isSplit: Bool { since != nil }

    /// Lower (priority, node id) yields. Equal on both (a misconfiguration): nobody yields by
    /// this rule, VRRP's address tie-break still decides when it hears both.
    public static func yields(local: Node, peer: Node) -> Bool {
        (local.priority, local.nodeID) < (peer.priority, peer.nodeID)
    }

    /// The peer's heartbeat said `role` while we are (`localActive`) or are not active.
    public mutating func peerReported(_ role: HANodeRole, localActive: Bool, now: HAInstant) -> Decision {
        guard localActive else { return .none }
        if role == .active {
            guard since == nil, now - (activeSince ?? HAInstant(nanoseconds: 0)) >= grace else { return .none }
            since = now
            episodes += 1
            yielded = false
            return .detected
        }
        return peerSteppedDown()
    }

    /// The peer asked for a full dump while we are active: it is a standby now.
    public mutating func peerAskedForDump(localActive: Bool) -> Decision {
        localActive ? peerSteppedDown() : .none
    }

    private mutating func peerSteppedDown() -> Decision {
        // Something to jump past: a split brain we saw, or samples only an active sends.
        guard since != nil || !peerSeq.isEmpty else { return .none }
        since = nil
        return .won
    }

    /// Sequence samples from the peer (kept only while we are active).
    public mutating func peerSamples(_ samples: [HASeqState], localActive: Bool) {
        guard localActive else { return }
        for s in samples where s.outboundSeq > peerSeq[s.child] ?? 0 { peerSeq[s.child] = s.outboundSeq }
    }

    /// We are not active any more (demoted): the episode ends here, the winner moves its numbers.
    public mutating func localDemoted() {
        since = nil
        activeSince = nil
        yielded = false
        peerSeq.removeAll()
    }

    /// The bound: once per episode, the lower node yields. `peer` nil: not known yet (no heartbeat).
    public mutating func tick(now: HAInstant, local: Node, peer: Node?) -> Decision {
        guard let since, !yielded, let peer, now - since >= bound else { return .none }
        guard Self.yields(local: local, peer: peer) else { return .none }
        yielded = true
        yields += 1
        return .yield
    }

    /// After `won`: the outbound "last sequence number used" for CHILD SA `child`, which sits at
    /// `own` here: max(own, peer's last reported + shift), capped like a takeover (nil: the peer
    /// reported nothing for it, or it is below our own already).
    public func resumeSeq(_ child: HAChildKey, own: UInt64, shift: UInt64, esn: Bool) -> HATakeoverSeq? {
        guard let peer = peerSeq[child] else { return nil }
        let t = HATakeover.outboundSeq(lastSynced: peer, shift: shift, esn: esn)
        return t.seq > own ? t : nil
    }

    /// The numbers are moved: forget the peer's samples.
    public mutating func resolved() {
        peerSeq.removeAll()
        yielded = false
    }
}

import StraitCore

/// Virtual routers that change state together (keepalived's `vrrp_sync_group`, the seed's
/// `vrrp group`), so the WAN and LAN virtual addresses always sit on the same node: when one
/// member becomes Master on its own, the others follow; when one falls back to Backup or
/// Fault, the others give up Master too. The group's own state is what HA listens to.
public struct VRRPGroup: Sendable {
    public let name: String
    public private(set) var members: [VRRPRouter]
    public private(set) var state: VRRPState = .initialize
    /// Members held in Fault by `setFault` and by `setTrackFault`.
    private var faultHeld: Set<Int> = []
    private var faultTracked: Set<Int> = []

    public init(name: String, members: [VRRPRouter]) {
        precondition(!members.isEmpty)
        self.name = name
        self.members = members
    }

    /// One member's actions, tagged with its index.
    public struct MemberAction: Equatable, Sendable {
        public var member: Int
        public var action: VRRPAction
    }

    /// What happened: every member's actions, in order, and the group's transition if any.
    public struct Output: Equatable, Sendable {
        public var actions: [MemberAction] = []
        public var transition: (from: VRRPState, to: VRRPState)?
        public static func == (l: Output, r: Output) -> Bool {
            l.actions == r.actions && l.transition?.from == r.transition?.from && l.transition?.to == r.transition?.to
        }
    }

    public var nextDeadline: VRRPInstant? { members.compactMap(\.nextDeadline).min() }

    public mutating func start(now: VRRPInstant) -> Output { apply(now: now) { $0.start(now: now) } }
    public mutating func shutdown(now: VRRPInstant) -> Output { apply(now: now) { $0.shutdown(now: now) } }
    public mutating func tick(now: VRRPInstant) -> Output { apply(now: now) { $0.tick(now: now) } }
    public mutating func resign(now: VRRPInstant) -> Output { apply(now: now) { $0.resign(now: now) } }
    public mutating func reclaim() { for i in members.indices { members[i].reclaim() } }
    public mutating func setPreemptHold(_ on: Bool) { for i in members.indices { members[i].preemptHold = on } }

    public mutating func received(_ adv: VRRPAdvertisement, from: IPAddress, member: Int, now: VRRPInstant) -> Output {
        apply(now: now, only: member) { $0.received(adv, from: from, now: now) }
    }

    public mutating func setPriority(_ p: UInt8, member: Int, now: VRRPInstant) -> Output {
        apply(now: now, only: member) { $0.setPriority(p, now: now) }
    }

    /// Member `member` is held out of the election (HA's split-brain hold) or released. Like
    /// keepalived's sync groups, one member in Fault puts every member in Fault: a member left
    /// in Backup would become Master by its own master-down timer on a segment where the other
    /// node, whose group cannot go Master without it, stays silent.
    public mutating func setFault(_ on: Bool, member: Int, now: VRRPInstant) -> Output {
        mark(member, on, in: &faultHeld)
        return applyFault(now: now)
    }

    /// The same for tracking (a port down, a stuck worker), kept apart so that neither
    /// clears the other's Fault.
    public mutating func setTrackFault(_ on: Bool, member: Int, now: VRRPInstant) -> Output {
        mark(member, on, in: &faultTracked)
        return applyFault(now: now)
    }

    private func mark(_ member: Int, _ on: Bool, in set: inout Set<Int>) {
        if on { set.insert(member) } else { set.remove(member) }
    }

    private mutating func applyFault(now: VRRPInstant) -> Output {
        let on = !faultHeld.isEmpty || !faultTracked.isEmpty
        return apply(now: now) { $0.setFault(on, now: now) }
    }

    /// Runs `event` on the members (all, or one), then brings the others in line with
    /// whichever member moved, and works out the group's state.
    private mutating func apply(now: VRRPInstant, only: Int? = nil,
                                _ event: (inout VRRPRouter) -> [VRRPAction]) -> Output {
        var out = Output()
        var wentMaster = false, leftMaster = false
        for i in members.indices where only == nil || only == i {
            for a in event(&members[i]) {
                out.actions.append(MemberAction(member: i, action: a))
                if case .transition(let from, let to, _) = a {
                    if to == .master { wentMaster = true }
                    if from == .master || to == .fault { leftMaster = true }
                }
            }
        }
        // Losing wins over winning: one member beaten (or faulty) puts the whole node in Backup.
        if leftMaster || members.contains(where: { $0.state == .fault }) && state == .master {
            for i in members.indices where members[i].state == .master {
                out.actions += members[i].forceBackup(now: now).map { MemberAction(member: i, action: $0) }
            }
            for i in members.indices where members[i].state == .backup {
                _ = members[i].forceBackup(now: now)
            }
        } else if wentMaster && !members.contains(where: { $0.state == .fault }) {
            for i in members.indices where members[i].state == .backup {
                out.actions += members[i].forceMaster(now: now).map { MemberAction(member: i, action: $0) }
            }
        }
        let new = groupState
        if new != state {
            out.transition = (state, new)
            state = new
        }
        return out
    }

    /// Master only when every member is; Fault if any is; Initialize until all have started.
    private var groupState: VRRPState {
        if members.contains(where: { $0.state == .fault }) { return .fault }
        if members.allSatisfy({ $0.state == .master }) { return .master }
        if members.contains(where: { $0.state == .initialize }) && !members.contains(where: { $0.state != .initialize }) {
            return .initialize
        }
        return members.contains(where: { $0.state == .initialize }) ? .initialize : .backup
    }
}

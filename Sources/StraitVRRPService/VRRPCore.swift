import StraitCore
import StraitVRRP

/// What the core asks of the world. The service implements it with raw sockets, AF_PACKET
/// and netlink; tests with a recorder (and two cores wired back to back).
public protocol VRRPIO: AnyObject {
    /// Sends one advertisement payload from `source` to `destination` (TTL/Hop Limit 255).
    func send(_ payload: [UInt8], instance: VRRPInstanceSpec, source: IPAddress, destination: IPAddress) -> Bool
    /// Gratuitous ARP / unsolicited NA for every virtual address, `count` times.
    func announce(instance: VRRPInstanceSpec, count: Int)
    /// Master: the virtual addresses go onto the mirror; otherwise they come off.
    func setAddresses(instance: VRRPInstanceSpec, present: Bool)
}

/// The service without its I/O: routes received advertisements to the right router (by
/// interface, family and VRID), drops and counts the bad ones, runs routers and groups on the
/// clock it is given, and turns their actions into `VRRPIO` calls. Not thread-safe: the
/// service calls it from its one thread.
public final class VRRPCore {
    private enum Unit {
        case router(VRRPRouter)
        case group(VRRPGroup)
        var nextDeadline: VRRPInstant? {
            switch self {
            case .router(let r): return r.nextDeadline
            case .group(let g): return g.nextDeadline
            }
        }
    }

    private struct Member {
        var spec: VRRPInstanceSpec
        var primary: IPAddress
        var unit: Int
        var index: Int
        var drops: [VRRPDropReason: UInt64] = [:]
        var sendErrors: UInt64 = 0
        var transitions: UInt64 = 0
        var verdict = VRRPTrackVerdict()
    }

    private var units: [Unit] = []
    private var unitMembers: [[Int]] = []
    private var groupTransitions: [Int: UInt64] = [:]
    private var members: [Member] = []
    private var byKey: [String: Int] = [:]
    fileprivate var drops: [VRRPDropReason: UInt64] = [:]
    private let io: VRRPIO
    /// Called for every transition, on the service's thread.
    public var onTransition: (VRRPTransitionEvent) -> Void = { _ in }

    /// `primaries`: each instance's source address (by name), resolved by the caller.
    public init(instances: [VRRPInstanceSpec], groups: [VRRPGroupSpec], primaries: [String: IPAddress], io: VRRPIO) {
        self.io = io
        var grouped: Set<String> = []
        for g in groups {
            let specs = g.instances.compactMap { n in instances.first { $0.name == n } }
            guard !specs.isEmpty else { continue }
            let unit = units.count
            var routers: [VRRPRouter] = []
            var indices: [Int] = []
            for (i, s) in specs.enumerated() {
                let primary = primaries[s.name] ?? s.primaryAddress!
                routers.append(VRRPRouter(settings: s.settings(primary: primary)))
                indices.append(members.count)
                members.append(Member(spec: s, primary: primary, unit: unit, index: i))
                grouped.insert(s.name)
            }
            units.append(.group(VRRPGroup(name: g.name, members: routers)))
            unitMembers.append(indices)
        }
        for s in instances where !grouped.contains(s.name) {
            let primary = primaries[s.name] ?? s.primaryAddress!
            units.append(.router(VRRPRouter(settings: s.settings(primary: primary))))
            unitMembers.append([members.count])
            members.append(Member(spec: s, primary: primary, unit: units.count - 1, index: 0))
        }
        for (i, m) in members.enumerated() { byKey[Self.key(m.spec.interface, m.spec.isIPv4, m.spec.vrid)] = i }
    }

    private static func key(_ interface: String, _ v4: Bool, _ vrid: UInt8) -> String { "\(interface)/\(v4 ? 4 : 6)/\(vrid)" }

    public var nextDeadline: VRRPInstant? { units.compactMap(\.nextDeadline).min() }

    public func start(now: VRRPInstant) { for u in units.indices { run(u, router: { $0.start(now: now) }, group: { $0.start(now: now) }) } }

    /// Masters send priority 0 and every instance gives its addresses up.
    public func shutdown(now: VRRPInstant) { for u in units.indices { run(u, router: { $0.shutdown(now: now) }, group: { $0.shutdown(now: now) }) } }

    public func tick(now: VRRPInstant) {
        for u in units.indices {
            guard let d = units[u].nextDeadline, d <= now else { continue }
            run(u, router: { $0.tick(now: now) }, group: { $0.tick(now: now) })
        }
    }

    /// One packet of protocol 112 read on `interface`: the payload (after the IP header), its
    /// IP source and destination and its TTL / Hop Limit.
    public func received(_ payload: [UInt8], source: IPAddress, destination: IPAddress, ttl: Int,
                         interface: String, now: VRRPInstant) {
        let v4 = source.isIPv4
        let found = payload.count >= 2 ? byKey[Self.key(interface, v4, payload[1])] : nil
        // Our own multicast, looped back: not an advertisement from a peer.
        if let found, members[found].primary == source { return }
        func drop(_ r: VRRPDropReason) {
            if let found { members[found].drops[r, default: 0] += 1 } else { drops[r, default: 0] += 1 }
        }
        guard ttl == 255 else { return drop(.badTTL) }
        guard let m = found else { return drop(payload.count < 8 ? .truncated : .unknownVRID) }
        // Unicast peers are the only routers this one talks to (keepalived checks the same).
        let peers = members[m].spec.unicastPeers
        guard peers.isEmpty || peers.contains(source) else { return drop(.unknownPeer) }
        let adv: VRRPAdvertisement
        do {
            adv = try VRRPAdvertisement.decode(payload, source: source, destination: destination, mode: members[m].spec.checksum)
        } catch let e as VRRPAdvertisement.DecodeError {
            return drop(VRRPDropReason(e.code))
        } catch {
            return drop(.truncated)
        }
        let member = members[m].index
        run(members[m].unit, router: { $0.received(adv, from: source, now: now) },
            group: { $0.received(adv, from: source, member: member, now: now) })
    }

    /// A tracking sample: instances whose verdict changed enter or leave Fault and advertise
    /// their new priority (a group moves as a whole: one member in Fault puts every member in
    /// Fault). Returns what changed, for the log.
    @discardableResult
    public func track(_ health: VRRPHealth, now: VRRPInstant) -> [String] {
        var changes: [String] = []
        for i in members.indices where !members[i].spec.track.isEmpty {
            let verdict = members[i].spec.track.evaluate(health)
            let old = members[i].verdict
            guard verdict != old else { continue }
            members[i].verdict = verdict
            let unit = members[i].unit, member = members[i].index
            changes.append("\(members[i].spec.name): tracking: " + (verdict.reasons.isEmpty ? "all clear" : verdict.reasons.joined(separator: ", "))
                           + (verdict.fault ? " (fault)" : verdict.weight != 0 ? " (priority \(verdict.priority(configured: members[i].spec.priority)))" : ""))
            let p = verdict.priority(configured: members[i].spec.priority)
            // Priority first: a router leaving Fault starts with the priority it should have.
            run(unit, router: { $0.setPriority(p, now: now) }, group: { $0.setPriority(p, member: member, now: now) })
            if verdict.fault != old.fault {
                run(unit, router: { $0.setFault(verdict.fault, now: now) }, group: { $0.setTrackFault(verdict.fault, member: member, now: now) })
            }
        }
        return changes
    }

    /// Runs an event on unit `u` and carries out what it answers.
    private func run(_ u: Int, router: (inout VRRPRouter) -> [VRRPAction], group: (inout VRRPGroup) -> VRRPGroup.Output) {
        var actions: [(Int, VRRPAction)] = []
        switch units[u] {
        case .router(var r):
            actions = router(&r).map { (unitMembers[u][0], $0) }
            units[u] = .router(r)
        case .group(var g):
            let out = group(&g)
            actions = out.actions.map { (unitMembers[u][$0.member], $0.action) }
            units[u] = .group(g)
            if let t = out.transition {
                groupTransitions[u, default: 0] += 1
                onTransition(VRRPTransitionEvent(subject: .group(g.name), from: t.from, to: t.to, reason: nil))
            }
        }
        // Addresses first, so that the fast path holds a new Master's addresses before the
        // gratuitous ARPs draw traffic to them.
        var announces: [(Int, Int)] = []
        for (m, action) in actions {
            let spec = members[m].spec
            switch action {
            case .send(let adv):
                let payload = { (dst: IPAddress) in adv.encode(source: self.members[m].primary, destination: dst, mode: spec.checksum) }
                let targets = spec.unicastPeers.isEmpty ? [spec.isIPv4 ? VRRPAdvertisement.groupV4 : VRRPAdvertisement.groupV6] : spec.unicastPeers
                for dst in targets where !io.send(payload(dst), instance: spec, source: members[m].primary, destination: dst) {
                    members[m].sendErrors += 1
                }
            case .announce(let count):
                announces.append((m, count))
            case .transition(let from, let to, let reason):
                members[m].transitions += 1
                if to == .master { io.setAddresses(instance: spec, present: true) }
                if from == .master { io.setAddresses(instance: spec, present: false) }
                onTransition(VRRPTransitionEvent(subject: .instance(spec.name), from: from, to: to, reason: reason))
            }
        }
        for (m, count) in announces { io.announce(instance: members[m].spec, count: count) }
    }

    public func snapshot() -> VRRPStatus {
        var status = VRRPStatus(drops: drops)
        for m in members {
            let router: VRRPRouter
            var groupName: String?
            switch units[m.unit] {
            case .router(let r): router = r
            case .group(let g): router = g.members[m.index]; groupName = g.name
            }
            status.instances.append(VRRPStatus.Instance(
                name: m.spec.name, interface: m.spec.interface, vrid: m.spec.vrid, group: groupName, state: router.state,
                priority: router.priority, configuredPriority: m.spec.priority, advertInterval: m.spec.advertInterval,
                masterAdvertInterval: router.masterAdvertInterval,
                masterAddress: router.state == .master ? m.primary : router.masterAddress, primaryAddress: m.primary,
                addresses: m.spec.addresses, counters: router.counters, drops: m.drops, sendErrors: m.sendErrors,
                transitions: m.transitions, tracking: m.verdict.reasons))
        }
        for (u, unit) in units.enumerated() {
            if case .group(let g) = unit {
                status.groups.append(VRRPStatus.Group(name: g.name, state: g.state, instances: unitMembers[u].map { members[$0].spec.name },
                                                      transitions: groupTransitions[u] ?? 0))
            }
        }
        return status
    }
}

extension VRRPCore {
    /// An IPv4 packet whose header did not parse (no instance to blame).
    public func countMalformedIP() { drops[.badIPHeader, default: 0] += 1 }
}

extension VRRPCore {
    private func groupUnit(_ name: String) -> Int? {
        units.firstIndex { if case .group(let g) = $0 { return g.name == name } else { return false } }
    }

    /// Graceful failover (`ha failover`): the group's Masters send priority 0 (the best Backup
    /// takes over after its skew) and stay Backup without preempting until `reclaim`. False: no
    /// such group, or it is not Master here.
    public func resign(group name: String, now: VRRPInstant) -> Bool {
        guard let u = groupUnit(name), case .group(let g) = units[u], g.state == .master else { return false }
        run(u, router: { $0.resign(now: now) }, group: { $0.resign(now: now) })
        return true
    }

    /// Ends a `resign`: the group may preempt again. False: no such group.
    public func reclaim(group name: String) -> Bool {
        guard let u = groupUnit(name), case .group(var g) = units[u] else { return false }
        g.reclaim()
        units[u] = .group(g)
        return true
    }

    /// Whether the group is resigned (nil: no such group).
    public func isResigned(group name: String) -> Bool? {
        guard let u = groupUnit(name), case .group(let g) = units[u] else { return nil }
        return g.members.contains { $0.resigned }
    }

    /// HA split brain: keeps the group out of the election (every member in Fault: a Master
    /// sends priority 0 and gives the addresses up) while `on`, so a node that yielded does not
    /// come back by its own master-down timer while VRRP cannot hear the other node. False: no
    /// such group.
    public func hold(group name: String, _ on: Bool, now: VRRPInstant) -> Bool {
        guard let u = groupUnit(name), case .group(let g) = units[u] else { return false }
        for i in g.members.indices { run(u, router: { _ in [] }, group: { $0.setFault(on, member: i, now: now) }) }
        return true
    }

    /// HA: while this node is not in sync the group does not preempt a (lower-priority) Master;
    /// it still takes over when the Master goes silent. False: no such group.
    public func setPreemptHold(group name: String, _ on: Bool) -> Bool {
        guard let u = groupUnit(name), case .group(var g) = units[u] else { return false }
        g.setPreemptHold(on)
        units[u] = .group(g)
        return true
    }

    /// A Master group's gratuitous ARPs / unsolicited NAs again: after a split brain the other
    /// node announced the same addresses last, and a Master that never left Master sends none.
    public func announce(group name: String) {
        guard let u = groupUnit(name), case .group(let g) = units[u], g.state == .master else { return }
        for m in unitMembers[u] { io.announce(instance: members[m].spec, count: members[m].spec.announceCount) }
    }
}

import StraitCore

/// A virtual router's state (RFC 5798 6.4), plus Fault: held out of the election by tracking
/// (a port down, a stuck fast-path worker) until the condition clears.
public enum VRRPState: String, Sendable, Equatable {
    case initialize, backup, master, fault
}

/// What one virtual router is configured to be.
public struct VRRPRouterSettings: Sendable, Equatable {
    public var vrid: UInt8
    /// 1...255; 255 means this router owns the virtual addresses.
    public var priority: UInt8
    public var advertInterval: Centiseconds
    /// A higher-priority Backup takes over from a lower-priority Master (RFC default true).
    public var preempt: Bool
    /// After start, lower-priority Masters are left alone this long (so a node that comes back
    /// can resynchronise before taking over).
    public var preemptDelay: Centiseconds
    /// Our primary address on the port: the advertisements' source and the tie-break between
    /// equal priorities (RFC 5798 6.4.3).
    public var primaryAddress: IPAddress
    public var addresses: [IPAddress]
    /// Gratuitous ARP / unsolicited NA on becoming Master: how many times, and a second round
    /// after `announceRefresh` (nil: none) for switches that missed the first.
    public var announceCount: Int
    public var announceRefresh: Centiseconds?
    /// The pause between the `announceCount` announcements of one round (0: back to back).
    public var announceInterval: Centiseconds
    /// After start, no becoming Master for this long (keepalived's vrrp_startup_delay): a node
    /// whose links or fast path are still coming up listens first instead of grabbing the
    /// addresses because it has not heard the Master yet.
    public var startupDelay: Centiseconds

    public init(vrid: UInt8, priority: UInt8 = 100, advertInterval: Centiseconds = Centiseconds(100), preempt: Bool = true,
                preemptDelay: Centiseconds = Centiseconds(0), primaryAddress: IPAddress, addresses: [IPAddress],
                announceCount: Int = 5, announceRefresh: Centiseconds? = Centiseconds(500),
                announceInterval: Centiseconds = Centiseconds(0), startupDelay: Centiseconds = Centiseconds(0)) {
        self.vrid = vrid
        self.priority = priority
        self.advertInterval = advertInterval
        self.preempt = preempt
        self.preemptDelay = preemptDelay
        self.primaryAddress = primaryAddress
        self.addresses = addresses
        self.announceCount = announceCount
        self.announceRefresh = announceRefresh
        self.announceInterval = announceInterval
        self.startupDelay = startupDelay
    }
}

/// Why a router changed state (for logs, notify hooks and the HA group).
public enum VRRPReason: String, Sendable, Equatable {
    case startedAsOwner = "started as address owner"
    case startedAsBackup = "started"
    case masterDown = "no advertisement within the master-down interval"
    case masterResigned = "the master resigned (priority 0)"
    case higherPriority = "an advertisement with a higher priority"
    case tieBreak = "an advertisement with equal priority from a higher address"
    case resigned = "resigned (priority 0 sent)"
    case group = "its group moved"
    case fault = "fault"
    case faultCleared = "fault cleared"
    case shutdown = "shut down"
}

/// What the I/O shell must do, in order.
public enum VRRPAction: Equatable, Sendable {
    /// Send this advertisement (source: the primary address, to the group or unicast peers, TTL 255).
    case send(VRRPAdvertisement)
    /// Gratuitous ARP / unsolicited NA for every virtual address, `count` times.
    case announce(count: Int)
    /// The router changed state: take or give up the virtual addresses.
    case transition(from: VRRPState, to: VRRPState, reason: VRRPReason)
}

/// One VRRPv3 virtual router as an I/O-free state machine (RFC 5798 6.4 as updated by RFC 9568):
/// feed it start/shutdown, received advertisements and clock ticks; it answers with actions
/// and says when it next needs a tick.
public struct VRRPRouter: Sendable {
    public let settings: VRRPRouterSettings
    public private(set) var state: VRRPState = .initialize
    /// The priority advertised now: the configured one less what tracking took away.
    public private(set) var priority: UInt8
    public private(set) var masterAdvertInterval: Centiseconds
    /// The Master we last heard (nil while we are Master or have heard none).
    public private(set) var masterAddress: IPAddress?
    public private(set) var counters = Counters()

    /// Set by HA while this node is not in sync: behave as if preempt were off.
    public var preemptHold = false
    /// Set by a graceful failover (`resign`): no preempting until `reclaim`.
    public private(set) var resigned = false
    /// Set when the group forced this router to Backup: no preempting until the group moves.
    private var groupHeld = false

    private var adverTimer: VRRPInstant?
    private var masterDownTimer: VRRPInstant?
    /// The second round of announcements (`announceRefresh` after becoming Master).
    private var announceTimer: VRRPInstant?
    /// The next announcement of a paced round, and how many of the round are left.
    private var announceNext: VRRPInstant?
    private var announceLeft = 0
    private var preemptFrom = VRRPInstant(nanoseconds: 0)
    /// The end of the startup delay (set once: a fault clearing does not start it again).
    private var startupUntil: VRRPInstant?

    public struct Counters: Sendable, Equatable {
        public var advertisementsReceived: UInt64 = 0
        public var advertisementsSent: UInt64 = 0
        public var priorityZeroReceived: UInt64 = 0
        public var priorityZeroSent: UInt64 = 0
        public var becameMaster: UInt64 = 0
        public var lowerPriorityIgnored: UInt64 = 0
        public var wrongVRID: UInt64 = 0
        public var addressListMismatch: UInt64 = 0
    }

    public init(settings: VRRPRouterSettings) {
        precondition((1...255).contains(settings.priority) && settings.vrid != 0)
        self.settings = settings
        self.priority = settings.priority
        self.masterAdvertInterval = settings.advertInterval
    }

    /// The earliest time `tick` has something to do.
    public var nextDeadline: VRRPInstant? {
        [adverTimer, masterDownTimer, announceTimer, announceNext].compactMap { $0 }.min()
    }

    private var isOwner: Bool { settings.priority == 255 }

    /// RFC 5798 6.4.2: a Backup ignores a lower-priority Master only when it may preempt;
    /// the address owner always may.
    private func mayPreempt(now: VRRPInstant) -> Bool {
        isOwner || (settings.preempt && !resigned && !preemptHold && !groupHeld && now >= preemptFrom)
    }

    // MARK: events

    public mutating func start(now: VRRPInstant) -> [VRRPAction] {
        guard state == .initialize else { return [] }
        preemptFrom = now + settings.preemptDelay
        if startupUntil == nil { startupUntil = now + settings.startupDelay }
        if isOwner && notBefore(now) == now { return becomeMaster(now: now, reason: .startedAsOwner) }
        let out = becomeBackup(now: now, interval: settings.advertInterval, reason: .startedAsBackup)
        // The owner waits out the startup delay only, not a master-down interval as well.
        if isOwner { masterDownTimer = notBefore(now) }
        return out
    }

    public mutating func shutdown(now: VRRPInstant) -> [VRRPAction] {
        var out: [VRRPAction] = []
        if state == .master { out.append(advertise(priority: 0)) }
        out += move(to: .initialize, reason: .shutdown)
        return out
    }

    public mutating func tick(now: VRRPInstant) -> [VRRPAction] {
        var out: [VRRPAction] = []
        switch state {
        case .backup:
            if let t = masterDownTimer, now >= t {
                out += becomeMaster(now: now, reason: .masterDown)
            }
        case .master:
            if let t = adverTimer, now >= t {
                out.append(advertise(priority: priority))
                adverTimer = now + settings.advertInterval
            }
            if let t = announceNext, now >= t {
                out.append(.announce(count: 1))
                announceLeft -= 1
                announceNext = announceLeft > 0 ? now + settings.announceInterval : nil
            }
            if let t = announceTimer, now >= t {
                out += announceRound(now: now)
                announceTimer = nil
            }
        case .initialize, .fault:
            break
        }
        return out
    }

    /// An advertisement that passed the shell's checks (TTL 255, checksum, VRID routing),
    /// from the IP source `from`.
    public mutating func received(_ adv: VRRPAdvertisement, from: IPAddress, now: VRRPInstant) -> [VRRPAction] {
        guard adv.vrid == settings.vrid else {
            counters.wrongVRID += 1
            return []
        }
        counters.advertisementsReceived += 1
        if adv.priority == 0 { counters.priorityZeroReceived += 1 }
        if Set(adv.addresses) != Set(settings.addresses) { counters.addressListMismatch += 1 }
        let interval = Centiseconds(UInt32(adv.maxAdvertInterval))
        switch state {
        case .backup:
            if adv.priority == 0 {
                // The Master resigned: take over after only the skew, best Backup first.
                masterDownTimer = notBefore(now + VRRPTiming.skew(priority: priority, masterAdvertInterval: masterAdvertInterval))
                return []
            }
            if !mayPreempt(now: now) || adv.priority >= priority {
                masterAdvertInterval = interval
                masterDownTimer = notBefore(now + VRRPTiming.masterDown(priority: priority, masterAdvertInterval: interval))
                masterAddress = from
            } else {
                counters.lowerPriorityIgnored += 1   // let the master-down timer run out
            }
            return []
        case .master:
            if adv.priority == 0 {
                // Another router resigned while we are Master: assert ourselves at once.
                adverTimer = now + settings.advertInterval
                return [advertise(priority: priority)]
            }
            let higher = adv.priority > priority
            let tie = adv.priority == priority && Self.greater(from, settings.primaryAddress)
            guard higher || tie else { return [] }
            masterAddress = from
            return becomeBackup(now: now, interval: interval, reason: higher ? .higherPriority : .tieBreak)
        case .initialize, .fault:
            return []
        }
    }

    // MARK: operator, tracking and group inputs

    /// Tracking lowered (or restored) the priority. The owner's never changes. A Master tells
    /// the Backups at once, so a better one can preempt without waiting for the next advert.
    public mutating func setPriority(_ p: UInt8, now: VRRPInstant) -> [VRRPAction] {
        guard !isOwner, p >= 1, p != priority else { return [] }
        priority = p
        guard state == .master else { return [] }
        adverTimer = now + settings.advertInterval
        return [advertise(priority: p)]
    }

    /// Fault (a tracked port down, a stuck worker): give the addresses up and stay out of the
    /// election until it clears, then start again.
    public mutating func setFault(_ on: Bool, now: VRRPInstant) -> [VRRPAction] {
        if on {
            guard state != .fault else { return [] }
            var out: [VRRPAction] = []
            if state == .master { out.append(advertise(priority: 0)) }
            return out + move(to: .fault, reason: .fault)
        }
        guard state == .fault else { return [] }
        state = .initialize
        return start(now: now).map {
            if case .transition(_, let to, _) = $0 { return .transition(from: .fault, to: to, reason: .faultCleared) }
            return $0
        }
    }

    /// Graceful failover: a Master sends priority 0 (the best Backup takes over after its skew)
    /// and stays Backup without preempting until `reclaim`. If nobody takes over, its own
    /// master-down timer brings it back, so the addresses are never orphaned.
    public mutating func resign(now: VRRPInstant) -> [VRRPAction] {
        guard state == .master, !isOwner else { return [] }
        resigned = true
        return [advertise(priority: 0)] + becomeBackup(now: now, interval: settings.advertInterval, reason: .resigned)
    }

    /// Ends a `resign`: preempting is allowed again (a group's resign also held its members
    /// back as "forced by the group": that ends too, or the group would never preempt).
    public mutating func reclaim() {
        resigned = false
        groupHeld = false
    }

    /// The group moved to Master: follow it.
    public mutating func forceMaster(now: VRRPInstant) -> [VRRPAction] {
        groupHeld = false
        guard state == .backup else { return [] }
        return becomeMaster(now: now, reason: .group)
    }

    /// The group moved to Backup: follow it, and do not preempt on our own until it moves again.
    public mutating func forceBackup(now: VRRPInstant) -> [VRRPAction] {
        groupHeld = true
        guard state == .master else { return [] }
        return [advertise(priority: 0)] + becomeBackup(now: now, interval: masterAdvertInterval, reason: .group)
    }

    // MARK: transitions

    private mutating func becomeMaster(now: VRRPInstant, reason: VRRPReason) -> [VRRPAction] {
        masterDownTimer = nil
        masterAddress = nil
        groupHeld = false
        adverTimer = now + settings.advertInterval
        announceTimer = settings.announceRefresh.map { now + $0 }
        counters.becameMaster += 1
        return [advertise(priority: priority)] + announceRound(now: now) + move(to: .master, reason: reason)
    }

    /// One round of announcements: all at once, or the first now and the rest paced by
    /// `announceInterval` (switches and hosts that rate-limit gratuitous ARP miss back-to-back ones).
    private mutating func announceRound(now: VRRPInstant) -> [VRRPAction] {
        guard settings.announceInterval.value > 0, settings.announceCount > 1 else {
            return [.announce(count: settings.announceCount)]
        }
        announceLeft = settings.announceCount - 1
        announceNext = now + settings.announceInterval
        return [.announce(count: 1)]
    }

    /// A Backup becomes Master no earlier than the end of the startup delay.
    private func notBefore(_ t: VRRPInstant) -> VRRPInstant {
        guard let end = startupUntil, end > t else { return t }
        return end
    }

    private mutating func becomeBackup(now: VRRPInstant, interval: Centiseconds, reason: VRRPReason) -> [VRRPAction] {
        adverTimer = nil
        announceTimer = nil
        announceNext = nil
        masterAdvertInterval = interval
        masterDownTimer = notBefore(now + VRRPTiming.masterDown(priority: priority, masterAdvertInterval: interval))
        return move(to: .backup, reason: reason)
    }

    private mutating func move(to new: VRRPState, reason: VRRPReason) -> [VRRPAction] {
        let old = state
        state = new
        if new == .initialize || new == .fault {
            adverTimer = nil
            masterDownTimer = nil
            announceTimer = nil
            announceNext = nil
            masterAddress = nil
        }
        return old == new ? [] : [.transition(from: old, to: new, reason: reason)]
    }

    private mutating func advertise(priority p: UInt8) -> VRRPAction {
        counters.advertisementsSent += 1
        if p == 0 { counters.priorityZeroSent += 1 }
        return .send(VRRPAdvertisement(vrid: settings.vrid, priority: p,
                                       maxAdvertInterval: UInt16(min(settings.advertInterval.value, 4095)),
                                       addresses: settings.addresses))
    }

    /// Addresses compared as unsigned numbers of the same family (RFC 5798 6.4.3).
    static func greater(_ a: IPAddress, _ b: IPAddress) -> Bool {
        a.bytes.lexicographicallyPrecedes(b.bytes) == false && a.bytes != b.bytes
    }
}

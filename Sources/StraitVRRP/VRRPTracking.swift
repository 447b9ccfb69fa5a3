/// What a tracked condition does to a virtual router while it holds (keepalived's
/// track_interface: no weight puts the instance in Fault, a weight lowers its priority).
public enum VRRPTrackEffect: Sendable, Equatable {
    /// Leave the election (a Master resigns with priority 0) until the condition clears.
    case fault
    /// Add this (negative) amount to the configured priority; the result stays within 1...254.
    case weight(Int)
}

/// What one instance tracks: ports (by name) whose link going down matters, and the fast
/// path's health (every worker still polling).
public struct VRRPTrackSettings: Sendable, Equatable {
    public struct Port: Sendable, Equatable {
        public var name: String
        public var effect: VRRPTrackEffect
        public init(name: String, effect: VRRPTrackEffect = .fault) { self.name = name; self.effect = effect }
    }
    public var ports: [Port]
    /// nil: a stuck worker does not matter to this instance.
    public var fastPath: VRRPTrackEffect?
    public init(ports: [Port] = [], fastPath: VRRPTrackEffect? = nil) { self.ports = ports; self.fastPath = fastPath }
    public var isEmpty: Bool { ports.isEmpty && fastPath == nil }

    /// What holds now, given which ports are down and whether a worker is stuck.
    public func evaluate(_ health: VRRPHealth) -> VRRPTrackVerdict {
        var verdict = VRRPTrackVerdict()
        for p in ports where health.portsDown.contains(p.name) {
            verdict.apply(p.effect, because: "port \(p.name) down")
        }
        if let effect = fastPath, !health.stuckWorkers.isEmpty {
            verdict.apply(effect, because: "fast-path worker \(health.stuckWorkers.map(String.init).joined(separator: ",")) stuck")
        }
        return verdict
    }
}

/// The fast path's health as one sample sees it.
public struct VRRPHealth: Sendable, Equatable {
    public var portsDown: Set<String>
    /// Worker indices whose loop counter has not moved for the stuck bound.
    public var stuckWorkers: [Int]
    public init(portsDown: Set<String> = [], stuckWorkers: [Int] = []) { self.portsDown = portsDown; self.stuckWorkers = stuckWorkers }
}

/// What tracking does to one instance now.
public struct VRRPTrackVerdict: Sendable, Equatable {
    public var fault = false
    /// The sum of the weights of the conditions that hold (0 or negative).
    public var weight = 0
    /// Why, for the log ("port wan01 down").
    public var reasons: [String] = []
    public init() {}

    mutating func apply(_ effect: VRRPTrackEffect, because reason: String) {
        switch effect {
        case .fault: fault = true
        case .weight(let w): weight += w
        }
        reasons.append(reason)
    }

    /// The priority to advertise: the configured one plus the weights, kept within 1...254
    /// (an owner's 255 never changes: it tracks by fault only).
    public func priority(configured: UInt8) -> UInt8 {
        guard configured != 255 else { return 255 }
        return UInt8(max(1, min(254, Int(configured) + weight)))
    }
}

/// Finds stuck fast-path workers from their loop counters sampled on a clock: a worker
/// whose counter has not moved for `stuckAfter` is stuck (an idle worker still loops: it
/// sleeps at most idle-sleep-us between polls). I/O-free; the daemon samples.
public struct VRRPWorkerWatch: Sendable {
    public let stuckAfter: Centiseconds
    private var last: [UInt64] = []
    private var movedAt: [VRRPInstant] = []

    public init(stuckAfter: Centiseconds) { self.stuckAfter = stuckAfter }

    /// Feeds one sample (one counter per worker) and returns the stuck workers' indices.
    public mutating func sample(loops: [UInt64], now: VRRPInstant) -> [Int] {
        if loops.count != last.count {
            last = loops
            movedAt = Array(repeating: now, count: loops.count)
            return []
        }
        var stuck: [Int] = []
        for (i, n) in loops.enumerated() {
            if n != last[i] {
                last[i] = n
                movedAt[i] = now
            } else if now - movedAt[i] >= stuckAfter {
                stuck.append(i)
            }
        }
        return stuck
    }
}

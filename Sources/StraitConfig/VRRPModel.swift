import StraitCore

/// How an IPv4 advertisement's checksum is computed (IPv6 always includes the pseudo-header).
public enum VRRPChecksumMode: String, Sendable, CaseIterable {
    /// RFC 5798/9568: the pseudo-header is included, as keepalived does by default.
    case rfc5798
    /// Without the pseudo-header, for peers that run keepalived's `v3_checksum_as_v2`.
    case v2Compatible = "v2-compatible"
}

/// One item of `vrrp.instances`: a VRRPv3 virtual router on a port's kernel mirror.
public struct VRRPInstanceConfig: Sendable {
    public var name: String
    /// The port (and so its kernel mirror) the router runs on.
    public var interface: String
    public var vrid: Int
    /// 1...255; 255 owns the addresses.
    public var priority: Int
    /// Centiseconds, 1...4095.
    public var advertInterval: Int
    public var preempt: Bool
    /// Centiseconds.
    public var preemptDelay: Int
    /// Always true in this version: the virtual addresses are the tunnels' endpoints.
    public var acceptMode: Bool
    /// All of one family; the prefix length is the one the mirror gets.
    public var virtualAddresses: [IPPrefix]
    /// Empty: multicast to 224.0.0.18 / ff02::12.
    public var unicastPeers: [IPAddress]
    public var checksum: VRRPChecksumMode
    /// Gratuitous ARPs / unsolicited NAs on becoming Master, and a second round after
    /// `garpRefresh` centiseconds (nil: none).
    public var garpCount: Int
    public var garpRefresh: Int?
    /// Centiseconds between the announcements of one round (0: back to back).
    public var garpInterval: Int = 0
    /// Centiseconds before this instance may become Master after start; nil: the section's.
    public var startupDelay: Int?
    public var track = VRRPTrackConfig()
    public var location: SourceLocation

    public var isIPv4: Bool { virtualAddresses.first?.address.isIPv4 ?? true }

    public init(name: String, interface: String, vrid: Int, priority: Int = VRRPDefaults.priority,
                advertInterval: Int = VRRPDefaults.advertInterval, preempt: Bool = true, preemptDelay: Int = 0,
                acceptMode: Bool = true, virtualAddresses: [IPPrefix], unicastPeers: [IPAddress] = [],
                checksum: VRRPChecksumMode = .rfc5798, garpCount: Int = VRRPDefaults.garpCount,
                garpRefresh: Int? = VRRPDefaults.garpRefresh, location: SourceLocation) {
        self.name = name; self.interface = interface; self.vrid = vrid; self.priority = priority
        self.advertInterval = advertInterval; self.preempt = preempt; self.preemptDelay = preemptDelay
        self.acceptMode = acceptMode; self.virtualAddresses = virtualAddresses; self.unicastPeers = unicastPeers
        self.checksum = checksum; self.garpCount = garpCount; self.garpRefresh = garpRefresh; self.location = location
    }
}

/// What a tracked condition does while it holds: Fault, or a (negative) priority weight.
public enum VRRPTrackEffectConfig: Sendable, Equatable {
    case fault
    case weight(Int)
}

/// An instance's `track`: ports whose link going down matters, and the fast path's workers.
public struct VRRPTrackConfig: Sendable, Equatable {
    public struct Port: Sendable, Equatable {
        public var name: String
        public var effect: VRRPTrackEffectConfig
        public init(name: String, effect: VRRPTrackEffectConfig = .fault) { self.name = name; self.effect = effect }
    }
    public var ports: [Port] = []
    public var fastPath: VRRPTrackEffectConfig?
    public init(ports: [Port] = [], fastPath: VRRPTrackEffectConfig? = nil) { self.ports = ports; self.fastPath = fastPath }
}

/// One item of `vrrp.groups`: instances that change state together.
public struct VRRPGroupConfig: Sendable {
    public var name: String
    public var instances: [String]
    public var location: SourceLocation
    public init(name: String, instances: [String], location: SourceLocation) {
        self.name = name; self.instances = instances; self.location = location
    }
}

/// The `vrrp` section.
public struct VRRPConfig: Sendable {
    public var instances: [VRRPInstanceConfig]
    public var groups: [VRRPGroupConfig]
    /// Centiseconds: every instance's startup delay unless it sets its own.
    public var startupDelay = 0
    /// Centiseconds between tracking samples (port links, worker loop counters).
    public var trackInterval = VRRPDefaults.trackInterval
    /// Centiseconds a worker's loop counter may stand still before it counts as stuck.
    public var workerStuckAfter = VRRPDefaults.workerStuckAfter
    public init(instances: [VRRPInstanceConfig] = [], groups: [VRRPGroupConfig] = []) {
        self.instances = instances
        self.groups = groups
    }
    public var isEmpty: Bool { instances.isEmpty }
}

public enum VRRPDefaults {
    public static let priority = 100
    /// 1 s, in centiseconds (RFC 5798's default).
    public static let advertInterval = 100
    /// 10 ms ... 40.95 s: the 12-bit field in centiseconds.
    public static let advertIntervalRange = 1...4095
    public static let garpCount = 5
    /// 5 s, as keepalived's garp_master_refresh-like second round.
    public static let garpRefresh: Int? = 500
    public static let garpCountRange = 1...100
    /// Preempt delay and GARP refresh: at most one hour.
    public static let maxDelay = 360_000
    /// Tracking samples every 100 ms; a worker silent for 500 ms is stuck.
    public static let trackInterval = 10
    public static let workerStuckAfter = 50
}

import StraitCore
import StraitVRRP

/// One virtual router as the service runs it: what the config says, with the port resolved.
public struct VRRPInstanceSpec: Sendable {
    public var name: String
    /// The kernel mirror's name (the port's name).
    public var interface: String
    public var vrid: UInt8
    public var priority: UInt8
    public var advertInterval: Centiseconds
    public var preempt: Bool
    public var preemptDelay: Centiseconds
    public var addresses: [IPPrefix]
    public var unicastPeers: [IPAddress]
    public var checksum: VRRPAdvertisement.ChecksumMode
    public var announceCount: Int
    public var announceRefresh: Centiseconds?
    /// The advertisements' source: the port's IPv4 address, or (nil for IPv6) the mirror's
    /// link-local address, which the service looks up.
    public var primaryAddress: IPAddress?
    public var announceInterval: Centiseconds = Centiseconds(0)
    public var startupDelay: Centiseconds = Centiseconds(0)
    /// Ports and fast-path health that lower the priority or force Fault.
    public var track = VRRPTrackSettings()

    public var isIPv4: Bool { addresses.first?.address.isIPv4 ?? true }

    public init(name: String, interface: String, vrid: UInt8, priority: UInt8 = 100, advertInterval: Centiseconds = Centiseconds(100),
                preempt: Bool = true, preemptDelay: Centiseconds = Centiseconds(0), addresses: [IPPrefix],
                unicastPeers: [IPAddress] = [], checksum: VRRPAdvertisement.ChecksumMode = .rfc5798, announceCount: Int = 5,
                announceRefresh: Centiseconds? = Centiseconds(500), primaryAddress: IPAddress?) {
        self.name = name; self.interface = interface; self.vrid = vrid; self.priority = priority
        self.advertInterval = advertInterval; self.preempt = preempt; self.preemptDelay = preemptDelay
        self.addresses = addresses; self.unicastPeers = unicastPeers; self.checksum = checksum
        self.announceCount = announceCount; self.announceRefresh = announceRefresh; self.primaryAddress = primaryAddress
    }

    func settings(primary: IPAddress) -> VRRPRouterSettings {
        VRRPRouterSettings(vrid: vrid, priority: priority, advertInterval: advertInterval, preempt: preempt,
                           preemptDelay: preemptDelay, primaryAddress: primary, addresses: addresses.map(\.address),
                           announceCount: announceCount, announceRefresh: announceRefresh,
                           announceInterval: announceInterval, startupDelay: startupDelay)
    }
}

/// Instances that move together; an instance in no group runs on its own.
public struct VRRPGroupSpec: Sendable {
    public var name: String
    public var instances: [String]
    public init(name: String, instances: [String]) { self.name = name; self.instances = instances }
}

/// A state change, for logs and for HA (which subscribes to groups' changes).
public struct VRRPTransitionEvent: Sendable, Equatable {
    public enum Subject: Sendable, Equatable { case instance(String), group(String) }
    public var subject: Subject
    public var from: VRRPState
    public var to: VRRPState
    /// Nil for a group (its members say why).
    public var reason: VRRPReason?
}

/// Why a received packet was dropped before the state machines saw it.
public enum VRRPDropReason: String, Sendable, CaseIterable {
    case badTTL = "bad-ttl"
    case truncated, badVersion = "bad-version", badType = "bad-type", badVRID = "bad-vrid", badInterval = "bad-interval"
    case badCount = "bad-count", badChecksum = "bad-checksum", familyMismatch = "family-mismatch"
    /// A VRID no instance on that interface and family runs.
    case unknownVRID = "unknown-vrid"
    /// An IPv4 packet whose header does not parse.
    case badIPHeader = "bad-ip-header"
    /// With unicast peers configured: a source that is not one of them.
    case unknownPeer = "unknown-peer"

    init(_ code: VRRPAdvertisement.DecodeError.Code) {
        switch code {
        case .truncated: self = .truncated
        case .badVersion: self = .badVersion
        case .badType: self = .badType
        case .badVRID: self = .badVRID
        case .badInterval: self = .badInterval
        case .badCount: self = .badCount
        case .badChecksum: self = .badChecksum
        case .familyMismatch: self = .familyMismatch
        }
    }
}

/// A point-in-time view of the service (`straitctl show vrrp`).
public struct VRRPStatus: Sendable, Equatable {
    public struct Instance: Sendable, Equatable {
        public var name: String
        public var interface: String
        public var vrid: UInt8
        public var group: String?
        public var state: VRRPState
        public var priority: UInt8
        public var configuredPriority: UInt8
        public var advertInterval: Centiseconds
        public var masterAdvertInterval: Centiseconds
        /// The Master we hear; ourselves ("local") when we are Master.
        public var masterAddress: IPAddress?
        public var primaryAddress: IPAddress
        public var addresses: [IPPrefix]
        public var counters: VRRPRouter.Counters
        public var drops: [VRRPDropReason: UInt64]
        public var sendErrors: UInt64
        public var transitions: UInt64
        /// The tracked conditions that hold now ("port wan01 down"); empty when all is well.
        public var tracking: [String] = []
    }
    public struct Group: Sendable, Equatable {
        public var name: String
        public var state: VRRPState
        public var instances: [String]
        public var transitions: UInt64
    }
    public var instances: [Instance] = []
    public var groups: [Group] = []
    /// Drops that no instance could be blamed for (per interface and family).
    public var drops: [VRRPDropReason: UInt64] = [:]
}

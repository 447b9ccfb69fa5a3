// The result of `show vrrp`.

/// `show vrrp`: every virtual router and group, with counters.
public struct VRRPReport: Codable, Sendable, Equatable {
    public struct Instance: Codable, Sendable, Equatable {
        public var name: String
        public var interface: String
        public var vrid: Int
        public var group: String?
        /// initialize, backup, master or fault.
        public var state: String
        /// Advertised now, and configured.
        public var priority: Int
        public var configuredPriority: Int
        /// Milliseconds: ours, and the Master's (a Backup's timers follow the Master's).
        public var advertIntervalMs: Int
        public var masterAdvertIntervalMs: Int
        /// The Master's address (ours when we are Master); nil when none was heard.
        public var masterAddress: String?
        public var primaryAddress: String
        public var virtualAddresses: [String]
        public var counters: [String: UInt64]
        /// Received packets dropped before the state machine, by reason (bad-ttl, bad-checksum, ...).
        public var drops: [String: UInt64]
        /// The tracked conditions that hold now ("port wan01 down"); nil when none.
        public var tracking: [String]?

        public init(name: String, interface: String, vrid: Int, group: String?, state: String, priority: Int,
                    configuredPriority: Int, advertIntervalMs: Int, masterAdvertIntervalMs: Int, masterAddress: String?,
                    primaryAddress: String, virtualAddresses: [String], counters: [String: UInt64], drops: [String: UInt64]) {
            self.name = name; self.interface = interface; self.vrid = vrid; self.group = group; self.state = state
            self.priority = priority; self.configuredPriority = configuredPriority; self.advertIntervalMs = advertIntervalMs
            self.masterAdvertIntervalMs = masterAdvertIntervalMs; self.masterAddress = masterAddress
            self.primaryAddress = primaryAddress; self.virtualAddresses = virtualAddresses; self.counters = counters
            self.drops = drops
        }
    }

    public struct Group: Codable, Sendable, Equatable {
        public var name: String
        public var state: String
        public var instances: [String]
        public var transitions: UInt64
        public init(name: String, state: String, instances: [String], transitions: UInt64) {
            self.name = name; self.state = state; self.instances = instances; self.transitions = transitions
        }
    }

    public var instances: [Instance]
    public var groups: [Group]
    /// Drops no instance could be blamed for (unknown VRID, bad IP header, bad TTL of an unknown VRID).
    public var drops: [String: UInt64]

    public init(instances: [Instance] = [], groups: [Group] = [], drops: [String: UInt64] = [:]) {
        self.instances = instances
        self.groups = groups
        self.drops = drops
    }
}

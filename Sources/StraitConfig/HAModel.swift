import StraitCore

/// The `ha` section: state sync between the two nodes of an active/standby pair. The node
/// whose `listen-vrrp-group` is Master is the active one; the other keeps a copy of its IKE
/// and CHILD SAs (the CHILD SAs installed inactive) and takes them over when the group moves.
public struct HAConfig: Sendable {
    /// This node's id on the sync link (1...65535); the two nodes need different ids.
    public var nodeID: Int
    /// The `vrrp.groups` entry whose state is this node's HA role.
    public var listenVRRPGroup: String
    public var sync: HASyncLinkConfig
    /// The link's shared 32-byte key (HKDF input of both directions' AES-256-GCM keys). Prints
    /// as `<redacted>`.
    public var key: SAKey
    public var seqnumSync: HASeqnumSyncConfig
    public var location: SourceLocation

    public init(nodeID: Int, listenVRRPGroup: String, sync: HASyncLinkConfig, key: SAKey,
                seqnumSync: HASeqnumSyncConfig = HASeqnumSyncConfig(), location: SourceLocation) {
        self.nodeID = nodeID
        self.listenVRRPGroup = listenVRRPGroup
        self.sync = sync
        self.key = key
        self.seqnumSync = seqnumSync
        self.location = location
    }

    /// The node with the lower sync address listens for the sync connection, the other
    /// connects (and reconnects): both derive it from their own file, no id exchange needed.
    public var listens: Bool { sync.localAddress.bytes.lexicographicallyPrecedes(sync.remoteAddress.bytes) }
}

/// `ha.sync`: the TCP connection between the nodes, over a port's kernel mirror.
public struct HASyncLinkConfig: Sendable {
    /// The port whose kernel mirror carries the link; `local-address` is one of its addresses.
    public var interface: String
    public var localAddress: IPAddress
    public var remoteAddress: IPAddress
    public var port: Int
    public init(interface: String, localAddress: IPAddress, remoteAddress: IPAddress, port: Int = HADefaults.port) {
        self.interface = interface
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.port = port
    }
}

/// `ha.seqnum-sync` (6WIND's names).
public struct HASeqnumSyncConfig: Sendable, Equatable {
    /// On takeover, outbound ESP sequence numbers jump this far past the last synced value.
    public var oseqShift: UInt64
    public var syncPeriodTime: Duration
    public var syncPeriodPackets: UInt64
    public init(oseqShift: UInt64 = HADefaults.oseqShift, syncPeriodTime: Duration = HADefaults.syncPeriodTime,
                syncPeriodPackets: UInt64 = HADefaults.syncPeriodPackets) {
        self.oseqShift = oseqShift
        self.syncPeriodTime = syncPeriodTime
        self.syncPeriodPackets = syncPeriodPackets
    }
}

public enum HADefaults {
    public static let port = 7490
    public static let oseqShift: UInt64 = 65536
    public static let syncPeriodTime: Duration = .seconds(1)
    public static let syncPeriodPackets: UInt64 = 10000
    public static let keyBytes = 32
    public static let nodeIDRange = 1...65535
}

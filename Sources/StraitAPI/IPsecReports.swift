// The results of `show ipsec sa` and `show ipsec spd`. Field names are the JSON keys.
// Keys never appear here: the fast path does not give them back, and the daemon has none left.

/// `show ipsec sa`: one installed ESP SA with its counters.
public struct SAReport: Codable, Sendable, Equatable {
    /// The SA's name in the config (`ipsec.sas[].name`), or `sa<handle>` when it has none.
    public var name: String
    /// `out` or `in`.
    public var direction: String
    /// 8 hex digits: `0x00001001`.
    public var spi: String
    /// The outer (tunnel) addresses.
    public var local: String
    public var remote: String
    /// `none` (ESP) or `udp` (ESP in UDP, RFC 3948).
    public var encap: String
    /// With `udp`: the local and remote UDP ports.
    public var udpPorts: [Int]?
    /// `aes128-gcm16`, ...
    public var algorithm: String
    public var esn: Bool
    /// Inbound: the anti-replay window in packets (0: no check). 0 for outbound SAs.
    public var replayWindow: Int
    /// The traffic selectors, e.g. `10.1.0.0/24`.
    public var localTS: String
    public var remoteTS: String
    /// Installed and in use (false: installed inactive, for HA).
    public var active: Bool
    /// A hard lifetime was reached, or the sequence numbers ran out: the SA carries nothing.
    public var expired: Bool
    /// Packets and bytes encrypted (out) or decrypted and accepted (in).
    public var packets: UInt64
    public var bytes: UInt64
    /// Inbound: packets dropped as replays or as too old for the window.
    public var replayDrops: UInt64
    /// Inbound: packets whose ICV did not verify.
    public var authFailures: UInt64
    /// Inbound: decrypted packets outside the SA's traffic selectors.
    public var policyMismatches: UInt64
    /// Outbound: the last sequence number used.
    public var seq: UInt64?
    /// Inbound: the highest authenticated sequence number.
    public var replayTop: UInt64?

    public init(name: String, direction: String, spi: String, local: String, remote: String, encap: String,
                udpPorts: [Int]? = nil, algorithm: String, esn: Bool, replayWindow: Int, localTS: String,
                remoteTS: String, active: Bool, expired: Bool, packets: UInt64 = 0, bytes: UInt64 = 0,
                replayDrops: UInt64 = 0, authFailures: UInt64 = 0, policyMismatches: UInt64 = 0,
                seq: UInt64? = nil, replayTop: UInt64? = nil) {
        self.name = name; self.direction = direction; self.spi = spi; self.local = local; self.remote = remote
        self.encap = encap; self.udpPorts = udpPorts; self.algorithm = algorithm; self.esn = esn
        self.replayWindow = replayWindow; self.localTS = localTS; self.remoteTS = remoteTS
        self.active = active; self.expired = expired; self.packets = packets; self.bytes = bytes
        self.replayDrops = replayDrops; self.authFailures = authFailures; self.policyMismatches = policyMismatches
        self.seq = seq; self.replayTop = replayTop
    }
}

/// `show ipsec spd`: one outbound policy (the list is in config order; the fast path tries the
/// longest remote prefix first, then the lowest priority value).
public struct PolicyReport: Codable, Sendable, Equatable {
    /// The policy's place in the config (`ipsec.policies[index]`).
    public var index: Int
    public var localTS: String
    public var remoteTS: String
    /// `any`, `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number.
    public var `protocol`: String
    /// `local:remote`, `*` for any: `*:443`; `*:*` for none.
    public var ports: String
    /// Lower wins.
    public var priority: Int
    /// `protect`, `bypass` or `discard`.
    public var action: String
    /// With `protect`: the outbound SA's name.
    public var sa: String?
    /// Packets that matched it.
    public var matches: UInt64

    public init(index: Int, localTS: String, remoteTS: String, protocol: String, ports: String, priority: Int,
                action: String, sa: String? = nil, matches: UInt64 = 0) {
        self.index = index; self.localTS = localTS; self.remoteTS = remoteTS; self.protocol = `protocol`
        self.ports = ports; self.priority = priority; self.action = action; self.sa = sa; self.matches = matches
    }

    /// `*:443` for a policy's port selectors (0 = any).
    public static func ports(local: Int, remote: Int) -> String {
        "\(local == 0 ? "*" : String(local)):\(remote == 0 ? "*" : String(remote))"
    }
}

/// The SA directions, as the reports write them.
public enum SADirection {
    public static let outbound = "out"
    public static let inbound = "in"
}

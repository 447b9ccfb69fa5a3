import StraitCore

/// The `ipsec` section: static (manually keyed) ESP security associations, the outbound
/// security policy database, and route-based tunnels. Empty when the section is absent.
public struct IPsecConfig: Sendable {
    /// A UDP port besides 4500 on which ESP-in-UDP is accepted, if any.
    public var udpPort: Int?
    public var sas: [SAConfig]
    public var policies: [PolicyConfig]
    public var tunnelRoutes: [TunnelRouteConfig]

    public init(udpPort: Int? = nil, sas: [SAConfig] = [], policies: [PolicyConfig] = [],
                tunnelRoutes: [TunnelRouteConfig] = []) {
        self.udpPort = udpPort
        self.sas = sas
        self.policies = policies
        self.tunnelRoutes = tunnelRoutes
    }

    public var isEmpty: Bool { udpPort == nil && sas.isEmpty && policies.isEmpty && tunnelRoutes.isEmpty }

    /// The SA called `name`, if any.
    public func sa(named name: String) -> SAConfig? { sas.first { $0.name == name } }

    /// The same config with every key dropped (`SAKey.removed`): for what is kept after the
    /// SAs are installed, since the keys then live only in the fast path's expanded form.
    public var withoutKeys: IPsecConfig {
        var copy = self
        for i in copy.sas.indices { copy.sas[i].key = .removed }
        return copy
    }
}

/// ESP keying material (RFC 4106: the AES key followed by the 4-byte salt). It prints as
/// `<redacted>` however it is printed (`description`, `debugDescription`, `dump`), so a key
/// cannot reach a log or an error message by accident.
public struct SAKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// No key (after the fast path took it).
    public static let removed = SAKey(bytes: [])

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// The ESP transforms Strait offers: AES-GCM (RFC 4106) with a 128- or 256-bit key and a
/// 16-, 12- or 8-byte ICV. The raw value is the config's spelling (strongSwan's).
public enum SAAlgorithm: String, Sendable, CaseIterable {
    case aes128gcm16 = "aes128-gcm16"
    case aes128gcm12 = "aes128-gcm12"
    case aes128gcm8 = "aes128-gcm8"
    case aes256gcm16 = "aes256-gcm16"
    case aes256gcm12 = "aes256-gcm12"
    case aes256gcm8 = "aes256-gcm8"

    /// AES key bytes: 16 or 32.
    public var keyBytes: Int {
        switch self {
        case .aes128gcm16, .aes128gcm12, .aes128gcm8: return 16
        case .aes256gcm16, .aes256gcm12, .aes256gcm8: return 32
        }
    }

    /// Integrity check value bytes: 16, 12 or 8.
    public var icvBytes: Int {
        switch self {
        case .aes128gcm16, .aes256gcm16: return 16
        case .aes128gcm12, .aes256gcm12: return 12
        case .aes128gcm8, .aes256gcm8: return 8
        }
    }

    /// The RFC 4106 salt that follows the key in the keying material.
    public static let saltBytes = 4

    /// What `key:` must hold: the key and the salt (20 or 36 bytes).
    public var keyingMaterialBytes: Int { keyBytes + Self.saltBytes }

    /// The algorithm of a key length and ICV length, as the fast path reports them.
    public init?(keyBytes: Int, icvBytes: Int) {
        guard let match = Self.allCases.first(where: { $0.keyBytes == keyBytes && $0.icvBytes == icvBytes }) else {
            return nil
        }
        self = match
    }
}

/// The optional byte and packet lifetimes of an SA; 0 means none. Soft raises an event (rekey),
/// hard stops the SA.
public struct SALifetime: Sendable, Equatable {
    public var softBytes: UInt64
    public var hardBytes: UInt64
    public var softPackets: UInt64
    public var hardPackets: UInt64

    public init(softBytes: UInt64 = 0, hardBytes: UInt64 = 0, softPackets: UInt64 = 0, hardPackets: UInt64 = 0) {
        self.softBytes = softBytes
        self.hardBytes = hardBytes
        self.softPackets = softPackets
        self.hardPackets = hardPackets
    }
}

/// One item of `ipsec.sas`: a tunnel-mode ESP SA with static keys.
public struct SAConfig: Sendable {
    public enum Direction: String, Sendable, CaseIterable {
        case outbound = "out"
        case inbound = "in"
    }

    public enum Encapsulation: String, Sendable, CaseIterable {
        /// Plain ESP (IP protocol 50); written `none`.
        case plain = "none"
        /// ESP in UDP (RFC 3948, NAT traversal).
        case udp
    }

    public var name: String
    public var direction: Direction
    /// 256...0xffffffff.
    public var spi: UInt32
    public var algorithm: SAAlgorithm
    /// The key and the salt: `algorithm.keyingMaterialBytes` bytes.
    public var key: SAKey
    /// 64-bit extended sequence numbers (RFC 4303).
    public var esn: Bool
    /// Inbound anti-replay window in packets (0 disables the check); 0 for outbound SAs.
    public var replayWindow: Int
    /// The outer (tunnel) addresses; `local` is an address of a port.
    public var local: IPv4Address
    public var remote: IPv4Address
    public var encapsulation: Encapsulation
    /// With UDP encapsulation: the local and remote UDP ports (4500 by default).
    public var udpLocalPort: Int
    public var udpRemotePort: Int
    /// The traffic selectors: the inner networks this SA carries (one family).
    public var localTS: IPPrefix
    public var remoteTS: IPPrefix
    /// Further selectors (IKE negotiates lists; never from the config file): inbound packets
    /// pass when the source is in any remote and the destination in any local selector.
    public var moreLocalTS: [IPPrefix] = []
    public var moreRemoteTS: [IPPrefix] = []
    public var lifetime: SALifetime
    public var location: SourceLocation

    public init(name: String, direction: Direction, spi: UInt32, algorithm: SAAlgorithm, key: SAKey,
                esn: Bool = false, replayWindow: Int? = nil, local: IPv4Address, remote: IPv4Address,
                encapsulation: Encapsulation = .plain, udpLocalPort: Int = IPsecDefaults.udpPort,
                udpRemotePort: Int = IPsecDefaults.udpPort, localTS: IPPrefix, remoteTS: IPPrefix,
                lifetime: SALifetime = SALifetime(), location: SourceLocation) {
        self.name = name
        self.direction = direction
        self.spi = spi
        self.algorithm = algorithm
        self.key = key
        self.esn = esn
        self.replayWindow = replayWindow ?? (direction == .inbound ? IPsecDefaults.replayWindow : 0)
        self.local = local
        self.remote = remote
        self.encapsulation = encapsulation
        self.udpLocalPort = udpLocalPort
        self.udpRemotePort = udpRemotePort
        self.localTS = localTS
        self.remoteTS = remoteTS
        self.lifetime = lifetime
        self.location = location
    }

    /// `0x00001001`.
    public var spiText: String { IPsecDefaults.spiText(spi) }
}

/// A policy's protocol selector: any, or one IP protocol number.
public struct IPProtocolSelector: Sendable, Hashable, CustomStringConvertible {
    /// 0 means any protocol.
    public var number: UInt8

    public init(number: UInt8) { self.number = number }

    public static let any = IPProtocolSelector(number: 0)
    public static let icmp = IPProtocolSelector(number: 1)
    public static let tcp = IPProtocolSelector(number: 6)
    public static let udp = IPProtocolSelector(number: 17)
    public static let icmpv6 = IPProtocolSelector(number: 58)

    /// The names the config accepts, with their numbers.
    public static let names: [(name: String, selector: IPProtocolSelector)] =
        [("any", .any), ("tcp", .tcp), ("udp", .udp), ("icmp", .icmp), ("icmpv6", .icmpv6)]

    /// True for TCP and UDP, the protocols with ports.
    public var hasPorts: Bool { self == .tcp || self == .udp }

    /// `any`, `tcp`, `udp`, `icmp`, `icmpv6`, or the number.
    public var description: String { Self.names.first { $0.selector == self }?.name ?? String(number) }
}

/// One item of `ipsec.policies`: an outbound SPD entry.
public struct PolicyConfig: Sendable {
    public enum Action: String, Sendable, CaseIterable {
        /// Encrypt with the policy's SA.
        case protect
        /// Forward in clear.
        case bypass
        /// Drop and count.
        case discard
    }

    public var localTS: IPPrefix
    public var remoteTS: IPPrefix
    public var proto: IPProtocolSelector
    /// 0: any (TCP and UDP only).
    public var localPort: Int
    public var remotePort: Int
    /// Lower wins among policies that match the same packet.
    public var priority: Int
    public var action: Action
    /// With `protect`: the name of an outbound SA.
    public var sa: String?
    public var location: SourceLocation

    public init(localTS: IPPrefix, remoteTS: IPPrefix, proto: IPProtocolSelector = .any, localPort: Int = 0,
                remotePort: Int = 0, priority: Int = IPsecDefaults.policyPriority, action: Action, sa: String? = nil,
                location: SourceLocation) {
        self.localTS = localTS
        self.remoteTS = remoteTS
        self.proto = proto
        self.localPort = localPort
        self.remotePort = remotePort
        self.priority = priority
        self.action = action
        self.sa = sa
        self.location = location
    }
}

/// One item of `ipsec.tunnel-routes`: traffic to `prefix` goes into outbound SA `sa`.
public struct TunnelRouteConfig: Sendable {
    public var prefix: IPPrefix
    public var sa: String
    public var location: SourceLocation

    public init(prefix: IPPrefix, sa: String, location: SourceLocation) {
        self.prefix = prefix
        self.sa = sa
        self.location = location
    }
}

/// Defaults and limits of the `ipsec` section.
public enum IPsecDefaults {
    /// ESP-in-UDP's port (RFC 3948), always accepted.
    public static let udpPort = 4500
    /// Inbound anti-replay window when `replay-window` is left out.
    public static let replayWindow = 1024
    /// The largest anti-replay window (the fast path's FP_SA_MAX_WINDOW).
    public static let maxReplayWindow = 8192
    /// Anti-replay windows are whole 64-bit words.
    public static let replayWindowGranule = 64
    /// SPIs 0-255 are reserved (RFC 4303).
    public static let spiRange: ClosedRange<UInt32> = 256...UInt32.max
    public static let policyPriority = 100

    /// An SPI as 8 hex digits: `0x00001001`.
    public static func spiText(_ spi: UInt32) -> String {
        let hex = String(spi, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }
}

import Foundation

/// The `ike` section: IKEv2 (RFC 7296) for the control plane. Templates for the two phases
/// (`ike-policy-templates` for IKE SAs, `ipsec-policy-templates` for CHILD SAs), VPN definitions
/// that use them, and per-identity pre-shared keys. Empty when the section is absent.
public struct IKEConfig: Sendable, Equatable {
    public var listen: IKEListen
    public var limits: IKELimits
    public var retransmit: IKERetransmit
    public var ikePolicyTemplates: [IKEPolicyTemplate]
    public var ipsecPolicyTemplates: [IPsecPolicyTemplate]
    public var vpns: [VPNDefinition]
    public var psks: [PSKEntry]

    public init(listen: IKEListen = IKEListen(), limits: IKELimits = IKELimits(), retransmit: IKERetransmit = IKERetransmit(),
                ikePolicyTemplates: [IKEPolicyTemplate] = [], ipsecPolicyTemplates: [IPsecPolicyTemplate] = [],
                vpns: [VPNDefinition] = [], psks: [PSKEntry] = []) {
        self.listen = listen
        self.limits = limits
        self.retransmit = retransmit
        self.ikePolicyTemplates = ikePolicyTemplates
        self.ipsecPolicyTemplates = ipsecPolicyTemplates
        self.vpns = vpns
        self.psks = psks
    }

    /// Nothing configured (no section, or one with only defaults).
    public var isEmpty: Bool { self == IKEConfig() }

    public func ikePolicyTemplate(named name: String) -> IKEPolicyTemplate? { ikePolicyTemplates.first { $0.name == name } }

    public func ipsecPolicyTemplate(named name: String) -> IPsecPolicyTemplate? { ipsecPolicyTemplates.first { $0.name == name } }

    public func vpn(named name: String) -> VPNDefinition? { vpns.first { $0.name == name } }

    /// The pre-shared key for a peer of `vpn` that said it is `remoteID`: the `psks` entry
    /// holding that identity, else the VPN's own `psk`.
    public func psk(for vpn: VPNDefinition, remoteID: IKEIdentity) -> PSK? {
        psks.first { $0.ids.contains { $0.matches(remoteID) } }?.secret ?? vpn.psk
    }
}

/// `ike.listen`: where IKE messages are received.
public struct IKEListen: Sendable, Equatable {
    /// UDP ports. 500 is plain IKE; any other port is a NAT-T port (RFC 3948: IKE behind the
    /// four-zero-byte non-ESP marker, sharing the port with ESP in UDP).
    public var ports: [Int]

    public init(ports: [Int] = IKEDefaults.listenPorts) { self.ports = ports }

    /// The NAT-T ports: every port but 500.
    public var natTraversalPorts: [Int] { ports.filter { $0 != IKEDefaults.ikePort } }
}

/// `ike.limits`: protection against floods of IKE_SA_INIT (RFC 7296 2.6).
public struct IKELimits: Sendable, Equatable {
    /// Half-open IKE SAs (IKE_SA_INIT answered, IKE_AUTH not done) above which new IKE_SA_INIT are refused.
    public var halfOpen: Int
    /// Half-open IKE SAs from which every IKE_SA_INIT must return a COOKIE; 0: always. Below `halfOpen`.
    public var cookieThreshold: Int
    /// Inbound IKE packets waiting to be processed; more are dropped.
    public var queue: Int

    public init(halfOpen: Int = IKEDefaults.halfOpen, cookieThreshold: Int = IKEDefaults.cookieThreshold,
                queue: Int = IKEDefaults.queue) {
        self.halfOpen = halfOpen
        self.cookieThreshold = cookieThreshold
        self.queue = queue
    }
}

/// `ike.retransmit`: an unanswered request is sent again after `timeout`, then after
/// `timeout * base`, `timeout * base^2`, ... `tries` times; after the last one the exchange
/// waits `timeout * base^tries` once more and fails (strongSwan's schedule).
public struct IKERetransmit: Sendable, Equatable {
    public var timeout: Duration
    public var tries: Int
    public var base: Double

    public init(timeout: Duration = IKEDefaults.retransmitTimeout, tries: Int = IKEDefaults.retransmitTries,
                base: Double = IKEDefaults.retransmitBase) {
        self.timeout = timeout
        self.tries = tries
        self.base = base
    }

    /// How long to wait after sending attempt `n` (0 is the first send, `tries` the last retransmission).
    public func wait(afterAttempt n: Int) -> Duration { timeout * Foundation.pow(base, Double(max(0, n))) }

    /// From the first send until the exchange is given up.
    public var giveUpAfter: Duration { (0...max(0, tries)).reduce(Duration.zero) { $0 + wait(afterAttempt: $1) } }
}

/// One item of `ike.psks`: a secret for the peers that identify as one of `ids`.
public struct PSKEntry: Sendable, Equatable {
    /// Exact identities (no patterns).
    public var ids: [IKEIdentity]
    public var secret: PSK
    public var location: SourceLocation

    public init(ids: [IKEIdentity], secret: PSK, location: SourceLocation) {
        self.ids = ids
        self.secret = secret
        self.location = location
    }
}

/// A pre-shared key. It prints as `<redacted>` however it is printed (`description`,
/// `debugDescription`, `dump`), and compares in constant time.
public struct PSK: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    public static func == (l: PSK, r: PSK) -> Bool {
        guard l.bytes.count == r.bytes.count else { return false }
        return zip(l.bytes, r.bytes).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Defaults and limits of the `ike` section.
public enum IKEDefaults {
    public static let ikePort = 500
    public static let natTraversalPort = 4500
    public static let listenPorts = [ikePort, natTraversalPort]
    public static let halfOpen = 5000
    public static let cookieThreshold = 500
    public static let queue = 4096
    public static let halfOpenRange = 1...1_000_000
    public static let cookieThresholdRange = 0...1_000_000
    public static let queueRange = 16...1_048_576
    public static let retransmitTimeout = Duration.seconds(2)
    public static let retransmitTries = 5
    public static let retransmitBase = 1.8
    public static let retransmitTimeoutRange = Duration.milliseconds(100)...Duration.seconds(300)
    public static let retransmitTriesRange = 0...20
    public static let retransmitBaseRange = 1.0...4.0

    /// IKE SA lifetimes (strongSwan's defaults).
    public static let ikeRekeyTime = Duration.seconds(4 * 3600)
    public static let dpdInterval = Duration.seconds(30)
    public static let dpdTimeout = Duration.seconds(150)
    /// CHILD SA lifetimes.
    public static let childRekeyTime = Duration.seconds(3600)
    /// The CHILD SA replay window (a multiple of 64, like `ipsec.sas`).
    public static let replayWindow = 1024
    public static let maxReplayWindow = 4096
    /// The longest duration any key takes (10 years).
    public static let maxDuration = Duration.seconds(3650 * 86400)
    /// A pre-shared key's minimum length without `allow-weak-psk`.
    public static let minimumPSKBytes = 16
}

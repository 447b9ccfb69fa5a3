/// The two kinds of reusable templates: how IKE SAs are negotiated and kept
/// (`ike-policy-templates`), and how CHILD SAs (the ESP SAs) are (`ipsec-policy-templates`).
/// Durations of zero mean off.

/// One item of `ike.ike-policy-templates`.
public struct IKEPolicyTemplate: Sendable, Equatable {
    public var name: String
    /// In order of preference; never empty.
    public var proposals: [IKEProposal]
    public var uniqueSA: IKEUniqueSAPolicy
    /// Rekey the IKE SA (CREATE_CHILD_SA) this long after it is made, less up to `randTime`; zero: never.
    public var rekeyTime: Duration
    /// Re-authenticate (a new IKE SA from scratch) this long after it is made; zero: never.
    public var reauthTime: Duration
    /// How long an IKE SA may outlive its rekey or reauth time before it is deleted (`lifeTime`).
    public var overTime: Duration
    /// A random part of this is taken off `rekeyTime` and `reauthTime`, so that many SAs made at
    /// once do not rekey at once. A written `rand-time` is below both (checked); the default
    /// (`overTime`) may not be, and then applies only to the times it is below (as strongSwan).
    public var randTime: Duration
    /// MOBIKE (RFC 4555): a peer may move to another address without a new SA.
    public var mobike: Bool
    /// IKE fragmentation (RFC 7383) for IKE_AUTH messages too large for the path (certificates).
    public var fragmentation: Bool
    public var dpd: IKEDPD
    /// Whether proposals may name modp1024.
    public var allowMODP1024: Bool
    public var location: SourceLocation

    public init(name: String, proposals: [IKEProposal], uniqueSA: IKEUniqueSAPolicy = .replace,
                rekeyTime: Duration = IKEDefaults.ikeRekeyTime, reauthTime: Duration = .zero, overTime: Duration? = nil,
                randTime: Duration? = nil, mobike: Bool = true, fragmentation: Bool = true, dpd: IKEDPD = IKEDPD(),
                allowMODP1024: Bool = false, location: SourceLocation) {
        self.name = name
        self.proposals = proposals
        self.uniqueSA = uniqueSA
        self.rekeyTime = rekeyTime
        self.reauthTime = reauthTime
        let overTime = overTime ?? max(rekeyTime, reauthTime) / 10
        self.overTime = overTime
        self.randTime = randTime ?? overTime
        self.mobike = mobike
        self.fragmentation = fragmentation
        self.dpd = dpd
        self.allowMODP1024 = allowMODP1024
        self.location = location
    }

    /// The hard lifetime: the later of `rekeyTime` and `reauthTime` plus `overTime`; nil when both are off.
    public var lifeTime: Duration? {
        let later = max(rekeyTime, reauthTime)
        return later == .zero ? nil : later + overTime
    }
}

/// `unique-sa`: what happens when a peer makes a second IKE SA with the same identities.
public enum IKEUniqueSAPolicy: String, Sendable, CaseIterable {
    /// The new SA replaces the old one, which is deleted (a site that restarted comes back).
    case replace
    /// The old SA stays and the new one is refused.
    case keep
    /// No check: several SAs for the same identities may coexist (INITIAL_CONTACT is ignored too).
    case never
}

/// `dpd`: dead peer detection (RFC 7296 2.4, liveness checks).
public struct IKEDPD: Sendable, Equatable {
    /// Send an empty INFORMATIONAL after this long without hearing from the peer; zero: off.
    public var interval: Duration
    /// Declare the peer dead when the check is unanswered this long (the retransmissions stop then).
    public var timeout: Duration

    public init(interval: Duration = IKEDefaults.dpdInterval, timeout: Duration = IKEDefaults.dpdTimeout) {
        self.interval = interval
        self.timeout = timeout
    }

    public var isEnabled: Bool { interval > .zero }
}

/// One item of `ike.ipsec-policy-templates`: the CHILD SAs' proposals, lifetimes and actions.
public struct IPsecPolicyTemplate: Sendable, Equatable {
    public var name: String
    /// In order of preference; never empty.
    public var proposals: [ESPProposal]
    /// Inbound anti-replay window in packets: 0 (off) or a multiple of 64 up to 4096.
    public var replayWindow: Int
    /// Rekey this long after the SA is made, less up to `randTime`; zero: never by time.
    public var rekeyTime: Duration
    /// The hard lifetime (the SA is deleted); `rekeyTime` + 10% unless given; zero: none.
    public var lifeTime: Duration
    public var randTime: Duration
    /// Soft (rekey) and hard (delete) limits on bytes and packets; 0: none. The hard ones are
    /// the soft ones + 10% unless given.
    public var rekeyBytes: UInt64
    public var lifeBytes: UInt64
    public var rekeyPackets: UInt64
    public var lifePackets: UInt64
    public var startAction: ChildSAAction
    public var closeAction: ChildSAAction
    public var dpdAction: DPDAction
    public var encapsulation: IPsecEncapsulationMode
    /// Whether proposals may name modp1024 for PFS.
    public var allowMODP1024: Bool
    public var location: SourceLocation

    public init(name: String, proposals: [ESPProposal], replayWindow: Int = IKEDefaults.replayWindow,
                rekeyTime: Duration = IKEDefaults.childRekeyTime, lifeTime: Duration? = nil, randTime: Duration? = nil,
                rekeyBytes: UInt64 = 0, lifeBytes: UInt64? = nil, rekeyPackets: UInt64 = 0, lifePackets: UInt64? = nil,
                startAction: ChildSAAction = .none, closeAction: ChildSAAction = .none, dpdAction: DPDAction = .clear,
                encapsulation: IPsecEncapsulationMode = .auto, allowMODP1024: Bool = false, location: SourceLocation) {
        self.name = name
        self.proposals = proposals
        self.replayWindow = replayWindow
        self.rekeyTime = rekeyTime
        let lifeTime = lifeTime ?? rekeyTime * 11 / 10
        self.lifeTime = lifeTime
        self.randTime = randTime ?? (lifeTime > rekeyTime ? lifeTime - rekeyTime : .zero)
        self.rekeyBytes = rekeyBytes
        self.lifeBytes = lifeBytes ?? Self.tenPercentMore(rekeyBytes)
        self.rekeyPackets = rekeyPackets
        self.lifePackets = lifePackets ?? Self.tenPercentMore(rekeyPackets)
        self.startAction = startAction
        self.closeAction = closeAction
        self.dpdAction = dpdAction
        self.encapsulation = encapsulation
        self.allowMODP1024 = allowMODP1024
        self.location = location
    }

    /// `value` + 10%, saturating.
    static func tenPercentMore(_ value: UInt64) -> UInt64 {
        let (sum, overflow) = value.addingReportingOverflow(value / 10)
        return overflow ? UInt64.max : sum
    }

    /// True when an action of this template makes the gateway initiate to the peer (which
    /// needs a single remote address).
    public var initiates: Bool {
        startAction != .none || closeAction != .none || dpdAction != .clear
    }
}

/// `start-action` and `close-action`.
public enum ChildSAAction: String, Sendable, CaseIterable {
    /// Nothing: wait for the peer.
    case none
    /// Initiate the CHILD SA (at start, or again when the peer closed it).
    case start
    /// Install a trap policy: the first matching packet initiates the CHILD SA.
    case trap
}

/// `dpd-action`: what to do with the CHILD SAs of a peer found dead.
public enum DPDAction: String, Sendable, CaseIterable {
    /// Delete them.
    case clear
    /// Delete them and initiate again.
    case restart
    /// Delete them and install trap policies.
    case trap
}

/// `encap`: UDP encapsulation of ESP (RFC 3948).
public enum IPsecEncapsulationMode: String, Sendable, CaseIterable {
    /// Plain ESP unless NAT detection (RFC 7296 2.23) finds a NAT, then ESP in UDP.
    case auto
    /// Always ESP in UDP (fakes NAT detection, RFC 7296 2.23), for paths that drop protocol 50.
    case udp
}

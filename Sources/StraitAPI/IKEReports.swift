// The results of `show ike sa`, `show ike stats`, `ike initiate` and `ike terminate`.
// Field names are the JSON keys. No key material: the engine reports none.

/// `show ike sa`: one IKE SA with its CHILD SAs.
public struct IKESAStatus: Codable, Sendable, Equatable {
    /// The engine's number for the SA (`straitctl show ike sa <id>`, `ike terminate <id>`).
    public var id: UInt64
    /// The VPN definition (`ike.vpns[].name`).
    public var vpn: String
    /// `established`, `connecting`, `rekeying`, `deleting`... as the engine names it.
    public var state: String
    /// `initiator` or `responder` (of the exchange that made the SA).
    public var role: String
    /// `192.0.2.1:500`, `[2001:db8::1]:4500`.
    public var local: String
    public var remote: String
    public var localID: String
    public var remoteID: String
    /// 16 hex digits: `0x0123456789abcdef`.
    public var initiatorSPI: String
    public var responderSPI: String
    /// `aes128gcm16-prfsha256-x25519`.
    public var proposal: String
    /// Whether NAT detection found a NAT in front of us (`natLocal`) or of the peer (`natRemote`).
    public var natLocal: Bool
    public var natRemote: Bool
    /// Seconds since the SA was established (0 while it is negotiated).
    public var ageSeconds: Double
    public var nextMessageID: UInt32
    public var children: [ChildSAStatus]

    public init(id: UInt64, vpn: String, state: String, role: String, local: String, remote: String, localID: String,
                remoteID: String, initiatorSPI: String, responderSPI: String, proposal: String, natLocal: Bool,
                natRemote: Bool, ageSeconds: Double, nextMessageID: UInt32, children: [ChildSAStatus]) {
        self.id = id; self.vpn = vpn; self.state = state; self.role = role; self.local = local; self.remote = remote
        self.localID = localID; self.remoteID = remoteID; self.initiatorSPI = initiatorSPI; self.responderSPI = responderSPI
        self.proposal = proposal; self.natLocal = natLocal; self.natRemote = natRemote; self.ageSeconds = ageSeconds
        self.nextMessageID = nextMessageID; self.children = children
    }
}

/// A CHILD SA (one ESP SA pair in the fast path) of an IKE SA.
public struct ChildSAStatus: Codable, Sendable, Equatable {
    /// `sites/lan#12`: the VPN, its security policy, the IKE SA.
    public var name: String
    /// 8 hex digits: `0xc0012345`.
    public var inboundSPI: String
    public var outboundSPI: String
    /// `aes128gcm16-esn`.
    public var proposal: String
    public var localTS: [String]
    public var remoteTS: [String]
    /// ESP in UDP (NAT traversal).
    public var encapsulated: Bool
    public var ageSeconds: Double
    /// What the fast path counted; absent when it could not say.
    public var usage: ChildSAUsageStatus?

    public init(name: String, inboundSPI: String, outboundSPI: String, proposal: String, localTS: [String],
                remoteTS: [String], encapsulated: Bool, ageSeconds: Double, usage: ChildSAUsageStatus? = nil) {
        self.name = name; self.inboundSPI = inboundSPI; self.outboundSPI = outboundSPI; self.proposal = proposal
        self.localTS = localTS; self.remoteTS = remoteTS; self.encapsulated = encapsulated; self.ageSeconds = ageSeconds
        self.usage = usage
    }
}

/// A CHILD SA's fast-path counters.
public struct ChildSAUsageStatus: Codable, Sendable, Equatable {
    public var inboundPackets: UInt64
    public var inboundBytes: UInt64
    public var outboundPackets: UInt64
    public var outboundBytes: UInt64
    public var replayDrops: UInt64
    public var authFailures: UInt64
    /// The last outbound sequence number used.
    public var outboundSeq: UInt64

    public init(inboundPackets: UInt64 = 0, inboundBytes: UInt64 = 0, outboundPackets: UInt64 = 0, outboundBytes: UInt64 = 0,
                replayDrops: UInt64 = 0, authFailures: UInt64 = 0, outboundSeq: UInt64 = 0) {
        self.inboundPackets = inboundPackets; self.inboundBytes = inboundBytes; self.outboundPackets = outboundPackets
        self.outboundBytes = outboundBytes; self.replayDrops = replayDrops; self.authFailures = authFailures
        self.outboundSeq = outboundSeq
    }
}

/// `show ike stats`: the engine's counters and the UDP shell's.
public struct IKEStatsReport: Codable, Sendable, Equatable {
    /// The UDP ports IKE listens on.
    public var ports: [Int]
    /// The engine: messages in and out, and why some were refused.
    public var received: UInt64
    public var sent: UInt64
    public var malformed: UInt64
    public var unknownSPI: UInt64
    public var retransmitsAnswered: UInt64
    public var retransmitsSent: UInt64
    public var cookiesSent: UInt64
    public var halfOpenRefused: UInt64
    public var authFailures: UInt64
    public var noProposal: UInt64
    public var tsUnacceptable: UInt64
    public var ikeSAsEstablished: UInt64
    public var childSAsInstalled: UInt64
    /// Messages dropped because the engine's queue was full.
    public var queueDrops: UInt64
    /// The UDP shell: datagrams read, and what became of those the engine never saw.
    public var datagrams: UInt64
    /// IKE messages the engine took from the queue.
    public var delivered: UInt64
    public var natKeepalives: UInt64
    /// Datagrams on a NAT-T port without the non-ESP marker.
    public var nonIKE: UInt64
    public var short: UInt64
    public var unsupportedAddress: UInt64
    /// Datagrams that could not be sent (no socket on their port, or the kernel refused).
    public var sendErrors: UInt64
    /// Messages waiting for the engine now, the most that ever waited, and the limit.
    public var queueDepth: Int
    public var queueHighWater: Int
    public var queueLimit: Int

    public init(ports: [Int] = [], received: UInt64 = 0, sent: UInt64 = 0, malformed: UInt64 = 0, unknownSPI: UInt64 = 0,
                retransmitsAnswered: UInt64 = 0, retransmitsSent: UInt64 = 0, cookiesSent: UInt64 = 0,
                halfOpenRefused: UInt64 = 0, authFailures: UInt64 = 0, noProposal: UInt64 = 0, tsUnacceptable: UInt64 = 0,
                ikeSAsEstablished: UInt64 = 0, childSAsInstalled: UInt64 = 0, queueDrops: UInt64 = 0, datagrams: UInt64 = 0,
                delivered: UInt64 = 0, natKeepalives: UInt64 = 0, nonIKE: UInt64 = 0, short: UInt64 = 0,
                unsupportedAddress: UInt64 = 0, sendErrors: UInt64 = 0, queueDepth: Int = 0, queueHighWater: Int = 0,
                queueLimit: Int = 0) {
        self.ports = ports; self.received = received; self.sent = sent; self.malformed = malformed
        self.unknownSPI = unknownSPI; self.retransmitsAnswered = retransmitsAnswered; self.retransmitsSent = retransmitsSent
        self.cookiesSent = cookiesSent; self.halfOpenRefused = halfOpenRefused; self.authFailures = authFailures
        self.noProposal = noProposal; self.tsUnacceptable = tsUnacceptable; self.ikeSAsEstablished = ikeSAsEstablished
        self.childSAsInstalled = childSAsInstalled; self.queueDrops = queueDrops; self.datagrams = datagrams
        self.delivered = delivered; self.natKeepalives = natKeepalives; self.nonIKE = nonIKE; self.short = short
        self.unsupportedAddress = unsupportedAddress; self.sendErrors = sendErrors; self.queueDepth = queueDepth
        self.queueHighWater = queueHighWater; self.queueLimit = queueLimit
    }

    /// The counters in display order, with what each means (`straitctl show ike stats`).
    public var rows: [(group: String, name: String, value: String, meaning: String)] {
        [
            ("engine", "received", String(received), "IKE messages given to the engine"),
            ("engine", "sent", String(sent), "IKE messages the engine sent"),
            ("engine", "malformed", String(malformed), "messages that do not parse"),
            ("engine", "unknown-spi", String(unknownSPI), "messages for an IKE SA we do not have"),
            ("engine", "retransmits-answered", String(retransmitsAnswered), "retransmitted requests answered again"),
            ("engine", "retransmits-sent", String(retransmitsSent), "our requests sent again"),
            ("engine", "cookies-sent", String(cookiesSent), "IKE_SA_INIT answered with a COOKIE"),
            ("engine", "half-open-refused", String(halfOpenRefused), "IKE_SA_INIT refused: too many half-open SAs"),
            ("engine", "auth-failures", String(authFailures), "peers that failed authentication"),
            ("engine", "no-proposal", String(noProposal), "NO_PROPOSAL_CHOSEN"),
            ("engine", "ts-unacceptable", String(tsUnacceptable), "TS_UNACCEPTABLE"),
            ("engine", "ike-sas-established", String(ikeSAsEstablished), "IKE SAs established since start"),
            ("engine", "child-sas-installed", String(childSAsInstalled), "CHILD SAs installed since start"),
            ("udp", "datagrams", String(datagrams), "datagrams read on the IKE ports"),
            ("udp", "delivered", String(delivered), "IKE messages the engine took from the queue"),
            ("udp", "queue-drops", String(queueDrops), "IKE messages dropped: queue full"),
            ("udp", "nat-keepalives", String(natKeepalives), "NAT keepalives (dropped)"),
            ("udp", "non-ike", String(nonIKE), "datagrams on a NAT-T port without the non-ESP marker (dropped)"),
            ("udp", "short", String(short), "datagrams too short to be IKE (dropped)"),
            ("udp", "unsupported-address", String(unsupportedAddress), "datagrams from or to a non-IPv4 address"),
            ("udp", "send-errors", String(sendErrors), "datagrams that could not be sent"),
            ("udp", "queue", "\(queueDepth)/\(queueLimit)", "messages waiting now / the limit"),
            ("udp", "queue-high-water", String(queueHighWater), "the most messages that ever waited"),
        ]
    }
}

/// The answer of `ike initiate` and `ike terminate`.
public struct IKEActionResult: Codable, Sendable, Equatable {
    /// What the daemon did, in a sentence.
    public var message: String
    public init(message: String) { self.message = message }
}

/// The argument names of the IKE commands.
public enum IKEArguments {
    /// `show ike sa` (optional: one SA) and `ike terminate`.
    public static let id = "id"
    /// `ike initiate`.
    public static let vpn = "vpn"
    /// `ike initiate` (optional: overrides the VPN's remote address).
    public static let remote = "remote"
}

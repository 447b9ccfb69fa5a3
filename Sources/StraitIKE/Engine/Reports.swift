import StraitCore

/// An IKE SA as `straitctl show ike sa` shows it. No keys.
public struct IKESAReport: Sendable, Equatable {
    public enum Role: String, Sendable { case initiator, responder }
    public var id: UInt64
    public var vpn: String
    public var state: String
    public var role: Role
    public var local: IKEEndpoint
    public var remote: IKEEndpoint
    public var localID: String
    public var remoteID: String
    public var initiatorSPI: UInt64
    public var responderSPI: UInt64
    /// e.g. "aes128gcm16-prfsha256-x25519"
    public var proposal: String
    public var natLocal: Bool
    public var natRemote: Bool
    /// Seconds since the SA was established (0 while negotiating).
    public var ageSeconds: Double
    public var nextMessageID: UInt32
    public var children: [ChildSAReport]
}

/// A CHILD SA as reports show it.
public struct ChildSAReport: Sendable, Equatable {
    public var name: String
    public var inboundSPI: UInt32
    public var outboundSPI: UInt32
    /// e.g. "aes128gcm16-esn"
    public var proposal: String
    public var localTS: [IPPrefix]
    public var remoteTS: [IPPrefix]
    public var encapsulated: Bool
    public var ageSeconds: Double
    public var usage: ChildSAUsage?
}

/// Engine-wide counters (`straitctl show ike stats`).
public struct IKECounters: Sendable, Equatable {
    public var received: UInt64 = 0
    public var sent: UInt64 = 0
    public var malformed: UInt64 = 0
    public var unknownSPI: UInt64 = 0
    public var retransmitsAnswered: UInt64 = 0
    public var retransmitsSent: UInt64 = 0
    public var cookiesSent: UInt64 = 0
    public var halfOpenRefused: UInt64 = 0
    public var authFailures: UInt64 = 0
    public var noProposal: UInt64 = 0
    public var tsUnacceptable: UInt64 = 0
    public var ikeSAsEstablished: UInt64 = 0
    public var childSAsInstalled: UInt64 = 0
    public var queueDrops: UInt64 = 0
    /// NAT keepalives sent (we are behind a NAT, RFC 3948 4).
    public var natKeepalivesSent: UInt64 = 0
    /// RFC 6311 message ID syncs: sent after an HA takeover, completed, answered for a peer.
    public var messageIDSyncsSent: UInt64 = 0
    public var messageIDSyncsCompleted: UInt64 = 0
    public var messageIDSyncsAnswered: UInt64 = 0
    public init() {}
}

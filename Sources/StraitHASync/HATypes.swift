import StraitCore

/// Key material carried over the sync link (SK_* keys, ESP keys, the link's own key). Its
/// descriptions never show the bytes, so a key printed by mistake shows only its length.
public struct HASecret: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable {
    private let storage: [UInt8]
    public init(_ bytes: [UInt8]) { storage = bytes }
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    /// The bytes, for the code that must use them (crypto, fast-path install).
    public func withBytes<R>(_ body: ([UInt8]) throws -> R) rethrows -> R { try body(storage) }
    public var description: String { "HASecret(\(storage.count) bytes)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["count": storage.count]) }
}

/// An address and UDP port (the IKE endpoint, without depending on the IKE target).
public struct HAEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    public init(_ address: IPAddress, _ port: UInt16) {
        self.address = address
        self.port = port
    }
    public var description: String { address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)" }
}

/// What a node is to the pair.
public enum HANodeRole: UInt8, Sendable {
    case unknown = 0, active = 1, standby = 2
}

/// An IKE identity as the IKE ID payload carries it: the IANA ID type and its data.
public struct HAIdentity: Equatable, Sendable {
    public var type: UInt8
    public var data: [UInt8]
    public init(type: UInt8, data: [UInt8]) {
        self.type = type
        self.data = data
    }
}

/// The negotiated IKE SA algorithms as IANA transform ids (RFC 7296 3.3.2); integrity 0 = none (AEAD).
public struct HAIKEAlgorithms: Equatable, Sendable {
    public var encryption: UInt16
    public var encryptionKeyBits: UInt16
    public var integrity: UInt16
    public var prf: UInt16
    public var dhGroup: UInt16
    public init(encryption: UInt16, encryptionKeyBits: UInt16, integrity: UInt16, prf: UInt16, dhGroup: UInt16) {
        self.encryption = encryption
        self.encryptionKeyBits = encryptionKeyBits
        self.integrity = integrity
        self.prf = prf
        self.dhGroup = dhGroup
    }
}

/// The seven IKE SA keys of RFC 7296 2.14 ("i"/"r": original initiator/responder).
public struct HAIKEKeys: Equatable, Sendable {
    public var skD, skAi, skAr, skEi, skEr, skPi, skPr: HASecret
    public init(skD: HASecret, skAi: HASecret, skAr: HASecret, skEi: HASecret, skEr: HASecret, skPi: HASecret, skPr: HASecret) {
        self.skD = skD
        self.skAi = skAi
        self.skAr = skAr
        self.skEi = skEi
        self.skEr = skEr
        self.skPi = skPi
        self.skPr = skPr
    }
}

/// Deadlines cross the link as milliseconds after the sender's snapshot (`takenAtWallMs`):
/// monotonic clocks of two machines share no origin, so the standby rebases them on its own
/// (`HADeadlines.rebased`). nil = no such deadline.
public struct HADeadlines: Equatable, Sendable {
    public var rekeyInMs: Int64?
    public var expireInMs: Int64?
    public var reauthInMs: Int64?
    public init(rekeyInMs: Int64? = nil, expireInMs: Int64? = nil, reauthInMs: Int64? = nil) {
        self.rekeyInMs = rekeyInMs
        self.expireInMs = expireInMs
        self.reauthInMs = reauthInMs
    }

    /// A deadline as a monotonic time on the receiver: `offsetMs` after the sender's snapshot,
    /// less the wall time that has passed since the snapshot (never before `nowMono`).
    public static func rebased(offsetMs: Int64?, takenAtWallMs: Int64, nowWallMs: Int64, nowMono: HAInstant) -> HAInstant? {
        guard let offsetMs else { return nil }
        let left = max(0, offsetMs - max(0, nowWallMs - takenAtWallMs))
        return nowMono + .milliseconds(left)
    }
}

/// Everything the standby needs to continue an IKE SA without renegotiating.
public struct HAIKESAState: Equatable, Sendable {
    /// The active node's id for the SA (its own SPI); children refer to it.
    public var id: UInt64
    /// Bumped by the exporter on every change: the standby applies only newer versions.
    public var version: UInt64 = 0
    public var vpn: String
    public var initiator: Bool
    public var spiI: UInt64
    public var spiR: UInt64
    public var local: HAEndpoint
    public var remote: HAEndpoint
    public var natLocal = false
    public var natRemote = false
    public var fragmentation = false
    public var mobike = false
    /// Both ends announced RFC 6311 message ID sync: the node that takes over synchronizes.
    public var messageIDSync = false
    public var localID: HAIdentity
    public var remoteID: HAIdentity
    public var algorithms: HAIKEAlgorithms
    public var keys: HAIKEKeys
    /// Our next request's message ID, and the peer's next request we expect.
    public var nextRequestID: UInt32
    public var nextExpectedRequest: UInt32
    /// Our last response (message ID, datagrams as sent), to answer a retransmit after takeover.
    public var lastResponseID: UInt32?
    public var lastResponse: [[UInt8]] = []
    public var takenAtWallMs: Int64
    public var deadlines = HADeadlines()

    public init(id: UInt64, vpn: String, initiator: Bool, spiI: UInt64, spiR: UInt64, local: HAEndpoint, remote: HAEndpoint,
                localID: HAIdentity, remoteID: HAIdentity, algorithms: HAIKEAlgorithms, keys: HAIKEKeys,
                nextRequestID: UInt32, nextExpectedRequest: UInt32, takenAtWallMs: Int64) {
        self.id = id
        self.vpn = vpn
        self.initiator = initiator
        self.spiI = spiI
        self.spiR = spiR
        self.local = local
        self.remote = remote
        self.localID = localID
        self.remoteID = remoteID
        self.algorithms = algorithms
        self.keys = keys
        self.nextRequestID = nextRequestID
        self.nextExpectedRequest = nextExpectedRequest
        self.takenAtWallMs = takenAtWallMs
    }
}

/// A CHILD SA is known by its SPI pair (the inbound SPI is unique on the node that picked it).
public struct HAChildKey: Hashable, Sendable, CustomStringConvertible {
    public var inboundSPI: UInt32
    public var outboundSPI: UInt32
    public init(inboundSPI: UInt32, outboundSPI: UInt32) {
        self.inboundSPI = inboundSPI
        self.outboundSPI = outboundSPI
    }
    public var description: String { "\(String(inboundSPI, radix: 16))/\(String(outboundSPI, radix: 16))" }
}

/// Everything the standby needs to install a CHILD SA (inactive) in its fast path.
public struct HAChildSAState: Equatable, Sendable {
    public var ikeSA: UInt64
    public var version: UInt64 = 0
    public var name: String
    public var inboundSPI: UInt32
    public var outboundSPI: UInt32
    /// ESP transform id (20 = AES-GCM-16) and key length; keys are key | 4-byte salt (RFC 4106).
    public var encryption: UInt16
    public var keyBits: UInt16
    public var icvLength: UInt8
    public var inboundKey: HASecret
    public var outboundKey: HASecret
    public var esn: Bool
    public var replayWindow: UInt32
    public var local: IPAddress
    public var remote: IPAddress
    /// ESP in UDP ports, or nil for raw ESP.
    public var udpEncapsulation: (local: UInt16, remote: UInt16)?
    public var localTS: [IPPrefix]
    public var remoteTS: [IPPrefix]
    public var softBytes: UInt64 = 0, hardBytes: UInt64 = 0
    public var softPackets: UInt64 = 0, hardPackets: UInt64 = 0
    public var takenAtWallMs: Int64
    public var deadlines = HADeadlines()

    public var key: HAChildKey { HAChildKey(inboundSPI: inboundSPI, outboundSPI: outboundSPI) }

    public init(ikeSA: UInt64, name: String, inboundSPI: UInt32, outboundSPI: UInt32, encryption: UInt16, keyBits: UInt16,
                icvLength: UInt8, inboundKey: HASecret, outboundKey: HASecret, esn: Bool, replayWindow: UInt32,
                local: IPAddress, remote: IPAddress, udpEncapsulation: (local: UInt16, remote: UInt16)?,
                localTS: [IPPrefix], remoteTS: [IPPrefix], takenAtWallMs: Int64) {
        self.ikeSA = ikeSA
        self.name = name
        self.inboundSPI = inboundSPI
        self.outboundSPI = outboundSPI
        self.encryption = encryption
        self.keyBits = keyBits
        self.icvLength = icvLength
        self.inboundKey = inboundKey
        self.outboundKey = outboundKey
        self.esn = esn
        self.replayWindow = replayWindow
        self.local = local
        self.remote = remote
        self.udpEncapsulation = udpEncapsulation
        self.localTS = localTS
        self.remoteTS = remoteTS
        self.takenAtWallMs = takenAtWallMs
    }

    public static func == (a: HAChildSAState, b: HAChildSAState) -> Bool {
        a.ikeSA == b.ikeSA && a.version == b.version && a.name == b.name && a.key == b.key && a.encryption == b.encryption
            && a.keyBits == b.keyBits && a.icvLength == b.icvLength && a.inboundKey == b.inboundKey
            && a.outboundKey == b.outboundKey && a.esn == b.esn && a.replayWindow == b.replayWindow && a.local == b.local
            && a.remote == b.remote && a.udpEncapsulation?.local == b.udpEncapsulation?.local
            && a.udpEncapsulation?.remote == b.udpEncapsulation?.remote && a.localTS == b.localTS && a.remoteTS == b.remoteTS
            && a.softBytes == b.softBytes && a.hardBytes == b.hardBytes && a.softPackets == b.softPackets
            && a.hardPackets == b.hardPackets && a.takenAtWallMs == b.takenAtWallMs && a.deadlines == b.deadlines
    }
}

/// ESP sequence state of one CHILD SA, as the fast path's HA hooks read it
/// (fp_sa_get_seq / fp_sa_get_replay).
public struct HASeqState: Equatable, Sendable {
    public var child: HAChildKey
    /// Outbound: the last sequence number used.
    public var outboundSeq: UInt64
    /// Inbound: the highest authenticated sequence number, the window and its bitmap (bit 0
    /// of word 0 = top, as fp_replay_state_t).
    public var inboundTop: UInt64
    public var window: UInt32
    public var bitmap: [UInt64]
    public init(child: HAChildKey, outboundSeq: UInt64, inboundTop: UInt64, window: UInt32 = 0, bitmap: [UInt64] = []) {
        self.child = child
        self.outboundSeq = outboundSeq
        self.inboundTop = inboundTop
        self.window = window
        self.bitmap = bitmap
    }
}

/// Monotonic time in nanoseconds, injected by the caller (tests advance a number).
public struct HAInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: UInt64
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    public static func < (a: HAInstant, b: HAInstant) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (t: HAInstant, d: Duration) -> HAInstant {
        let (s, a) = d.components
        let ns = Int64(s) * 1_000_000_000 + a / 1_000_000_000
        return HAInstant(nanoseconds: ns >= 0 ? t.nanoseconds &+ UInt64(ns) : t.nanoseconds &- UInt64(-ns))
    }
    /// Time from `b` to `a`, zero if `a` is earlier.
    public static func - (a: HAInstant, b: HAInstant) -> Duration {
        a >= b ? .nanoseconds(Int64(a.nanoseconds - b.nanoseconds)) : .zero
    }
    public static let zero = HAInstant(nanoseconds: 0)
    public var description: String { "\(Double(nanoseconds) / 1e9)s" }
}

import StraitCore
import StraitIKECrypto

/// Where IKE meets the ESP fast path: the one interface the protocol code uses to reserve
/// SPIs and to install and remove CHILD SAs (like charon's kernel_ipsec_t). The daemon
/// implements it on the fast path; tests use an in-memory fake.
///
/// Calls come from the engine's single thread. Implementations must not block for long: the
/// fast path's own calls are microseconds.
public protocol IKEDataPlane: AnyObject {
    /// A fresh inbound ESP SPI, reserved until installed or released. The fast path finds an
    /// inbound SA by its SPI in O(1) when the SPI's low bits encode the SA's slot, so the data
    /// plane, not the engine, picks it.
    func allocateInboundSPI() throws -> UInt32
    /// Give back an SPI that was allocated but will never be installed.
    func releaseInboundSPI(_ spi: UInt32)
    /// Install both directions of a CHILD SA and the outbound policies for its traffic
    /// selectors. The inbound SA must be ready before the outbound policies exist
    /// (make-before-break). Returns a handle for `remove` and `query`.
    func install(_ child: ChildSAInstall) throws -> ChildSAHandle
    /// Remove a CHILD SA's policies, then its SAs. Never fails: what is gone is gone.
    func remove(_ handle: ChildSAHandle)
    /// Counters and lifetimes as the fast path sees them; nil if the handle is unknown.
    func query(_ handle: ChildSAHandle) -> ChildSAUsage?
    /// Move both directions of an installed CHILD SA to new tunnel endpoints (MOBIKE, NAT
    /// rebinding): outer addresses, and ESP in UDP with these ports or raw ESP when nil. Keys,
    /// sequence numbers and replay state stay; traffic flows on while it moves.
    func updateEndpoints(_ handle: ChildSAHandle, local: IPAddress, remote: IPAddress,
                         udpEncapsulation: (local: UInt16, remote: UInt16)?) throws
}

/// The data plane's reference to an installed CHILD SA.
public struct ChildSAHandle: Hashable, Sendable {
    public var inbound: Int
    public var outbound: Int
    /// Outbound policy handles (one per local/remote selector pair).
    public var policies: [Int]
    public init(inbound: Int, outbound: Int, policies: [Int]) {
        self.inbound = inbound
        self.outbound = outbound
        self.policies = policies
    }
}

/// One negotiated CHILD SA, ready for the fast path. Keys are AES-GCM key material with the
/// 4-byte salt at the end (RFC 4106): 20 bytes for AES-128, 36 for AES-256.
public struct ChildSAInstall: Sendable {
    /// For logs and reports, e.g. "sites/lan#12" (VPN, security policy, IKE SA id).
    public var name: String
    /// The control plane's reference, echoed in fast-path events (soft/hard expiry).
    public var cookie: UInt64
    public var inboundSPI: UInt32
    public var outboundSPI: UInt32
    public var keyBits: Int               // 128 or 256
    public var icvLength: Int             // 16
    public var inboundKey: SecretBytes
    public var outboundKey: SecretBytes
    public var esn: Bool
    public var replayWindow: Int
    /// Tunnel endpoints (outer addresses).
    public var local: IPAddress
    public var remote: IPAddress
    /// ESP in UDP (RFC 3948) with these ports, or raw ESP when nil.
    public var udpEncapsulation: (local: UInt16, remote: UInt16)?
    /// The narrowed traffic selectors, as prefixes (local side, remote side).
    public var localTS: [IPPrefix]
    public var remoteTS: [IPPrefix]
    /// Soft (rekey) and hard limits; 0 = none.
    public var softBytes: UInt64 = 0, hardBytes: UInt64 = 0
    public var softPackets: UInt64 = 0, hardPackets: UInt64 = 0

    public init(name: String, cookie: UInt64, inboundSPI: UInt32, outboundSPI: UInt32, keyBits: Int, icvLength: Int,
                inboundKey: SecretBytes, outboundKey: SecretBytes, esn: Bool, replayWindow: Int, local: IPAddress,
                remote: IPAddress, udpEncapsulation: (local: UInt16, remote: UInt16)?, localTS: [IPPrefix],
                remoteTS: [IPPrefix]) {
        self.name = name
        self.cookie = cookie
        self.inboundSPI = inboundSPI
        self.outboundSPI = outboundSPI
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
    }
}

/// What the fast path counted on a CHILD SA.
public struct ChildSAUsage: Sendable, Equatable {
    public var inboundPackets: UInt64, inboundBytes: UInt64
    public var outboundPackets: UInt64, outboundBytes: UInt64
    public var replayDrops: UInt64, authFailures: UInt64
    public var outboundSeq: UInt64
    public init(inboundPackets: UInt64 = 0, inboundBytes: UInt64 = 0, outboundPackets: UInt64 = 0, outboundBytes: UInt64 = 0,
                replayDrops: UInt64 = 0, authFailures: UInt64 = 0, outboundSeq: UInt64 = 0) {
        self.inboundPackets = inboundPackets
        self.inboundBytes = inboundBytes
        self.outboundPackets = outboundPackets
        self.outboundBytes = outboundBytes
        self.replayDrops = replayDrops
        self.authFailures = authFailures
        self.outboundSeq = outboundSeq
    }
}

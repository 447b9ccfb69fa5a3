import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// One IKE SA and everything the protocol keeps for it. A reference type: tasks change it in
/// place, and the engine indexes it by SPI.
final class IKESA {
    enum State: String { case halfOpen = "connecting", established, deleting }

    /// Our SPI: the engine's key and the id operators see.
    let id: UInt64
    let role: IKESAReport.Role
    let spiI: UInt64
    let spiR: UInt64
    var local: IKEEndpoint
    var remote: IKEEndpoint
    var state: State = .halfOpen

    var proposal: ChosenIKEProposal
    var keys: IKESAKeys
    /// Protects what we send / opens what we receive. Kept for the SA's life: the GCM IV
    /// counter lives in the outbound one.
    var outbound: SKCipher
    var inbound: SKCipher
    var nonceI: [UInt8]
    var nonceR: [UInt8]
    /// The IKE_SA_INIT messages as sent, which AUTH signs (RFC 7296 2.15).
    var initRequest: [UInt8]
    var initResponse: [UInt8]
    var natLocal = false
    var natRemote = false
    /// When the next NAT keepalive is due (only while we are behind a NAT).
    var nextNATKeepalive: IKETime?
    /// Both sides announced IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 2.3).
    var fragmentation = false
    /// MOBIKE (RFC 4555): negotiated or not, the peer's other addresses.
    var mobike = MobikeState()
    /// RFC 6311 message ID sync (HA): negotiated or not, due after a takeover.
    var midSync = MessageIDSyncState()
    var fragments: FragmentBuffer?

    /// VPN definitions this SA may still belong to (before IKE_AUTH names the peer), then the one.
    var candidates: [VPNDefinition]
    var vpn: VPNDefinition?
    var localID: IdentificationPayload?
    var remoteID: IdentificationPayload?
    var remoteIdentity: IKEIdentity?

    /// Requests from the peer: the next one we expect, and our last response (for retransmits).
    var nextExpectedRequest: UInt32 = 0
    var lastResponse: (messageID: UInt32, datagrams: [[UInt8]])?
    /// Requests we send: the next message ID, and the one in flight (window size 1).
    var nextRequestID: UInt32 = 0
    var pending: PendingRequest?

    var createdAt: IKETime
    var establishedAt: IKETime?
    var lastHeard: IKETime
    var children: [ChildSA] = []
    /// When the IKE SA is rekeyed, re-authenticated or deleted (IKEEngine+IKERekey); nil until
    /// the first tick after it is established.
    var lifetime: IKELifetime?
    /// Where a rekey of this IKE SA stands (collisions, RFC 7296 2.8.2).
    var rekey = IKERekeyState()

    init(id: UInt64, role: IKESAReport.Role, spiI: UInt64, spiR: UInt64, local: IKEEndpoint, remote: IKEEndpoint,
         proposal: ChosenIKEProposal, keys: IKESAKeys, nonceI: [UInt8], nonceR: [UInt8], initRequest: [UInt8],
         initResponse: [UInt8], candidates: [VPNDefinition], now: IKETime) throws {
        self.id = id
        self.role = role
        self.spiI = spiI
        self.spiR = spiR
        self.local = local
        self.remote = remote
        self.proposal = proposal
        self.keys = keys
        (outbound, inbound) = try SKCipher.directions(for: keys, weAreOriginalInitiator: role == .initiator)
        self.nonceI = nonceI
        self.nonceR = nonceR
        self.initRequest = initRequest
        self.initResponse = initResponse
        self.candidates = candidates
        createdAt = now
        lastHeard = now
        if role == .responder { nextExpectedRequest = 1 } else { nextRequestID = 1 }
    }

    /// Header fields for a message on this SA; `response` for answers to the peer's requests.
    func header(_ exchange: ExchangeType, messageID: UInt32, response: Bool) -> IKEHeader {
        var flags: IKEHeader.Flags = response ? [.response] : []
        if role == .initiator { flags.insert(.initiator) }
        return IKEHeader(initiatorSPI: spiI, responderSPI: spiR, exchangeType: exchange, flags: flags, messageID: messageID)
    }

    /// Encode and encrypt a message: the payloads go inside one SK payload (RFC 7296 3.14).
    func seal(_ exchange: ExchangeType, messageID: UInt32, response: Bool, _ payloads: [IKEPayload]) throws -> [UInt8] {
        let (first, plaintext) = IKEMessage.encodePayloads(payloads)
        let sealedLength = outbound.sealedLength(plaintextLength: plaintext.count)
        let message = IKEMessage(header: header(exchange, messageID: messageID, response: response),
                                 payloads: [.encrypted(EncryptedPayload(firstPayloadType: first,
                                                                        body: [UInt8](repeating: 0, count: sealedLength)))])
        var bytes = message.encode()
        guard let where_ = try IKEMessage.encryptedPayloadLocation(in: bytes) else { throw IKEError.internal("no SK payload") }
        let sealed = try outbound.seal(messagePrefix: Array(bytes[0..<where_.contentOffset]), plaintext: plaintext)
        bytes.replaceSubrange(where_.contentOffset..<where_.end, with: sealed)
        return bytes
    }

    /// Decrypt and decode the payloads inside a received message's SK payload.
    func open(_ bytes: [UInt8], _ message: IKEMessage) throws -> [IKEPayload] {
        guard let sk = message.payloads.encrypted,
              let where_ = try IKEMessage.encryptedPayloadLocation(in: bytes), !where_.isFragment
        else { throw IKEError.protocolError("no SK payload") }
        let plaintext = try inbound.open(message: bytes, bodyOffset: where_.contentOffset)
        return try IKEMessage.decodePayloads(firstType: sk.firstPayloadType, bytes: plaintext)
    }
}

/// A request we sent and are waiting for the answer to.
struct PendingRequest {
    enum Kind {
        case liveness, deleteIKE, deleteChild([UInt32]), auth(AuthContext), rekeyChild(ChildRekeyContext), rekeyIKE(IKERekeyContext)
        case messageIDSync(MessageIDSyncContext)
    }
    var kind: Kind
    var messageID: UInt32
    var datagrams: [[UInt8]]
    var sentAt: IKETime
    var attempts: Int
    var nextSend: IKETime
    /// What was sent, to send it again under another message ID (a peer's RFC 6311 sync).
    var exchange: ExchangeType = .informational
    var payloads: [IKEPayload] = []
}

/// A CHILD SA installed in the fast path.
struct ChildSA {
    var name: String
    var handle: ChildSAHandle
    var inboundSPI: UInt32
    var outboundSPI: UInt32
    var proposal: ChosenESPProposal
    var localTS: [IPPrefix]
    var remoteTS: [IPPrefix]
    var encapsulated: Bool
    var installedAt: IKETime
    var cookie: UInt64
    /// The security policy it was made for (its template gives the lifetimes).
    var policyName = ""
    /// The nonces of the exchange that made it (2.8.1: they decide rekey collisions).
    var nonces: [[UInt8]] = []
    /// When we rekey it, and when it dies if nobody did.
    var rekeyAt: IKETime?
    var expireAt: IKETime?
    /// Our CREATE_CHILD_SA for it is in flight.
    var rekeying = false
    /// The peer rekeyed it while ours was in flight: the nonces of the peer's exchange.
    var peerRekeyNonces: [[UInt8]]?
}

/// Errors inside the engine; they end the exchange, never the process.
enum IKEError: Error, CustomStringConvertible {
    case protocolError(String)
    case `internal`(String)
    var description: String {
        switch self {
        case .protocolError(let s): return "protocol: \(s)"
        case .internal(let s): return "internal: \(s)"
        }
    }
}

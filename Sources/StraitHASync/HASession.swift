import Crypto

/// The sync link's security, without I/O: both nodes hold the same configured 32-byte key.
///
/// Handshake: each side sends a clear `hello` (node id, role, 32-byte random nonce). When it has
/// both, it derives two AES-256-GCM keys, one per direction, with HKDF-SHA256:
/// salt = SHA-256(hello of the lower node id | hello of the higher), info = "strait-ha-sync v1 "
/// + sender id + receiver id, input = the configured key. Fresh nonces make fresh keys on every
/// connection, so a reconnect is a rekey. Each side's first record is `handshakeConfirm` with the
/// same SHA-256: it opens only under the same key and hellos, so a wrong key or a tampered hello
/// fails the handshake.
///
/// Records: kind 2 | counter (u64) | AES-GCM(message) | tag, AAD = the first 9 bytes, nonce =
/// 4 zero bytes | counter. Each direction counts from 0 and the receiver takes only the next
/// counter: TCP delivers in order, so anything else is a replay, a reorder or a loss, and is
/// refused (and counted) without moving the window. The tag check is swift-crypto's.
public struct HASession {
    public enum Event: Equatable, Sendable {
        /// A frame to send to the peer (the transport length-prefixes it).
        case send([UInt8])
        /// Both sides proved the key: records flow.
        case established(peerNodeID: UInt32, peerRole: HANodeRole)
        case message(HASyncMessage)
    }

    public struct Counters: Equatable, Sendable {
        public var recordsSealed: UInt64 = 0
        public var recordsOpened: UInt64 = 0
        public var badTag: UInt64 = 0
        public var replayed: UInt64 = 0
        public var malformed: UInt64 = 0
        public var handshakeFailures: UInt64 = 0
        public init() {}
    }

    static let helloKind: UInt8 = 1
    static let recordKind: UInt8 = 2

    public let nodeID: UInt32
    public var role: HANodeRole
    private let key: SymmetricKey
    private let random: @Sendable () -> [UInt8]
    private var ourHello: HAHello?
    private var transcript: [UInt8]?
    private var sendKey: SymmetricKey?
    private var receiveKey: SymmetricKey?
    private var sendCounter: UInt64 = 0
    private var receiveCounter: UInt64 = 0
    public private(set) var peerNodeID: UInt32?
    private var peerRole: HANodeRole = .unknown
    private var confirmed = false
    public private(set) var counters = Counters()

    /// `random` returns 32 fresh random bytes (tests inject fixed ones).
    public init(nodeID: UInt32, role: HANodeRole, key: HASecret,
                random: @escaping @Sendable () -> [UInt8] = HASession.systemRandom) throws {
        guard key.count == 32 else { throw HASyncError(.badKey, "the sync key must be 32 bytes, not \(key.count)") }
        self.nodeID = nodeID
        self.role = role
        self.key = key.withBytes { SymmetricKey(data: $0) }
        self.random = random
    }

    public static let systemRandom: @Sendable () -> [UInt8] = {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    public var isEstablished: Bool { confirmed }

    /// Forget everything and start a new handshake (on every new connection): returns our hello frame.
    public mutating func start() -> [UInt8] {
        let hello = HAHello(nodeID: nodeID, role: role, nonce: random())
        ourHello = hello
        transcript = nil
        sendKey = nil
        receiveKey = nil
        sendCounter = 0
        receiveCounter = 0
        peerNodeID = nil
        confirmed = false
        return [Self.helloKind] + HASyncCodec.encode(.hello(hello))
    }

    /// One frame from the peer. Throws (and counts) on anything refused; the caller closes
    /// the connection on a handshake failure and may on others.
    public mutating func receive(_ frame: [UInt8]) throws -> [Event] {
        guard let kind = frame.first else { counters.malformed += 1; throw HASyncError(.truncated, "empty frame") }
        if kind == Self.helloKind { return try receiveHello(Array(frame.dropFirst())) }
        guard kind == Self.recordKind else { counters.malformed += 1; throw HASyncError(.unknownType, "frame kind \(kind)") }
        guard let receiveKey, let transcript else { counters.malformed += 1; throw HASyncError(.notEstablished, "record before hello") }
        let message = try open(frame, key: receiveKey)
        if !confirmed {
            guard case .handshakeConfirm(let t) = message, t == transcript else {
                counters.handshakeFailures += 1
                throw HASyncError(.handshake, "first record is not a matching confirm")
            }
            confirmed = true
            return [.established(peerNodeID: peerNodeID ?? 0, peerRole: peerRole)]
        }
        if case .hello = message { counters.malformed += 1; throw HASyncError(.handshake, "hello inside a record") }
        if case .handshakeConfirm = message { counters.malformed += 1; throw HASyncError(.handshake, "second confirm") }
        return [.message(message)]
    }

    /// Protect a message for the peer; only once established.
    public mutating func seal(_ message: HASyncMessage) throws -> [UInt8] {
        guard confirmed else { throw HASyncError(.notEstablished) }
        return try sealRecord(message)
    }

    private mutating func receiveHello(_ bytes: [UInt8]) throws -> [Event] {
        guard let ourHello, transcript == nil else {
            counters.handshakeFailures += 1
            throw HASyncError(.handshake, "unexpected hello")
        }
        let peer: HAHello
        do {
            guard case .hello(let h) = try HASyncCodec.decode(bytes) else { throw HASyncError(.handshake, "not a hello") }
            peer = h
        } catch {
            counters.handshakeFailures += 1
            throw error
        }
        guard peer.nodeID != nodeID, peer.nonce.count == 32 else {
            counters.handshakeFailures += 1
            throw HASyncError(.handshake, peer.nodeID == nodeID ? "peer has our node id \(nodeID)" : "nonce length")
        }
        let (low, high) = nodeID < peer.nodeID ? (ourHello, peer) : (peer, ourHello)
        let t = Array(SHA256.hash(data: HASyncCodec.encode(.hello(low)) + HASyncCodec.encode(.hello(high))))
        transcript = t
        peerNodeID = peer.nodeID
        peerRole = peer.role
        sendKey = derive(transcript: t, from: nodeID, to: peer.nodeID)
        receiveKey = derive(transcript: t, from: peer.nodeID, to: nodeID)
        return [.send(try sealRecord(.handshakeConfirm(transcript: t)))]
    }

    private func derive(transcript: [UInt8], from: UInt32, to: UInt32) -> SymmetricKey {
        var info = HAWriter()
        info.bytes = Array("strait-ha-sync v1 ".utf8)
        info.u32(from)
        info.u32(to)
        return HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: transcript, info: info.bytes, outputByteCount: 32)
    }

    private mutating func sealRecord(_ message: HASyncMessage) throws -> [UInt8] {
        guard let sendKey else { throw HASyncError(.notEstablished) }
        guard sendCounter < UInt64.max else { throw HASyncError(.counterExhausted) }
        var header = HAWriter()
        header.u8(Self.recordKind)
        header.u64(sendCounter)
        let box = try AES.GCM.seal(HASyncCodec.encode(message), using: sendKey, nonce: Self.nonce(sendCounter),
                                   authenticating: header.bytes)
        sendCounter += 1
        counters.recordsSealed += 1
        return header.bytes + Array(box.ciphertext) + Array(box.tag)
    }

    private mutating func open(_ frame: [UInt8], key: SymmetricKey) throws -> HASyncMessage {
        guard frame.count >= 9 + 16 else { counters.malformed += 1; throw HASyncError(.truncated, "record of \(frame.count) bytes") }
        var r = HAReader(frame, offset: 1)
        let counter = try r.u64()
        guard counter == receiveCounter else {
            counters.replayed += 1
            throw HASyncError(.replay, "record \(counter), expected \(receiveCounter)")
        }
        let plaintext: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(nonce: Self.nonce(counter), ciphertext: frame[9..<(frame.count - 16)],
                                            tag: frame[(frame.count - 16)...])
            plaintext = Array(try AES.GCM.open(box, using: key, authenticating: frame[0..<9]))
        } catch {
            counters.badTag += 1
            if !confirmed { counters.handshakeFailures += 1 }
            throw HASyncError(.badTag, "record \(counter)")
        }
        // Authenticated: the counter moves even if the content is refused below, since the
        // peer will not send this counter again.
        receiveCounter += 1
        counters.recordsOpened += 1
        do { return try HASyncCodec.decode(plaintext) } catch { counters.malformed += 1; throw error }
    }

    private static func nonce(_ counter: UInt64) -> AES.GCM.Nonce {
        var w = HAWriter()
        w.u32(0)
        w.u64(counter)
        return try! AES.GCM.Nonce(data: w.bytes)
    }
}

extension HASession: CustomStringConvertible {
    /// No key material, ever.
    public var description: String {
        "HASession(node \(nodeID), peer \(peerNodeID.map(String.init) ?? "-"), \(confirmed ? "established" : "handshaking"))"
    }
}

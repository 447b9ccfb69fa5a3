import StraitIKEWire

/// IKE fragmentation (RFC 7383): a message bigger than the path allows (certificate chains in
/// IKE_AUTH) travels as several SKF payloads, each encrypted and authenticated on its own, so
/// nothing depends on IP fragments that NATs and firewalls drop.
extension IKESA {
    /// Largest IKE message (IKE header on) we send whole; above it, fragments of this size:
    /// 1280 minus IPv6 (40) and UDP (8) headers and the non-ESP marker (4), as strongSwan does.
    static let defaultFragmentSize = 1228
    /// Most fragments one message may have, and the most plaintext we reassemble.
    static let maxFragments = 32
    static let maxReassembled = 65_536

    /// A message's datagrams: one, or its fragments when both sides agreed to fragment.
    func sealAll(_ exchange: ExchangeType, messageID: UInt32, response: Bool, _ payloads: [IKEPayload],
                 fragmentSize: Int = IKESA.defaultFragmentSize) throws -> [[UInt8]] {
        let whole = try seal(exchange, messageID: messageID, response: response, payloads)
        guard fragmentation, whole.count > fragmentSize else { return [whole] }
        let (first, plaintext) = IKEMessage.encodePayloads(payloads)
        // Room for plaintext in one fragment: header, SKF header, IV, ICV, padding (worst case).
        let overhead = IKEHeader.length + 8 + outbound.sealedLength(plaintextLength: 0) + 16
        let chunk = max(64, fragmentSize - overhead)
        let total = (plaintext.count + chunk - 1) / chunk
        var out: [[UInt8]] = []
        for n in 0..<total {
            let part = Array(plaintext[(n * chunk)..<min(plaintext.count, (n + 1) * chunk)])
            let body = [UInt8](repeating: 0, count: outbound.sealedLength(plaintextLength: part.count))
            let skf = EncryptedFragmentPayload(fragmentNumber: UInt16(n + 1), totalFragments: UInt16(total),
                                               firstPayloadType: n == 0 ? first : .noNextPayload, body: body)
            var bytes = IKEMessage(header: header(exchange, messageID: messageID, response: response),
                                   payloads: [.encryptedFragment(skf)]).encode()
            guard let at = try IKEMessage.encryptedPayloadLocation(in: bytes) else { throw IKEError.internal("no SKF") }
            bytes.replaceSubrange(at.contentOffset..<at.end,
                                  with: try outbound.seal(messagePrefix: Array(bytes[0..<at.contentOffset]), plaintext: part))
            out.append(bytes)
        }
        return out
    }

    enum Reassembly {
        case incomplete
        case complete([IKEPayload])
    }

    /// Take one received SKF (already known to belong to this SA): authenticate and decrypt
    /// it, keep it until the message is whole. Bad fragments are dropped one by one (7383 2.6).
    func reassemble(_ bytes: [UInt8], _ message: IKEMessage) throws -> Reassembly {
        guard let skf = message.payloads.encryptedFragment,
              let at = try IKEMessage.encryptedPayloadLocation(in: bytes), at.isFragment
        else { throw IKEError.protocolError("no SKF payload") }
        let total = Int(skf.totalFragments), number = Int(skf.fragmentNumber)
        guard total <= Self.maxFragments else { throw IKEError.protocolError("\(total) fragments") }
        let plaintext = try inbound.open(message: bytes, bodyOffset: at.contentOffset)
        let id = message.header.messageID
        if var f = fragments, f.messageID == id, f.total == total {
            f.parts[number] = plaintext
            if number == 1 { f.firstType = skf.firstPayloadType }
            fragments = f
        } else if fragments == nil || fragments!.messageID != id || total > fragments!.total {
            // A new message, or the peer re-fragmented smaller (7383 2.6.2): start over.
            fragments = FragmentBuffer(messageID: id, total: total, parts: [number: plaintext],
                                       firstType: number == 1 ? skf.firstPayloadType : nil)
        }
        guard let f = fragments, f.parts.count == f.total, let first = f.firstType else { return .incomplete }
        let whole = (1...f.total).flatMap { f.parts[$0] ?? [] }
        fragments = nil
        guard whole.count <= Self.maxReassembled else { throw IKEError.protocolError("reassembled message too big") }
        return .complete(try IKEMessage.decodePayloads(firstType: first, bytes: whole))
    }
}

/// The fragments of one message received so far.
struct FragmentBuffer {
    var messageID: UInt32
    var total: Int
    var parts: [Int: [UInt8]]
    var firstType: PayloadType?
}

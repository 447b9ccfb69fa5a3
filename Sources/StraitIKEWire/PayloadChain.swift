/// The chain of generic payload headers (RFC 7296 section 3.2), shared by the outer message and the
/// decrypted contents of an SK payload:
///
///     Next Payload (1) | C (1 bit) RESERVED (7 bits) | Payload Length (2, includes these 4 bytes) | body
enum PayloadChain {
    /// Reads payloads starting with one of type `first` until a Next Payload of 0, or an SK/SKF payload
    /// (whose Next Payload names its inner chain, so it must end the message). `r` must end exactly there.
    static func decode(_ r: inout ByteReader, first: PayloadType, inner: Bool) throws -> [IKEPayload] {
        var payloads: [IKEPayload] = []
        var type = first
        while type != .noNextPayload {
            let start = r.offset
            // The cap bounds the work a chain of empty 4-byte payloads could cause.
            guard payloads.count < IKEWireLimits.maxPayloads else {
                throw IKEWireError(.tooManyPayloads, at: start, "more than \(IKEWireLimits.maxPayloads) payloads")
            }
            guard r.remaining >= 4 else {
                throw IKEWireError(.truncated, at: start, "\(type) payload announced, \(r.remaining) bytes left")
            }
            let next = PayloadType(try r.u8())
            let critical = try r.u8() & 0x80 != 0
            let length = Int(try r.u16())
            guard length >= 4, length - 4 <= r.remaining else {
                throw IKEWireError(.badLength, at: start + 2, "\(type) payload length \(length), \(r.remaining + 4) left")
            }
            var body = try r.sub(length - 4)
            let payload: IKEPayload
            if type.isKnown {
                // RFC 7296 2.5: the critical bit is ignored for payload types the receiver understands.
                payload = try IKEPayload.decodeBody(type: type, next: next, &body)
            } else if critical {
                throw IKEWireError(.unsupportedCriticalPayload(type), at: start, "critical payload type \(type.rawValue)")
            } else {
                payload = .unknown(UnknownPayload(type: type, critical: false, body: body.readRest()))
            }
            payloads.append(payload)
            if payload.ownNextPayload != nil {
                if inner {
                    throw IKEWireError(.invalidSyntax, at: start, "\(type) inside an encrypted payload")
                }
                guard r.isAtEnd else {
                    throw IKEWireError(.invalidSyntax, at: r.offset, "payloads after \(type), which must be last")
                }
                return payloads
            }
            type = next
        }
        guard r.isAtEnd else {
            throw IKEWireError(.badLength, at: r.offset, "\(r.remaining) bytes after the last payload")
        }
        return payloads
    }

    /// Writes the payloads with their generic headers; returns the type for the field that precedes the
    /// chain (the IKE header's or SK's Next Payload).
    @discardableResult
    static func encode(_ payloads: [IKEPayload], to w: inout ByteWriter) -> PayloadType {
        for (i, payload) in payloads.enumerated() {
            let next = payload.ownNextPayload ?? (i + 1 < payloads.count ? payloads[i + 1].type : .noNextPayload)
            let start = w.count
            w.u8(next.rawValue)
            w.u8(payload.isCritical ? 0x80 : 0)
            w.u16(0)
            payload.encodeBody(to: &w)
            w.patchLength16(at: start + 2, from: start)
        }
        return payloads.first?.type ?? .noNextPayload
    }
}

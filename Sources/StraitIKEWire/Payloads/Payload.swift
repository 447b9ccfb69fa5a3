/// One IKEv2 payload. The generic payload header (Next Payload, Critical, Payload Length; RFC 7296
/// section 3.2) is not stored: the chain encoder derives it from the payload's place in the list.
public enum IKEPayload: Hashable, Sendable {
    case securityAssociation(SecurityAssociationPayload)
    case keyExchange(KeyExchangePayload)
    case identificationInitiator(IdentificationPayload)
    case identificationResponder(IdentificationPayload)
    case certificate(CertificatePayload)
    case certificateRequest(CertificateRequestPayload)
    case authentication(AuthenticationPayload)
    case nonce(NoncePayload)
    case notify(NotifyPayload)
    case delete(DeletePayload)
    case vendorID(VendorIDPayload)
    case trafficSelectorsInitiator(TrafficSelectorsPayload)
    case trafficSelectorsResponder(TrafficSelectorsPayload)
    case encrypted(EncryptedPayload)
    case configuration(ConfigurationPayload)
    case eap(EAPPayload)
    case encryptedFragment(EncryptedFragmentPayload)
    case unknown(UnknownPayload)

    /// The payload type written in the preceding Next Payload field.
    public var type: PayloadType {
        switch self {
        case .securityAssociation: return .securityAssociation
        case .keyExchange: return .keyExchange
        case .identificationInitiator: return .identificationInitiator
        case .identificationResponder: return .identificationResponder
        case .certificate: return .certificate
        case .certificateRequest: return .certificateRequest
        case .authentication: return .authentication
        case .nonce: return .nonce
        case .notify: return .notify
        case .delete: return .delete
        case .vendorID: return .vendorID
        case .trafficSelectorsInitiator: return .trafficSelectorsInitiator
        case .trafficSelectorsResponder: return .trafficSelectorsResponder
        case .encrypted: return .encrypted
        case .configuration: return .configuration
        case .eap: return .eap
        case .encryptedFragment: return .encryptedFragment
        case .unknown(let u): return u.type
        }
    }

    /// Decodes the body of a payload of a known type. `body` spans exactly the payload's body; `next` is
    /// the payload's own Next Payload field (SK and SKF keep it as the first inner payload type).
    static func decodeBody(type: PayloadType, next: PayloadType, _ body: inout ByteReader) throws -> IKEPayload {
        let payload: IKEPayload
        switch type {
        case .securityAssociation: payload = .securityAssociation(try .decode(&body))
        case .keyExchange: payload = .keyExchange(try .decode(&body))
        case .identificationInitiator: payload = .identificationInitiator(try .decode(&body))
        case .identificationResponder: payload = .identificationResponder(try .decode(&body))
        case .certificate: payload = .certificate(try .decode(&body))
        case .certificateRequest: payload = .certificateRequest(try .decode(&body))
        case .authentication: payload = .authentication(try .decode(&body))
        case .nonce: payload = .nonce(try .decode(&body))
        case .notify: payload = .notify(try .decode(&body))
        case .delete: payload = .delete(try .decode(&body))
        case .vendorID: payload = .vendorID(try .decode(&body))
        case .trafficSelectorsInitiator: payload = .trafficSelectorsInitiator(try .decode(&body))
        case .trafficSelectorsResponder: payload = .trafficSelectorsResponder(try .decode(&body))
        case .encrypted: payload = .encrypted(EncryptedPayload(firstPayloadType: next, body: body.readRest()))
        case .configuration: payload = .configuration(try .decode(&body))
        case .eap: payload = .eap(try .decode(&body))
        case .encryptedFragment: payload = .encryptedFragment(try .decode(&body, firstPayloadType: next))
        default: payload = .unknown(UnknownPayload(type: type, critical: false, body: body.readRest()))
        }
        // Every body decoder consumes its whole body or throws; this guards against one that forgets.
        guard body.isAtEnd else { throw IKEWireError(.badLength, at: body.offset, "bytes left in \(type) payload") }
        return payload
    }

    /// The value for the next-payload field of this payload's own generic header, when the payload fixes it
    /// itself (SK and SKF name their first inner payload); nil for every other payload.
    var ownNextPayload: PayloadType? {
        switch self {
        case .encrypted(let sk): return sk.firstPayloadType
        case .encryptedFragment(let skf): return skf.firstPayloadType
        default: return nil
        }
    }

    /// The Critical bit: set only for unknown payloads built with it (RFC 7296 section 2.5: zero for every
    /// payload type the RFC defines).
    var isCritical: Bool { if case .unknown(let u) = self { return u.critical } else { return false } }

    func encodeBody(to w: inout ByteWriter) {
        switch self {
        case .securityAssociation(let p): p.encode(to: &w)
        case .keyExchange(let p): p.encode(to: &w)
        case .identificationInitiator(let p), .identificationResponder(let p): p.encode(to: &w)
        case .certificate(let p): p.encode(to: &w)
        case .certificateRequest(let p): p.encode(to: &w)
        case .authentication(let p): p.encode(to: &w)
        case .nonce(let p): p.encode(to: &w)
        case .notify(let p): p.encode(to: &w)
        case .delete(let p): p.encode(to: &w)
        case .vendorID(let p): p.encode(to: &w)
        case .trafficSelectorsInitiator(let p), .trafficSelectorsResponder(let p): p.encode(to: &w)
        case .encrypted(let p): w.append(p.body)
        case .configuration(let p): p.encode(to: &w)
        case .eap(let p): p.encode(to: &w)
        case .encryptedFragment(let p): p.encode(to: &w)
        case .unknown(let p): w.append(p.body)
        }
    }
}

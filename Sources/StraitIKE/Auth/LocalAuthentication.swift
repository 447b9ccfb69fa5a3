import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// Our side of IKE_AUTH (RFC 7296 2.15, RFC 7427): the ID payload, the CERT payloads and the
/// AUTH payload, the way the VPN definition's `local-auth` says.
///
/// With a certificate we send it (and the intermediates that follow it in the file) whether or
/// not the peer sent a CERTREQ: without hash-and-URL the peer has no other way to get it. AUTH
/// is a Digital Signature (method 14) with the scheme that fits our key and a hash the peer
/// listed in SIGNATURE_HASH_ALGORITHMS. A peer that listed none gets the key's own method for
/// ECDSA (9 for P-256, 10 for P-384, as strongSwan does) and method 14 with SHA-256 for RSA:
/// Strait never signs with method 1's SHA-1.
struct LocalAuthentication {
    let engine: IKEEngineContext

    /// Our IDi/IDr: the configured local-id; a DN as the certificate's subject bytes when the
    /// certificate is ours (so that the peer can compare them with the certificate exactly).
    func idPayload(_ vpn: VPNDefinition) -> IdentificationPayload {
        if case .distinguishedName = vpn.localID, let local = engine.credentials.locals[vpn.name],
           CertificateIdentity.contains(local.certificate, subject: local.subjectAttributes, vpn.localID) {
            return IdentificationPayload(idType: .derASN1DN, data: local.subject)
        }
        return Identities.payload(vpn.localID)
    }

    /// [CERT...] + AUTH for our ID payload `id`. `peerIdentity`: the peer's identity when we are
    /// the responder (it picks the PSK); the initiator takes the PSK for the VPN's remote-id.
    func payloads(ike: IKESA, vpn: VPNDefinition, id: IdentificationPayload, peerIdentity: IKEIdentity?) throws -> [IKEPayload] {
        let prf = PRFAlgorithm(rawValue: ike.proposal.prf.rawValue)!
        let octets = ike.role == .initiator
            ? IKEAuthentication.signedOctets(realMessage: ike.initRequest, peerNonce: ike.nonceR, prf: prf,
                                             skP: ike.keys.skPi, idPayloadBody: id.authenticationOctets)
            : IKEAuthentication.signedOctets(realMessage: ike.initResponse, peerNonce: ike.nonceI, prf: prf,
                                             skP: ike.keys.skPr, idPayloadBody: id.authenticationOctets)
        switch vpn.localAuth {
        case .psk:
            let psk = peerIdentity.flatMap { engine.config.psk(for: vpn, remoteID: $0) }
                ?? vpn.psk ?? engine.config.psks.first(where: { $0.ids.contains(vpn.remoteID) })?.secret
            guard let psk else { throw IKEError.internal("no PSK for '\(vpn.name)'") }
            let mic = IKEAuthentication.sharedKeyAuth(prf: prf, sharedSecret: SecretBytes(copying: psk.bytes), signedOctets: octets)
            return [.authentication(AuthenticationPayload(method: WireAuthMethod.sharedKeyMIC, data: mic))]
        case .certificate:
            guard let local = engine.credentials.locals[vpn.name] else { throw IKEError.internal("no certificate loaded for '\(vpn.name)'") }
            let peerHashes = CertificateNegotiation.peerHashes(ike)
            let (method, scheme) = try Self.choose(local.key.keyType, peerHashes: peerHashes)
            let data: [UInt8]
            do {
                data = try IKESignature.sign(octets, with: local.key, method: method, scheme: scheme ?? .ecdsaSHA256)
            } catch {
                throw IKEError.internal("signing AUTH with \(local.file)'s key: \(error)")
            }
            if let requested = CertificateNegotiation.peerCertificateRequests(ike), !requested.isEmpty {
                engine.logger.debug("ike \(ike.remote): the peer asks for certificates from \(requested.count) CA(s); sending \(local.file)")
            }
            let certs = ([local.der] + local.intermediates).map {
                IKEPayload.certificate(CertificatePayload(encoding: .x509Signature, data: $0))
            }
            return certs + [.authentication(AuthenticationPayload(method: WireAuthMethod(method.rawValue), data: data))]
        }
    }

    /// The AUTH method (and for method 14 the scheme) for our key and the peer's hashes.
    static func choose(_ key: SignatureKeyType, peerHashes: Set<UInt16>?) throws -> (SignatureMethod, SignatureScheme?) {
        guard let peerHashes else {
            switch key {
            case .p256: return (.ecdsaSHA256P256, nil)
            case .p384: return (.ecdsaSHA384P384, nil)
            case .rsa: return (.digitalSignature, .rsaPKCS1SHA256)
            }
        }
        let preferred: [SignatureScheme]
        switch key {
        case .p256: preferred = [.ecdsaSHA256, .ecdsaSHA384, .ecdsaSHA512]
        case .p384: preferred = [.ecdsaSHA384, .ecdsaSHA512, .ecdsaSHA256]
        case .rsa: preferred = [.rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512]
        }
        guard let scheme = preferred.first(where: { peerHashes.contains($0.hash.rawValue) }) else {
            throw IKEError.protocolError("the peer's SIGNATURE_HASH_ALGORITHMS (\(peerHashes.sorted())) has none of SHA2-256/384/512")
        }
        return (.digitalSignature, scheme)
    }
}

/// What IKE_SA_INIT carries for certificates: SIGNATURE_HASH_ALGORITHMS (RFC 7427 4) and
/// CERTREQ (RFC 7296 3.7: X.509, the SHA-1 hashes of the SubjectPublicKeyInfo of the CAs we
/// trust, concatenated).
enum CertificateNegotiation {
    /// The hashes we take in RFC 7427 signatures (IANA "IKEv2 Hash Algorithms").
    static let hashes: [SignatureScheme.Hash] = [.sha256, .sha384, .sha512]

    static func usesCertificates(_ vpn: VPNDefinition) -> Bool {
        if case .certificate = vpn.localAuth { return true }
        if case .certificate = vpn.remoteAuth { return true }
        return false
    }

    static var signatureHashNotify: IKEPayload {
        .notify(NotifyPayload(type: .signatureHashAlgorithms, data: hashes.flatMap { [UInt8($0.rawValue >> 8), UInt8($0.rawValue & 0xff)] }))
    }

    /// A CERTREQ naming the CAs of the VPNs whose peers authenticate with certificates; nil if none do.
    static func certificateRequest(_ vpns: [VPNDefinition], _ credentials: IKECredentials) -> IKEPayload? {
        var seen = Set<[UInt8]>(), authority: [UInt8] = []
        for vpn in vpns {
            for h in credentials.anchors[vpn.name]?.keyHashes ?? [] where seen.insert(h).inserted { authority += h }
        }
        guard !authority.isEmpty else { return nil }
        return .certificateRequest(CertificateRequestPayload(encoding: .x509Signature, authority: authority))
    }

    /// Our additions to the IKE_SA_INIT request for `vpn`.
    static func initRequestPayloads(_ vpn: VPNDefinition) -> [IKEPayload] {
        usesCertificates(vpn) ? [signatureHashNotify] : []
    }

    /// Our additions to the IKE_SA_INIT response: a CERTREQ when a candidate VPN takes
    /// certificates from its peers, SIGNATURE_HASH_ALGORITHMS when the initiator sent it and a
    /// candidate uses certificates either way.
    static func initResponsePayloads(request: [IKEPayload], candidates: [VPNDefinition], _ credentials: IKECredentials) -> [IKEPayload] {
        var out: [IKEPayload] = []
        if let certreq = certificateRequest(candidates, credentials) { out.append(certreq) }
        if request.notify(.signatureHashAlgorithms) != nil, candidates.contains(where: usesCertificates) {
            out.append(signatureHashNotify)
        }
        return out
    }

    /// The peer's IKE_SA_INIT payloads (the request when we answered, the response when we started).
    private static func peerInitPayloads(_ ike: IKESA) -> [IKEPayload] {
        (try? IKEMessage.decode(ike.role == .responder ? ike.initRequest : ike.initResponse))?.payloads ?? []
    }

    /// The hash algorithms the peer announced in IKE_SA_INIT; nil when it sent no SIGNATURE_HASH_ALGORITHMS.
    static func peerHashes(_ ike: IKESA) -> Set<UInt16>? {
        guard let n = peerInitPayloads(ike).notify(.signatureHashAlgorithms) else { return nil }
        return Set(stride(from: 0, to: n.data.count - 1, by: 2).map { UInt16(n.data[$0]) << 8 | UInt16(n.data[$0 + 1]) })
    }

    /// The CA key hashes of the peer's X.509 CERTREQs in its IKE_SA_INIT.
    static func peerCertificateRequests(_ ike: IKESA) -> [[UInt8]]? {
        let requests = peerInitPayloads(ike).compactMap { p -> CertificateRequestPayload? in
            if case .certificateRequest(let r) = p, r.encoding == .x509Signature { return r }
            return nil
        }
        guard !requests.isEmpty else { return nil }
        return requests.flatMap { r in stride(from: 0, to: r.authority.count - 19, by: 20).map { Array(r.authority[$0..<($0 + 20)]) } }
    }
}

/// StraitIKEWire's Auth Method (any value on the wire) and StraitIKECrypto's (the ones it signs with).
typealias WireAuthMethod = StraitIKEWire.AuthMethod
typealias SignatureMethod = StraitIKECrypto.AuthMethod

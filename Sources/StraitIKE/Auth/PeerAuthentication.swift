import Dispatch
import Foundation
import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire
@_spi(FixedExpiryValidationTime) import X509

/// Why the peer's authentication was refused (the exchange answers AUTHENTICATION_FAILED).
struct AuthFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// Checks the peer's AUTH payload (RFC 7296 2.15) the way its VPN definition's `remote-auth`
/// says: a PSK MIC (method 2), or a signature (methods 1, 9, 10, 11, 14) by the key of an X.509
/// certificate that came in CERT payloads (end-entity first, then intermediates; RFC 7296 3.6),
/// chains to one of the VPN's CAs (RFC 5280, swift-certificates' Verifier, at the engine's wall
/// clock), and holds the identity the peer claims (CertificateIdentity).
struct PeerAuthentication {
    let engine: IKEEngineContext

    /// - Returns: how the peer authenticated, for the log ("certificate CN=...").
    func verify(ike: IKESA, vpn: VPNDefinition, id: IdentificationPayload, identity: IKEIdentity,
                auth: AuthenticationPayload, payloads: [IKEPayload]) -> Result<String, AuthFailure> {
        let prf = PRFAlgorithm(rawValue: ike.proposal.prf.rawValue)!
        // The peer's signed octets: its IKE_SA_INIT message, our nonce, prf(SK_p of its side, ID).
        let octets = ike.role == .responder
            ? IKEAuthentication.signedOctets(realMessage: ike.initRequest, peerNonce: ike.nonceR, prf: prf,
                                             skP: ike.keys.skPi, idPayloadBody: id.authenticationOctets)
            : IKEAuthentication.signedOctets(realMessage: ike.initResponse, peerNonce: ike.nonceI, prf: prf,
                                             skP: ike.keys.skPr, idPayloadBody: id.authenticationOctets)
        switch vpn.remoteAuth {
        case .psk:
            guard auth.method == WireAuthMethod.sharedKeyMIC else {
                return .failure(AuthFailure(reason: "\(identity) uses auth method \(methodName(auth.method)), but remote-auth of '\(vpn.name)' is psk"))
            }
            guard let psk = engine.config.psk(for: vpn, remoteID: identity) else {
                return .failure(AuthFailure(reason: "no PSK for \(identity) in '\(vpn.name)'"))
            }
            guard IKEAuthentication.verifySharedKeyAuth(auth.data, prf: prf, sharedSecret: SecretBytes(copying: psk.bytes),
                                                        signedOctets: octets) else {
                return .failure(AuthFailure(reason: "AUTH from \(identity) does not verify with the PSK of '\(vpn.name)'"))
            }
            return .success("PSK")
        case .certificate:
            guard let anchors = engine.credentials.anchors[vpn.name] else {
                return .failure(AuthFailure(reason: "no CA certificates loaded for '\(vpn.name)'"))
            }
            guard auth.method != WireAuthMethod.sharedKeyMIC else {
                return .failure(AuthFailure(reason: "\(identity) uses a PSK, but remote-auth of '\(vpn.name)' is certificate"))
            }
            let check = Self.checkCertificates(payloads, identity: identity, anchors: anchors, at: engine.wallClock())
            switch check {
            case .failure(let f): return .failure(f)
            case .success(let (leaf, spki)):
                switch Self.verifySignature(auth, octets: octets, certificate: leaf, spki: spki) {
                case .failure(let f):
                    return .failure(AuthFailure(reason: "AUTH of \(identity) (certificate \(leaf.subject)): \(f.reason)"))
                case .success(let how):
                    return .success("certificate \(leaf.subject) (issuer \(leaf.issuer)), \(how)")
                }
            }
        }
    }

    /// The peer's certificate from the CERT payloads, validated to one of `anchors` at `time`,
    /// holding `identity`. Returns it with its SubjectPublicKeyInfo (DER).
    static func checkCertificates(_ payloads: [IKEPayload], identity: IKEIdentity, anchors: TrustAnchors,
                                  at time: Date) -> Result<(Certificate, [UInt8]), AuthFailure> {
        let certs = payloads.compactMap { p -> CertificatePayload? in if case .certificate(let c) = p { return c }; return nil }
        let x509 = certs.filter { $0.encoding == .x509Signature }
        guard !x509.isEmpty else {
            let others = certs.map { CertificateEncoding.names[$0.encoding.rawValue] ?? "\($0.encoding.rawValue)" }
            return .failure(AuthFailure(reason: "\(identity) sent no X.509 certificate"
                                        + (others.isEmpty ? "" : " (only \(others.joined(separator: ", ")), which Strait does not take)")))
        }
        var chain: [Certificate] = []
        for (n, c) in x509.enumerated() {
            do { chain.append(try Certificate(derEncoded: c.data)) } catch {
                return .failure(AuthFailure(reason: "CERT payload \(n + 1) from \(identity) is not an X.509 certificate Strait can use: \(error)"))
            }
        }
        let leaf = chain[0]
        if time > leaf.notValidAfter {
            return .failure(AuthFailure(reason: "the certificate \(leaf.subject) of \(identity) expired on \(leaf.notValidAfter)"))
        }
        if time < leaf.notValidBefore {
            return .failure(AuthFailure(reason: "the certificate \(leaf.subject) of \(identity) is not valid before \(leaf.notValidBefore)"))
        }
        if case .failure(let f) = ChainValidator.validate(leaf: leaf, intermediates: Array(chain.dropFirst()),
                                                          anchors: anchors.certificates, at: time) {
            return .failure(AuthFailure(reason: "the certificate \(leaf.subject) of \(identity): \(f.reason)"))
        }
        guard let (subject, spki) = try? DERNode.subjectAndKey(ofTBS: Array(leaf.tbsCertificateBytes)) else {
            return .failure(AuthFailure(reason: "the certificate \(leaf.subject) does not decode"))
        }
        let attributes = (try? CertificateIdentity.attributes(ofName: subject)) ?? []
        guard CertificateIdentity.contains(leaf, subject: attributes, identity) else {
            return .failure(AuthFailure(reason: "identity \(identity) is not in the certificate \(leaf.subject) "
                                        + "(\(CertificateIdentity.describeNames(leaf)))"))
        }
        return .success((leaf, spki))
    }

    /// Checks a signature AUTH payload over `octets` with the certificate's key. Returns the
    /// method (and scheme) for the log.
    static func verifySignature(_ auth: AuthenticationPayload, octets: [UInt8], certificate: Certificate,
                                spki: [UInt8]) -> Result<String, AuthFailure> {
        let curve = SPKIInfo.curve(spki)
        let key = try? VerificationKey(subjectPublicKeyInfoDER: spki)
        let name = methodName(auth.method)
        do {
            let valid: Bool
            var how = name
            switch WireAuthMethod(auth.method.rawValue) {
            case .rsaDigitalSignature:
                guard let key, key.keyType == .rsa else { return .failure(AuthFailure(reason: "auth method 1 (RSA) with a key that is not RSA")) }
                valid = try IKESignature.verifyRSASHA1(auth.data, octets: octets, key: key)
            case .ecdsaSHA256P256, .ecdsaSHA384P384:
                guard let key else { return .failure(AuthFailure(reason: "\(name) with a key Strait cannot use")) }
                valid = try IKESignature.verify(auth.data, method: SignatureMethod(rawValue: auth.method.rawValue)!, octets: octets, key: key)
            case .ecdsaSHA512P521:
                guard curve == .p521, auth.data.count == 132 else {
                    return .failure(AuthFailure(reason: "auth method 11 needs a P-521 key and a 132-octet r|s signature"))
                }
                valid = certificate.publicKey.isValidSignature(DERNode.ecdsaSignature(rawRS: auth.data), for: octets,
                                                               signatureAlgorithm: .ecdsaWithSHA512)
            case .digitalSignature:
                if let key {
                    valid = try IKESignature.verify(auth.data, method: .digitalSignature, octets: octets, key: key)
                    how += " " + (schemeName(auth.data) ?? "")
                } else if curve == .p521 {
                    // P-521 is beyond StraitIKECrypto's keys: swift-certificates checks it.
                    guard let length = auth.data.first.map(Int.init), auth.data.count > 1 + length else {
                        return .failure(AuthFailure(reason: "malformed RFC 7427 AUTH data"))
                    }
                    let identifier = Array(auth.data[1..<(1 + length)])
                    let schemes: [(SignatureScheme, Certificate.SignatureAlgorithm)] = [
                        (.ecdsaSHA256, .ecdsaWithSHA256), (.ecdsaSHA384, .ecdsaWithSHA384), (.ecdsaSHA512, .ecdsaWithSHA512)]
                    guard let algorithm = schemes.first(where: { $0.0.algorithmIdentifier == identifier })?.1 else {
                        return .failure(AuthFailure(reason: "an RFC 7427 scheme that does not fit a P-521 key"))
                    }
                    valid = certificate.publicKey.isValidSignature(Array(auth.data[(1 + length)...]), for: octets,
                                                                   signatureAlgorithm: algorithm)
                } else {
                    return .failure(AuthFailure(reason: "the certificate's key is not RSA (2048 bits or more), P-256, P-384 or P-521"))
                }
            default:
                return .failure(AuthFailure(reason: "auth method \(name) is not a signature Strait checks"))
            }
            return valid ? .success(how) : .failure(AuthFailure(reason: "the \(how) signature does not verify"))
        } catch {
            return .failure(AuthFailure(reason: "\(name): \(error)"))
        }
    }

    static func schemeName(_ data: [UInt8]) -> String? {
        guard let length = data.first.map(Int.init), data.count > 1 + length else { return nil }
        let identifier = Array(data[1..<(1 + length)])
        return SignatureScheme.allCases.first { $0.algorithmIdentifier == identifier }.map { "\($0)" }
    }
}

func methodName(_ m: WireAuthMethod) -> String {
    "\(WireAuthMethod.names[m.rawValue] ?? "method") (\(m.rawValue))"
}

/// What a SubjectPublicKeyInfo's algorithm says (RFC 5480): the named curve of an EC key.
enum SPKIInfo {
    enum Curve { case p256, p384, p521, other }

    static func curve(_ spki: [UInt8]) -> Curve? {
        guard let top = try? DERNode.parse(spki), let parts = try? top.children(spki), let algorithm = parts.first,
              let fields = try? algorithm.children(spki), fields.count == 2, fields[0].tag == 0x06,
              DERNode.oidString(Array(spki[fields[0].content])) == "1.2.840.10045.2.1", fields[1].tag == 0x06
        else { return nil }
        switch DERNode.oidString(Array(spki[fields[1].content])) {
        case "1.2.840.10045.3.1.7": return .p256
        case "1.3.132.0.34": return .p384
        case "1.3.132.0.35": return .p521
        default: return .other
        }
    }
}

/// Path validation with swift-certificates (RFC 5280 policy: validity at `time`, basic
/// constraints, name constraints; signatures along the chain).
///
/// The Verifier is async; the engine is not. Validation runs as a detached task while the
/// engine's thread waits for it: the stores are in memory, so it never waits on I/O and takes
/// about as long as the signature checks. The engine must therefore not be driven from a
/// Swift-concurrency executor thread (the I/O shell drives it from a NIO event loop; tests from
/// the main thread).
enum ChainValidator {
    static func validate(leaf: Certificate, intermediates: [Certificate], anchors: [Certificate],
                         at time: Date) -> Result<[Certificate], AuthFailure> {
        final class Box: @unchecked Sendable { var result: CertificateValidationResult? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let roots = CertificateStore(anchors), others = CertificateStore(intermediates)
        Task.detached {
            var verifier = Verifier(rootCertificates: roots) { RFC5280Policy(fixedExpiryValidationTime: time) }
            box.result = await verifier.validate(leaf: leaf, intermediates: others)
            done.signal()
        }
        done.wait()
        switch box.result {
        case .validCertificate(let chain)?:
            return .success(Array(chain))
        case .couldNotValidate(let failures)?:
            if let first = failures.first {
                return .failure(AuthFailure(reason: "\(first.policyFailureReason)"))
            }
            return .failure(AuthFailure(reason: "no chain to a trusted CA (issuer \(leaf.issuer), "
                                        + "\(intermediates.count) intermediate\(intermediates.count == 1 ? "" : "s") sent)"))
        case nil:
            return .failure(AuthFailure(reason: "chain validation did not finish"))
        }
    }
}

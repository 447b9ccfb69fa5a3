// Signing and verifying the AUTH payload (RFC 7296 2.15, 3.8).
//
//   method 9  (RFC 4754): ECDSA P-256 with SHA-256, signature = r | s, 32 octets each
//   method 10 (RFC 4754): ECDSA P-384 with SHA-384, signature = r | s, 48 octets each
//   method 14 (RFC 7427): 1-octet length | AlgorithmIdentifier | signature, where an ECDSA
//             signature is the DER Ecdsa-Sig-Value (RFC 7427 3, as in X.509) and RSA is
//             PKCS#1 v1.5 or PSS.
//
// Keys come from PEM (operator files) or SubjectPublicKeyInfo DER (the peer's certificate,
// validated elsewhere with swift-certificates). RSA keys under 2048 bits are refused by
// _CryptoExtras.

import Crypto
import _CryptoExtras
import Foundation

public struct SigningKey: Sendable {
    // @unchecked: swift-crypto 3.12 does not mark the EC key types Sendable on Linux; they are
    // immutable after creation.
    enum Backing: @unchecked Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }
    let backing: Backing

    init(_ backing: Backing) { self.backing = backing }

    /// An EC (SEC1 or PKCS#8) P-256 / P-384 key or an RSA (PKCS#1 or PKCS#8) key.
    public init(pemRepresentation pem: String) throws {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            backing = .p256(key)
        } else if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) {
            backing = .p384(key)
        } else if let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) {
            backing = .rsa(key)
        } else {
            throw IKECryptoError(.invalidKey, "not a P-256, P-384 or RSA (2048 bits or more) private key")
        }
    }

    public var publicKey: VerificationKey {
        switch backing {
        case .p256(let key): return VerificationKey(.p256(key.publicKey))
        case .p384(let key): return VerificationKey(.p384(key.publicKey))
        case .rsa(let key): return VerificationKey(.rsa(key.publicKey))
        }
    }
}

public struct VerificationKey: Sendable {
    enum Backing: @unchecked Sendable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)
    }
    let backing: Backing

    init(_ backing: Backing) { self.backing = backing }

    /// A "PUBLIC KEY" PEM (SubjectPublicKeyInfo).
    public init(pemRepresentation pem: String) throws {
        if let key = try? P256.Signing.PublicKey(pemRepresentation: pem) {
            backing = .p256(key)
        } else if let key = try? P384.Signing.PublicKey(pemRepresentation: pem) {
            backing = .p384(key)
        } else if let key = try? _RSA.Signing.PublicKey(pemRepresentation: pem) {
            backing = .rsa(key)
        } else {
            throw IKECryptoError(.invalidKey, "not a P-256, P-384 or RSA (2048 bits or more) public key")
        }
    }

    /// SubjectPublicKeyInfo DER, e.g. from a certificate's public key.
    public init(subjectPublicKeyInfoDER der: [UInt8]) throws {
        if let key = try? P256.Signing.PublicKey(derRepresentation: der) {
            backing = .p256(key)
        } else if let key = try? P384.Signing.PublicKey(derRepresentation: der) {
            backing = .p384(key)
        } else if let key = try? _RSA.Signing.PublicKey(derRepresentation: der) {
            backing = .rsa(key)
        } else {
            throw IKECryptoError(.invalidKey, "not a P-256, P-384 or RSA (2048 bits or more) public key")
        }
    }
}

public enum IKESignature {
    /// The Authentication Data of an AUTH payload with `method` (9, 10 or 14) over `octets`
    /// (from IKEAuthentication.signedOctets). `scheme` matters for method 14 only; methods 9
    /// and 10 fix it and need a P-256 or P-384 key respectively.
    public static func sign(_ octets: [UInt8], with key: SigningKey, method: AuthMethod,
                            scheme: SignatureScheme) throws -> [UInt8] {
        do {
            switch (method, key.backing) {
            case (.ecdsaSHA256P256, .p256(let key)):
                return Array(try key.signature(for: SHA256.hash(data: octets)).rawRepresentation)
            case (.ecdsaSHA384P384, .p384(let key)):
                return Array(try key.signature(for: SHA384.hash(data: octets)).rawRepresentation)
            case (.digitalSignature, _):
                let identifier = scheme.algorithmIdentifier
                return [UInt8(identifier.count)] + identifier + (try digitalSignature(octets, key.backing, scheme))
            default:
                throw IKECryptoError(.unsupportedAlgorithm, "auth method \(method.rawValue) with this key")
            }
        } catch let error as IKECryptoError {
            throw error
        } catch {
            throw IKECryptoError(.signingFailed, "\(scheme)")
        }
    }

    /// Checks a received AUTH payload. Returns false for a signature that does not verify;
    /// throws for data that cannot be judged (malformed, an unknown AlgorithmIdentifier, a key
    /// that does not fit the method). Either way the protocol answers AUTHENTICATION_FAILED.
    /// `acceptable` restricts method 14 to the schemes policy allows (RFC 7427 weak-hash rules).
    public static func verify(_ authData: [UInt8], method: AuthMethod, octets: [UInt8], key: VerificationKey,
                              acceptable: Set<SignatureScheme> = Set(SignatureScheme.allCases)) throws -> Bool {
        switch (method, key.backing) {
        case (.ecdsaSHA256P256, .p256(let key)):
            guard authData.count == 64, let signature = try? P256.Signing.ECDSASignature(rawRepresentation: authData) else {
                throw IKECryptoError(.malformedSignature, "method 9 signature is 64 octets r|s")
            }
            return key.isValidSignature(signature, for: SHA256.hash(data: octets))
        case (.ecdsaSHA384P384, .p384(let key)):
            guard authData.count == 96, let signature = try? P384.Signing.ECDSASignature(rawRepresentation: authData) else {
                throw IKECryptoError(.malformedSignature, "method 10 signature is 96 octets r|s")
            }
            return key.isValidSignature(signature, for: SHA384.hash(data: octets))
        case (.digitalSignature, _):
            guard let length = authData.first, authData.count > 1 + Int(length) else {
                throw IKECryptoError(.malformedSignature, "method 14 data shorter than its AlgorithmIdentifier")
            }
            let identifier = authData[1..<(1 + Int(length))]
            guard let scheme = SignatureScheme.from(algorithmIdentifier: identifier) else {
                throw IKECryptoError(.unsupportedAlgorithm, "unknown AlgorithmIdentifier in AUTH")
            }
            guard acceptable.contains(scheme) else {
                throw IKECryptoError(.unsupportedAlgorithm, "\(scheme) not allowed by policy")
            }
            return try verifyDigitalSignature(Array(authData[(1 + Int(length))...]), octets, key.backing, scheme)
        default:
            throw IKECryptoError(.unsupportedAlgorithm, "auth method \(method.rawValue) with this key")
        }
    }

    // swift-crypto picks the RSA DigestInfo / PSS hash from the digest's static type, so the
    // hash choice has to become a type here rather than a value.
    private static func digitalSignature(_ octets: [UInt8], _ key: SigningKey.Backing,
                                         _ scheme: SignatureScheme) throws -> [UInt8] {
        switch scheme.hash {
        case .sha256: return try digitalSignature(SHA256.hash(data: octets), key, scheme)
        case .sha384: return try digitalSignature(SHA384.hash(data: octets), key, scheme)
        case .sha512: return try digitalSignature(SHA512.hash(data: octets), key, scheme)
        }
    }

    private static func verifyDigitalSignature(_ signature: [UInt8], _ octets: [UInt8], _ key: VerificationKey.Backing,
                                               _ scheme: SignatureScheme) throws -> Bool {
        switch scheme.hash {
        case .sha256: return try verifyDigitalSignature(signature, SHA256.hash(data: octets), key, scheme)
        case .sha384: return try verifyDigitalSignature(signature, SHA384.hash(data: octets), key, scheme)
        case .sha512: return try verifyDigitalSignature(signature, SHA512.hash(data: octets), key, scheme)
        }
    }

    private static func digitalSignature<D: Digest>(_ digest: D, _ key: SigningKey.Backing,
                                                    _ scheme: SignatureScheme) throws -> [UInt8] {
        switch key {
        case .p256(let key) where scheme.isECDSA:
            return Array(try key.signature(for: digest).derRepresentation)
        case .p384(let key) where scheme.isECDSA:
            return Array(try key.signature(for: digest).derRepresentation)
        case .rsa(let key) where !scheme.isECDSA:
            let padding: _RSA.Signing.Padding = scheme.isPSS ? .PSS : .insecurePKCS1v1_5
            return Array(try key.signature(for: digest, padding: padding).rawRepresentation)
        default:
            throw IKECryptoError(.unsupportedAlgorithm, "\(scheme) with this key type")
        }
    }

    private static func verifyDigitalSignature<D: Digest>(_ signature: [UInt8], _ digest: D,
                                                          _ key: VerificationKey.Backing,
                                                          _ scheme: SignatureScheme) throws -> Bool {
        switch key {
        case .p256(let key) where scheme.isECDSA:
            guard let value = try? P256.Signing.ECDSASignature(derRepresentation: signature) else {
                throw IKECryptoError(.malformedSignature, "ECDSA signature is not DER")
            }
            return key.isValidSignature(value, for: digest)
        case .p384(let key) where scheme.isECDSA:
            guard let value = try? P384.Signing.ECDSASignature(derRepresentation: signature) else {
                throw IKECryptoError(.malformedSignature, "ECDSA signature is not DER")
            }
            return key.isValidSignature(value, for: digest)
        case .rsa(let key) where !scheme.isECDSA:
            let padding: _RSA.Signing.Padding = scheme.isPSS ? .PSS : .insecurePKCS1v1_5
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: digest,
                                        padding: padding)
        default:
            throw IKECryptoError(.unsupportedAlgorithm, "\(scheme) does not fit the peer's key type")
        }
    }
}

extension SigningKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SigningKey(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

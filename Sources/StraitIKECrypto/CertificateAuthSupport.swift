// What certificate authentication needs from the crypto layer beyond Signatures.swift:
//
//   - checking auth method 1 (RFC 7296 3.8, "RSA Digital Signature": RSASSA-PKCS1-v1_5 with
//     SHA-1) from peers that do not do RFC 7427. We never sign that way (see AuthMethod): our
//     RSA signatures are method 14 with SHA-2;
//   - the kind of a key, to pick the AUTH method and RFC 7427 scheme that fit it;
//   - SHA-1 of a SubjectPublicKeyInfo, the CERTREQ "Certification Authority" value (RFC 7296 3.7).

import Crypto
import _CryptoExtras

/// The kind of a signing or verification key.
public enum SignatureKeyType: String, Sendable, Hashable {
    case p256 = "ECDSA P-256"
    case p384 = "ECDSA P-384"
    case rsa = "RSA"
}

extension SigningKey {
    public var keyType: SignatureKeyType {
        switch backing {
        case .p256: return .p256
        case .p384: return .p384
        case .rsa: return .rsa
        }
    }
}

extension VerificationKey {
    public var keyType: SignatureKeyType {
        switch backing {
        case .p256: return .p256
        case .p384: return .p384
        case .rsa: return .rsa
        }
    }
}

extension IKESignature {
    /// Checks method-1 AUTH data. Throws when the key is not RSA.
    public static func verifyRSASHA1(_ authData: [UInt8], octets: [UInt8], key: VerificationKey) throws -> Bool {
        guard case .rsa(let rsa) = key.backing else {
            throw IKECryptoError(.unsupportedAlgorithm, "auth method 1 with a key that is not RSA")
        }
        return rsa.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: authData),
                                    for: Insecure.SHA1.hash(data: octets), padding: .insecurePKCS1v1_5)
    }
}

public enum IKEDigest {
    /// SHA-1 (CERTREQ authorities: SHA-1 of a CA's SubjectPublicKeyInfo; not for signatures).
    public static func sha1(_ bytes: [UInt8]) -> [UInt8] { Array(Insecure.SHA1.hash(data: bytes)) }
}

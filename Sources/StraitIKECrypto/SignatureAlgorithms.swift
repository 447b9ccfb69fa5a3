// The signature schemes of RFC 7427 (Digital Signature, auth method 14) and the DER
// AlgorithmIdentifiers that name them inside the AUTH payload.
//
// Encodings follow RFC 7427 Appendix A: the RSA PKCS#1 v1.5 and PSS identifiers carry NULL
// hash parameters, ECDSA identifiers have no parameters, and the PSS identifier spells out
// hash = MGF1 hash = SHA-2 with salt length = hash length and trailerField 1 (A.4.3).
// When verifying we also accept the equally valid PSS spellings without the NULLs and without
// the default trailerField (RFC 4055 2.1 and 3.1 allow both), since peers differ there.

public enum SignatureScheme: Sendable, Hashable, CaseIterable {
    case ecdsaSHA256, ecdsaSHA384, ecdsaSHA512
    case rsaPKCS1SHA256, rsaPKCS1SHA384, rsaPKCS1SHA512
    case rsaPSSSHA256, rsaPSSSHA384, rsaPSSSHA512

    public enum Hash: UInt16, Sendable, Hashable {
        // RFC 7427 4, IANA "IKEv2 Hash Algorithms" (SIGNATURE_HASH_ALGORITHMS notify).
        case sha256 = 2, sha384 = 3, sha512 = 4
    }

    public var hash: Hash {
        switch self {
        case .ecdsaSHA256, .rsaPKCS1SHA256, .rsaPSSSHA256: return .sha256
        case .ecdsaSHA384, .rsaPKCS1SHA384, .rsaPSSSHA384: return .sha384
        case .ecdsaSHA512, .rsaPKCS1SHA512, .rsaPSSSHA512: return .sha512
        }
    }

    public var isECDSA: Bool { [.ecdsaSHA256, .ecdsaSHA384, .ecdsaSHA512].contains(self) }
    public var isPSS: Bool { [.rsaPSSSHA256, .rsaPSSSHA384, .rsaPSSSHA512].contains(self) }

    /// The AlgorithmIdentifier we send (RFC 7427 Appendix A).
    public var algorithmIdentifier: [UInt8] { DER.algorithmIdentifiers(for: self)[0] }

    /// The scheme a received AlgorithmIdentifier names, if it is one we implement.
    static func from(algorithmIdentifier: ArraySlice<UInt8>) -> SignatureScheme? {
        allCases.first { scheme in DER.algorithmIdentifiers(for: scheme).contains { $0[...] == algorithmIdentifier } }
    }
}

/// Just enough DER to write the fixed identifiers above (all lengths are under 128).
enum DER {
    static func tlv(_ tag: UInt8, _ contents: [UInt8]) -> [UInt8] {
        precondition(contents.count < 128)
        return [tag, UInt8(contents.count)] + contents
    }
    static func sequence(_ parts: [UInt8]...) -> [UInt8] { tlv(0x30, parts.flatMap { $0 }) }
    static let null: [UInt8] = [0x05, 0x00]

    // OIDs, encoded contents of the OBJECT IDENTIFIER.
    static let rsaEncryptionArc: [UInt8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01] // 1.2.840.113549.1.1
    static let ecdsaWithSHA2Arc: [UInt8] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03]       // 1.2.840.10045.4.3
    static let hashAlgsArc: [UInt8] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02]      // 2.16.840.1.101.3.4.2

    static func oid(_ arc: [UInt8], _ last: UInt8) -> [UInt8] { tlv(0x06, arc + [last]) }

    static func hashOID(_ hash: SignatureScheme.Hash) -> [UInt8] {
        switch hash {
        case .sha256: return oid(hashAlgsArc, 1)
        case .sha384: return oid(hashAlgsArc, 2)
        case .sha512: return oid(hashAlgsArc, 3)
        }
    }

    static func hashLength(_ hash: SignatureScheme.Hash) -> UInt8 {
        switch hash {
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }

    /// Accepted encodings for a scheme; the first is the one we send.
    static func algorithmIdentifiers(for scheme: SignatureScheme) -> [[UInt8]] {
        switch scheme {
        case .ecdsaSHA256: return [sequence(oid(ecdsaWithSHA2Arc, 2))]
        case .ecdsaSHA384: return [sequence(oid(ecdsaWithSHA2Arc, 3))]
        case .ecdsaSHA512: return [sequence(oid(ecdsaWithSHA2Arc, 4))]
        case .rsaPKCS1SHA256: return [sequence(oid(rsaEncryptionArc, 11), null)]
        case .rsaPKCS1SHA384: return [sequence(oid(rsaEncryptionArc, 12), null)]
        case .rsaPKCS1SHA512: return [sequence(oid(rsaEncryptionArc, 13), null)]
        case .rsaPSSSHA256, .rsaPSSSHA384, .rsaPSSSHA512:
            var all: [[UInt8]] = []
            for withNull in [true, false] {
                for withTrailer in [true, false] {
                    all.append(pssIdentifier(scheme.hash, hashParamsNull: withNull, trailer: withTrailer))
                }
            }
            return all
        }
    }

    /// RSASSA-PSS-params (RFC 4055 3.1) with MGF1 over the same hash and salt = hash length.
    static func pssIdentifier(_ hash: SignatureScheme.Hash, hashParamsNull: Bool, trailer: Bool) -> [UInt8] {
        let hashAlgorithm = hashParamsNull ? sequence(hashOID(hash), null) : sequence(hashOID(hash))
        let mgf1 = sequence(oid(rsaEncryptionArc, 8), hashAlgorithm)
        var params = tlv(0xa0, hashAlgorithm) + tlv(0xa1, mgf1) + tlv(0xa2, tlv(0x02, [hashLength(hash)]))
        if trailer { params += tlv(0xa3, tlv(0x02, [0x01])) }
        return sequence(oid(rsaEncryptionArc, 10), tlv(0x30, params))
    }
}

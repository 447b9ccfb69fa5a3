// The negotiated pseudorandom function and prf+ (RFC 7296 2.13), and the truncated HMAC used
// as the SK payload's integrity transform (RFC 4868).
//
// Inputs are a list of parts rather than one concatenated array so that secret parts
// (g^ir, SK_d) are streamed into the HMAC and never copied into an Array we cannot wipe.

import Crypto
import Foundation

public struct PRF: Sendable, Hashable {
    public let algorithm: PRFAlgorithm

    public init(_ algorithm: PRFAlgorithm) {
        self.algorithm = algorithm
    }

    /// prf(key, part0 | part1 | ...). HMAC accepts keys of any length (RFC 2104), which is what
    /// SKEYSEED = prf(Ni | Nr, g^ir) needs.
    public func compute(key: some ContiguousBytes, _ parts: [any ContiguousBytes]) -> SecretBytes {
        compute(symmetricKey: SymmetricKey(data: key), parts)
    }

    /// prf(key, data) for a single data part.
    public func compute(key: some ContiguousBytes, _ data: some ContiguousBytes) -> SecretBytes {
        compute(key: key, [data])
    }

    /// prf+ (K, S) = T1 | T2 | ..., truncated to `length` octets (RFC 7296 2.13):
    ///   T1 = prf (K, S | 0x01), Tn = prf (K, T(n-1) | S | n).
    /// The counter is one octet, so at most 255 blocks can be produced.
    public func plus(key: some ContiguousBytes, seed: [any ContiguousBytes], length: Int) throws -> SecretBytes {
        let blockLength = algorithm.outputLength
        let blocks = (length + blockLength - 1) / blockLength
        guard length >= 0, blocks <= 255 else {
            throw IKECryptoError(.keyMaterialTooLong, "prf+ of \(length) octets needs \(blocks) blocks, 255 at most")
        }
        let symmetricKey = SymmetricKey(data: key)
        return SecretBytes(count: length) { out in
            var previous: SecretBytes? = nil
            var written = 0
            var n = 1
            while written < length {
                var parts: [any ContiguousBytes] = []
                if let previous { parts.append(previous) }
                parts.append(contentsOf: seed)
                parts.append([UInt8(n)])
                let block = self.compute(symmetricKey: symmetricKey, parts)
                let take = min(blockLength, length - written)
                block.withUnsafeBytes { bytes in
                    (out.baseAddress! + written).copyMemory(from: bytes.baseAddress!, byteCount: take)
                }
                written += take
                previous = block
                n += 1
            }
        }
    }

    private func compute(symmetricKey: SymmetricKey, _ parts: [any ContiguousBytes]) -> SecretBytes {
        switch algorithm {
        case .hmacSHA2_256: return Self.hmac(SHA256.self, symmetricKey, parts)
        case .hmacSHA2_384: return Self.hmac(SHA384.self, symmetricKey, parts)
        case .hmacSHA2_512: return Self.hmac(SHA512.self, symmetricKey, parts)
        }
    }

    static func hmac<H: HashFunction>(_: H.Type, _ key: SymmetricKey, _ parts: [any ContiguousBytes]) -> SecretBytes {
        var mac = HMAC<H>(key: key)
        for part in parts {
            part.withUnsafeBytes { mac.update(data: $0) }
        }
        return SecretBytes(copyingBytesOf: mac.finalize())
    }
}

extension IntegrityAlgorithm {
    /// The ICV: HMAC-SHA2 over `parts`, truncated to `icvLength` (RFC 4868 2.3).
    func icv(key: SymmetricKey, _ parts: [any ContiguousBytes]) -> [UInt8] {
        let full: SecretBytes
        switch self {
        case .hmacSHA2_256_128: full = PRF.hmac(SHA256.self, key, parts)
        case .hmacSHA2_384_192: full = PRF.hmac(SHA384.self, key, parts)
        case .hmacSHA2_512_256: full = PRF.hmac(SHA512.self, key, parts)
        }
        return full.withUnsafeBytes { Array($0.prefix(icvLength)) }
    }
}

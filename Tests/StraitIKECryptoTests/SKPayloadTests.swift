import XCTest
@testable import StraitIKECrypto

// Known answers from Python's `cryptography` package (AESGCM, AES-CBC) and `hmac`, same inputs:
//   hdr = SPIi 0102030405060708 | SPIr 1112131415161718 | next | 0x20 | 35 | 0x08 | msgid 1 | length
//   pt = bytes(range(0x30, 0x30+37))
//   GCM:  python3 -c "from cryptography.hazmat.primitives.ciphers.aead import AESGCM
//         print((iv + AESGCM(key).encrypt(salt + iv, pt + b'\x00', prefix)).hex())"
//         with key=bytes(range(0x40,0x50)), salt=a1a2a3a4, iv=0000000000000001 (SK, AES-GCM-16-128)
//         and key=bytes(range(0x60,0x80)), salt=b1b2b3b4, iv=1122334455667788 (SKF 2 of 3, AES-GCM-16-256)
//   CBC:  ct = AES-128-CBC(bytes(range(0x90,0xa0)), iv=bytes(range(0xe0,0xf0)), pt + bytes(10) + b'\x0a')
//         icv = hmac.new(bytes(range(0xa0,0xc0)), prefix + iv + ct, 'sha256').digest()[:16]
final class SKPayloadTests: XCTestCase {
    let plaintext = range(0x30, 0x30 + 37)

    let gcmPrefix = hex("010203040506070811121314151617182e202308000000010000005e23000042")
    let gcmSealed = hex("0000000000000001f51c8e8af3cad4c9b579d7fa3c28b09ac64e81269a3ae119c1dd36471ca964e9"
                        + "ab4273e704650c6af2d3fe7bb6b2e1787dc6e474919e")
    let skfPrefix = hex("010203040506070811121314151617183520230800000001000000620000004600020003")
    let skfSealed = hex("112233445566778815e7b4b79784b2ca64847b2b5819fb62bcbe5996efad16a2fb9d45fe346e3205"
                        + "ea1bdb20dd575bf9d7065d01c7e8dcf4ee6ec6c901b9")
    let cbcPrefix = hex("010203040506070811121314151617182e202308000000010000007023000054")
    let cbcSealed = hex("e0e1e2e3e4e5e6e7e8e9eaebecedeeef9da3e5ce093f09e4fb7fcddd012d8457b72fa292a41ae964"
                        + "6a298d24a1a532acd9e9613ca3b3ff46f8374bb81b5fd062929f4d433ef4354e585996870070b2f0")

    func gcm128() throws -> SKCipher {
        try SKCipher(encryption: .aesGCM16_128, integrity: nil,
                     encryptionKey: SecretBytes(copying: range(0x40, 0x50) + hex("a1a2a3a4")), integrityKey: nil)
    }
    func gcm256() throws -> SKCipher {
        try SKCipher(encryption: .aesGCM16_256, integrity: nil,
                     encryptionKey: SecretBytes(copying: range(0x60, 0x80) + hex("b1b2b3b4")), integrityKey: nil)
    }
    func cbc128() throws -> SKCipher {
        try SKCipher(encryption: .aesCBC_128, integrity: .hmacSHA2_256_128,
                     encryptionKey: SecretBytes(copying: range(0x90, 0xa0)), integrityKey: SecretBytes(copying: range(0xa0, 0xc0)))
    }

    func testGCMKnownAnswer() throws {
        let cipher = try gcm128()
        XCTAssertEqual(cipher.sealedLength(plaintextLength: 37), gcmSealed.count)
        XCTAssertEqual(try cipher.seal(messagePrefix: gcmPrefix, plaintext: plaintext, iv: hex("0000000000000001")), gcmSealed)
        XCTAssertEqual(try cipher.open(message: gcmPrefix + gcmSealed, bodyOffset: gcmPrefix.count), plaintext)
    }

    // RFC 7383 2.5: for SKF the AAD also covers Fragment Number and Total Fragments.
    func testSKFGCMKnownAnswer() throws {
        let cipher = try gcm256()
        XCTAssertEqual(try cipher.seal(messagePrefix: skfPrefix, plaintext: plaintext, iv: hex("1122334455667788")), skfSealed)
        XCTAssertEqual(try cipher.open(message: skfPrefix + skfSealed, bodyOffset: skfPrefix.count), plaintext)
        var otherFragment = skfPrefix + skfSealed
        otherFragment[33] = 1 // claim to be fragment 1
        XCTAssertThrowsError(try cipher.open(message: otherFragment, bodyOffset: skfPrefix.count)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .integrityCheckFailed)
        }
    }

    func testCBCKnownAnswer() throws {
        let cipher = try cbc128()
        XCTAssertEqual(cipher.sealedLength(plaintextLength: 37), cbcSealed.count)
        XCTAssertEqual(try cipher.seal(messagePrefix: cbcPrefix, plaintext: plaintext, iv: range(0xe0, 0xf0)), cbcSealed)
        XCTAssertEqual(try cipher.open(message: cbcPrefix + cbcSealed, bodyOffset: cbcPrefix.count), plaintext)
    }

    /// Flipping any single bit of AAD, IV, ciphertext or ICV must fail the integrity check.
    func testEveryTamperedByteFailsIntegrity() throws {
        for (cipher, message, offset) in [(try gcm128(), gcmPrefix + gcmSealed, gcmPrefix.count),
                                          (try cbc128(), cbcPrefix + cbcSealed, cbcPrefix.count)] {
            for index in message.indices {
                var tampered = message
                tampered[index] ^= 0x01
                XCTAssertThrowsError(try cipher.open(message: tampered, bodyOffset: offset), "octet \(index)") {
                    XCTAssertEqual(($0 as? IKECryptoError)?.code, .integrityCheckFailed, "octet \(index)")
                }
            }
        }
    }

    func testRoundTripsWithFreshIVs() throws {
        let suites: [(EncryptionAlgorithm, IntegrityAlgorithm?)] = [
            (.aesGCM16_128, nil), (.aesGCM16_256, nil),
            (.aesCBC_128, .hmacSHA2_256_128), (.aesCBC_256, .hmacSHA2_384_192), (.aesCBC_256, .hmacSHA2_512_256),
        ]
        for (encryption, integrity) in suites {
            let cipher = try SKCipher(encryption: encryption, integrity: integrity,
                                      encryptionKey: SecretBytes(randomCount: encryption.keyMaterialLength),
                                      integrityKey: try integrity.map { try SecretBytes(randomCount: $0.keyLength) })
            for length in [0, 1, 15, 16, 17, 100] {
                let inner = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                let prefix = Self.prefix(sealedLength: cipher.sealedLength(plaintextLength: length))
                let first = try cipher.seal(messagePrefix: prefix, plaintext: inner)
                let second = try cipher.seal(messagePrefix: prefix, plaintext: inner)
                XCTAssertEqual(first.count, cipher.sealedLength(plaintextLength: length))
                XCTAssertNotEqual(first.prefix(encryption.ivLength), second.prefix(encryption.ivLength), "IV reused")
                XCTAssertEqual(try cipher.open(message: prefix + first, bodyOffset: prefix.count), inner)
                XCTAssertEqual(try cipher.open(message: prefix + second, bodyOffset: prefix.count), inner)
            }
        }
    }

    // The GCM IV is a counter shared by every copy of the cipher value.
    func testGCMIVCounterIsSharedByCopies() throws {
        let cipher = try gcm128()
        let copy = cipher
        let prefix = Self.prefix(sealedLength: cipher.sealedLength(plaintextLength: 3))
        let a = try cipher.seal(messagePrefix: prefix, plaintext: [1, 2, 3])
        let b = try copy.seal(messagePrefix: prefix, plaintext: [1, 2, 3])
        XCTAssertEqual(Array(a.prefix(8)), hex("0000000000000001"))
        XCTAssertEqual(Array(b.prefix(8)), hex("0000000000000002"))
    }

    func testDirectionsUseTheRightKeys() throws {
        let suite = try IKESASuite(prf: .hmacSHA2_256, encryption: .aesGCM16_256, integrity: nil)
        let keys = try IKEKeyDerivation.initialIKESAKeys(suite: suite, sharedSecret: SecretBytes(randomCount: 32),
                                                         nonceI: range(0, 32), nonceR: range(32, 64), spiI: 1, spiR: 2)
        let initiator = try SKCipher.directions(for: keys, weAreOriginalInitiator: true)
        let responder = try SKCipher.directions(for: keys, weAreOriginalInitiator: false)
        let prefix = Self.prefix(sealedLength: initiator.outbound.sealedLength(plaintextLength: 5))
        let sent = try initiator.outbound.seal(messagePrefix: prefix, plaintext: [9, 8, 7, 6, 5])
        XCTAssertEqual(try responder.inbound.open(message: prefix + sent, bodyOffset: prefix.count), [9, 8, 7, 6, 5])
        XCTAssertThrowsError(try initiator.inbound.open(message: prefix + sent, bodyOffset: prefix.count))
    }

    func testShortAndMalformedBodies() throws {
        let gcm = try gcm128(), cbc = try cbc128()
        // GCM: IV + tag with no Pad Length octet.
        XCTAssertThrowsError(try gcm.open(message: gcmPrefix + [UInt8](repeating: 0, count: 24), bodyOffset: 32)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .tooShort)
        }
        // CBC: ciphertext not a whole number of blocks.
        XCTAssertThrowsError(try cbc.open(message: cbcPrefix + [UInt8](repeating: 0, count: 16 + 20 + 16), bodyOffset: 32)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .tooShort)
        }
        XCTAssertThrowsError(try cbc.open(message: cbcPrefix, bodyOffset: 40)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .tooShort)
        }
        // A stale IKE header length in the prefix is caught before sealing.
        XCTAssertThrowsError(try gcm.seal(messagePrefix: gcmPrefix, plaintext: plaintext + [0])) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .lengthMismatch)
        }
    }

    // A correctly authenticated message whose Pad Length claims more octets than there are.
    func testBadPadLengthIsReported() throws {
        let gcm = try gcm128()
        let gcmPrefix = Self.prefix(sealedLength: 8 + 4 + 16)
        let gcmBody = try gcm.sealPadded(messagePrefix: gcmPrefix, padded: [1, 2, 3, 200], iv: hex("0000000000000009"))
        let cbc = try cbc128()
        let cbcPrefix = Self.prefix(sealedLength: 16 + 16 + 16)
        let cbcBody = try cbc.sealPadded(messagePrefix: cbcPrefix, padded: [UInt8](repeating: 16, count: 16), iv: range(0, 16))
        for (cipher, message, offset) in [(gcm, gcmPrefix + gcmBody, gcmPrefix.count), (cbc, cbcPrefix + cbcBody, cbcPrefix.count)] {
            XCTAssertThrowsError(try cipher.open(message: message, bodyOffset: offset)) {
                XCTAssertEqual(($0 as? IKECryptoError)?.code, .badPadding)
            }
        }
        // Pad Length 15 in a 16-octet block is the most there can be: an empty inner payload list.
        let full = try cbc.sealPadded(messagePrefix: cbcPrefix, padded: [UInt8](repeating: 15, count: 16), iv: range(0, 16))
        XCTAssertEqual(try cbc.open(message: cbcPrefix + full, bodyOffset: cbcPrefix.count), [])
    }

    /// An IKE header (28 octets, Length filled) and an SK generic header (4 octets, length filled).
    static func prefix(sealedLength: Int) -> [UInt8] {
        let total = 28 + 4 + sealedLength
        return range(1, 17) + [46, 0x20, 35, 0x08, 0, 0, 0, 2]
            + [UInt8(total >> 24), UInt8(total >> 16 & 0xff), UInt8(total >> 8 & 0xff), UInt8(total & 0xff)]
            + [35, 0, UInt8((4 + sealedLength) >> 8), UInt8((4 + sealedLength) & 0xff)]
    }
}

import Foundation
import XCTest
@testable import StraitIKECrypto

final class AuthTests: XCTestCase {
    // Known answer from Python (standard library):
    //   python3 -c "import hmac
    //   real=b'IKE_SA_INIT as sent: '+bytes(range(40)); nonce=bytes(range(0x20,0x40)); skpi=bytes(range(0x50,0x70))
    //   idb=bytes([2,0,0,0])+b'vpn.example.com'; o=real+nonce+hmac.new(skpi,idb,'sha256').digest(); print(o.hex())
    //   for h in ('sha256','sha512'):
    //     print(hmac.new(hmac.new(b'correct horse battery staple',b'Key Pad for IKEv2',h).digest(),o,h).hexdigest())"
    func testSharedKeyAuthKnownAnswer() throws {
        let octets = IKEAuthentication.signedOctets(
            realMessage: Array("IKE_SA_INIT as sent: ".utf8) + range(0, 40), peerNonce: range(0x20, 0x40),
            prf: .hmacSHA2_256, skP: SecretBytes(copying: range(0x50, 0x70)),
            idPayloadBody: [2, 0, 0, 0] + Array("vpn.example.com".utf8))
        XCTAssertEqual(octets.hexString,
                       "494b455f53415f494e49542061732073656e743a20000102030405060708090a0b0c0d0e0f1011121314151617"
                       + "18191a1b1c1d1e1f2021222324252627202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c"
                       + "3d3e3faf0155a1cbf6ea3c58ed54b12fb177e50f81dd72f0d37785b02292a7daa8fc6c")
        let psk = SecretBytes(copying: Array("correct horse battery staple".utf8))
        let auth = IKEAuthentication.sharedKeyAuth(prf: .hmacSHA2_256, sharedSecret: psk, signedOctets: octets)
        XCTAssertEqual(auth.hexString, "6ac34b2c3fb4e1b2280a5e33a50e955792e4431a8c7af7d38a8d3e7556eb1c23")
        XCTAssertEqual(IKEAuthentication.sharedKeyAuth(prf: .hmacSHA2_512, sharedSecret: psk, signedOctets: octets).hexString,
                       "34dbf76bb47df31c6fd91ef2fa6057bc2f65c025b923de616c2f0c3a6656c15b"
                       + "20dc9321eac2cf9d973cb3a0f43fccf8b055b95756cbbe7070ecb33c00ae2f50")
        XCTAssertTrue(IKEAuthentication.verifySharedKeyAuth(auth, prf: .hmacSHA2_256, sharedSecret: psk, signedOctets: octets))
        var forged = auth
        forged[31] ^= 0x80
        XCTAssertFalse(IKEAuthentication.verifySharedKeyAuth(forged, prf: .hmacSHA2_256, sharedSecret: psk, signedOctets: octets))
        XCTAssertFalse(IKEAuthentication.verifySharedKeyAuth(Array(auth.prefix(16)), prf: .hmacSHA2_256,
                                                             sharedSecret: psk, signedOctets: octets))
        let wrongPSK = SecretBytes(copying: Array("correct horse battery stapler".utf8))
        XCTAssertFalse(IKEAuthentication.verifySharedKeyAuth(auth, prf: .hmacSHA2_256, sharedSecret: wrongPSK,
                                                             signedOctets: octets))
    }

    // RFC 7427 Appendix A encodings.
    func testAlgorithmIdentifiersMatchRFC7427() {
        XCTAssertEqual(SignatureScheme.rsaPKCS1SHA256.algorithmIdentifier.hexString, "300d06092a864886f70d01010b0500")
        XCTAssertEqual(SignatureScheme.rsaPKCS1SHA384.algorithmIdentifier.hexString, "300d06092a864886f70d01010c0500")
        XCTAssertEqual(SignatureScheme.rsaPKCS1SHA512.algorithmIdentifier.hexString, "300d06092a864886f70d01010d0500")
        XCTAssertEqual(SignatureScheme.ecdsaSHA256.algorithmIdentifier.hexString, "300a06082a8648ce3d040302")
        XCTAssertEqual(SignatureScheme.ecdsaSHA384.algorithmIdentifier.hexString, "300a06082a8648ce3d040303")
        XCTAssertEqual(SignatureScheme.ecdsaSHA512.algorithmIdentifier.hexString, "300a06082a8648ce3d040304")
        XCTAssertEqual(SignatureScheme.rsaPSSSHA256.algorithmIdentifier.hexString,
                       "304606092a864886f70d01010a3039a00f300d06096086480165030402010500a11c301a06092a864886f70d010108"
                       + "300d06096086480165030402010500a203020120a303020101")
        for scheme in SignatureScheme.allCases {
            XCTAssertEqual(SignatureScheme.from(algorithmIdentifier: scheme.algorithmIdentifier[...]), scheme)
        }
    }

    func testVerifiesOpenSSLSignatures() throws {
        let octets = TestKeys.openSSLSignedOctets
        let p256 = try VerificationKey(pemRepresentation: TestKeys.p256Public)
        let p384 = try VerificationKey(pemRepresentation: TestKeys.p384Public)
        let rsa = try VerificationKey(pemRepresentation: TestKeys.rsaPublic)
        let checks: [(AuthMethod, [UInt8], VerificationKey)] = [
            (.ecdsaSHA256P256, TestKeys.p256SignatureRaw, p256),
            (.ecdsaSHA384P384, TestKeys.p384SignatureRaw, p384),
            (.digitalSignature, Self.method14(.ecdsaSHA256, TestKeys.p256SignatureDER), p256),
            (.digitalSignature, Self.method14(.ecdsaSHA384, TestKeys.p384SignatureDER), p384),
            (.digitalSignature, Self.method14(.rsaPKCS1SHA256, TestKeys.rsaPKCS1SHA256Signature), rsa),
            (.digitalSignature, Self.method14(.rsaPKCS1SHA384, TestKeys.rsaPKCS1SHA384Signature), rsa),
            (.digitalSignature, Self.method14(.rsaPSSSHA256, TestKeys.rsaPSSSHA256Signature), rsa),
        ]
        for (index, (method, data, key)) in checks.enumerated() {
            XCTAssertTrue(try IKESignature.verify(data, method: method, octets: octets, key: key), "check \(index)")
            // Any modified signed octet must fail.
            for position in [0, octets.count / 2, octets.count - 1] {
                var modified = octets
                modified[position] ^= 0x01
                XCTAssertFalse(try IKESignature.verify(data, method: method, octets: modified, key: key),
                               "check \(index), octet \(position)")
            }
            // So must a modified signature (last octet: inside r|s, the DER s or the RSA value).
            var badSignature = data
            badSignature[badSignature.count - 1] ^= 0x01
            XCTAssertFalse(try IKESignature.verify(badSignature, method: method, octets: octets, key: key), "check \(index)")
        }
        // A PKCS#1 v1.5 signature presented as PSS (or the other way round) does not verify.
        XCTAssertFalse(try IKESignature.verify(Self.method14(.rsaPSSSHA256, TestKeys.rsaPKCS1SHA256Signature),
                                               method: .digitalSignature, octets: octets, key: rsa))
        // Another key does not verify.
        let other = try SigningKey(pemRepresentation: TestKeys.p256Private)
        XCTAssertTrue(try IKESignature.verify(TestKeys.p256SignatureRaw, method: .ecdsaSHA256P256, octets: octets,
                                              key: other.publicKey))
        XCTAssertFalse(try IKESignature.verify(TestKeys.p256SignatureRaw, method: .ecdsaSHA256P256, octets: octets,
                                               key: P256Fresh.key()))
    }

    func testSignVerifyRoundTrips() throws {
        let octets = Array("RealMessage1 | NonceRData | MACedIDForI".utf8)
        let p256 = try SigningKey(pemRepresentation: TestKeys.p256Private)
        let p384 = try SigningKey(pemRepresentation: TestKeys.p384Private)
        let rsa = try SigningKey(pemRepresentation: TestKeys.rsaPrivate)
        let cases: [(SigningKey, AuthMethod, SignatureScheme)] = [
            (p256, .ecdsaSHA256P256, .ecdsaSHA256), (p384, .ecdsaSHA384P384, .ecdsaSHA384),
            (p256, .digitalSignature, .ecdsaSHA256), (p256, .digitalSignature, .ecdsaSHA384),
            (p384, .digitalSignature, .ecdsaSHA384), (p384, .digitalSignature, .ecdsaSHA512),
            (rsa, .digitalSignature, .rsaPKCS1SHA256), (rsa, .digitalSignature, .rsaPKCS1SHA384),
            (rsa, .digitalSignature, .rsaPKCS1SHA512), (rsa, .digitalSignature, .rsaPSSSHA256),
            (rsa, .digitalSignature, .rsaPSSSHA384), (rsa, .digitalSignature, .rsaPSSSHA512),
        ]
        for (key, method, scheme) in cases {
            let data = try IKESignature.sign(octets, with: key, method: method, scheme: scheme)
            if method == .ecdsaSHA256P256 { XCTAssertEqual(data.count, 64) }
            if method == .ecdsaSHA384P384 { XCTAssertEqual(data.count, 96) }
            if method == .digitalSignature {
                XCTAssertEqual(Array(data[1...Int(data[0])]), scheme.algorithmIdentifier)
            }
            XCTAssertTrue(try IKESignature.verify(data, method: method, octets: octets, key: key.publicKey), "\(scheme)")
            var modified = octets
            modified[5] ^= 0x20
            XCTAssertFalse(try IKESignature.verify(data, method: method, octets: modified, key: key.publicKey), "\(scheme)")
        }
    }

    func testMismatchesAndMalformedDataThrow() throws {
        let octets: [UInt8] = [1, 2, 3]
        let p256 = try SigningKey(pemRepresentation: TestKeys.p256Private)
        let rsa = try SigningKey(pemRepresentation: TestKeys.rsaPrivate)
        // Method 10 needs a P-384 key; ECDSA schemes need an EC key.
        XCTAssertThrowsError(try IKESignature.sign(octets, with: p256, method: .ecdsaSHA384P384, scheme: .ecdsaSHA384))
        XCTAssertThrowsError(try IKESignature.sign(octets, with: rsa, method: .digitalSignature, scheme: .ecdsaSHA256))
        XCTAssertThrowsError(try IKESignature.sign(octets, with: p256, method: .sharedKeyMIC, scheme: .ecdsaSHA256))
        let signed = try IKESignature.sign(octets, with: rsa, method: .digitalSignature, scheme: .rsaPKCS1SHA256)
        // An RSA signature checked with an EC key.
        XCTAssertThrowsError(try IKESignature.verify(signed, method: .digitalSignature, octets: octets, key: p256.publicKey)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .unsupportedAlgorithm)
        }
        // Policy can refuse a scheme (e.g. no PKCS#1 v1.5).
        XCTAssertThrowsError(try IKESignature.verify(signed, method: .digitalSignature, octets: octets, key: rsa.publicKey,
                                                     acceptable: [.rsaPSSSHA256])) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .unsupportedAlgorithm)
        }
        // Unknown AlgorithmIdentifier (sha1WithRSAEncryption), truncated data, wrong raw lengths.
        let sha1WithRSA = hex("300d06092a864886f70d0101050500")
        XCTAssertThrowsError(try IKESignature.verify([UInt8(sha1WithRSA.count)] + sha1WithRSA + [1, 2],
                                                     method: .digitalSignature, octets: octets, key: rsa.publicKey)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .unsupportedAlgorithm)
        }
        XCTAssertThrowsError(try IKESignature.verify([40, 1, 2], method: .digitalSignature, octets: octets, key: rsa.publicKey)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .malformedSignature)
        }
        XCTAssertThrowsError(try IKESignature.verify([UInt8](repeating: 1, count: 63), method: .ecdsaSHA256P256,
                                                     octets: octets, key: p256.publicKey)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .malformedSignature)
        }
        XCTAssertThrowsError(try SigningKey(pemRepresentation: TestKeys.p256Public)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .invalidKey)
        }
        XCTAssertEqual("\(p256)", "SigningKey(<redacted>)")
    }

    func testPublicKeyFromSubjectPublicKeyInfoDER() throws {
        let base64 = TestKeys.p256Public.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let der = [UInt8](Data(base64Encoded: base64)!)
        let key = try VerificationKey(subjectPublicKeyInfoDER: der)
        XCTAssertTrue(try IKESignature.verify(TestKeys.p256SignatureRaw, method: .ecdsaSHA256P256,
                                              octets: TestKeys.openSSLSignedOctets, key: key))
    }

    static func method14(_ scheme: SignatureScheme, _ signature: [UInt8]) -> [UInt8] {
        [UInt8(scheme.algorithmIdentifier.count)] + scheme.algorithmIdentifier + signature
    }
}

/// A P-256 key nobody signed with.
enum P256Fresh {
    static func key() throws -> VerificationKey { try SigningKey(pemRepresentation: pem).publicKey }
    // openssl ecparam -name prime256v1 -genkey -noout (test only)
    static let pem = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIC52WJnWMUyXqZWRyz3UWBa/FANVMffwIONYyU7mQMFAoAoGCCqGSM49
        AwEHoUQDQgAENag9nY7hSAKVJCST7BvHSTBWhqLHnm2bfbsykuDH3VLZWBYEfwin
        WK/1d4ZkbVr7hkJb+LBbDk+y1Y26PMjMLw==
        -----END EC PRIVATE KEY-----
        """
}

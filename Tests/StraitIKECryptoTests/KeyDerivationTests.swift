import XCTest
@testable import StraitIKECrypto

// Expected values come from an independent derivation in Python (standard library only):
//
//   python3 -c "
//   import hmac
//   prf=lambda h,k,m: hmac.new(k,m,h).digest()
//   def pp(h,k,s,n):                       # prf+ (RFC 7296 2.13)
//     t=o=b'';i=1
//     while len(o)<n: t=prf(h,k,t+s+bytes([i]));o+=t;i+=1
//     return o[:n]
//   Ni=bytes(range(0,32)); Nr=bytes(range(32,64)); gir=bytes(range(0x80,0xa0))
//   spis=bytes.fromhex('0102030405060708'+'1112131415161718')
//   seedA=prf('sha256',Ni+Nr,gir); print(seedA.hex(), pp('sha256',seedA,Ni+Nr+spis,7*32).hex())
//   seedB=prf('sha384',Ni+Nr,gir); print(seedB.hex(), pp('sha384',seedB,Ni+Nr+spis,216).hex())
//   Ni2=bytes(range(0xc0,0xd0)); Nr2=bytes(range(0xd0,0xe0)); gir2=bytes(range(0x10,0x30)); skd=<SK_d of A>
//   print(pp('sha256',skd,Ni2+Nr2,40).hex())          # Child SA, no PFS, ESP AES-GCM-128
//   print(pp('sha256',skd,gir2+Ni2+Nr2,96).hex())     # Child SA, PFS, ESP AES-CBC-128 + HMAC-SHA-256-128
//   seedR=prf('sha256',skd,gir2+Ni2+Nr2)              # IKE rekey, old PRF
//   print(seedR.hex(), pp('sha384',seedR,Ni2+Nr2+bytes.fromhex('2122232425262728'+'3132333435363738'),216).hex())"
//
// and the output cut at the key lengths.

final class KeyDerivationTests: XCTestCase {
    let nonceI = range(0, 32), nonceR = range(32, 64)
    let sharedSecret = SecretBytes(copying: range(0x80, 0xa0))
    let spiI: UInt64 = 0x0102_0304_0506_0708, spiR: UInt64 = 0x1112_1314_1516_1718
    let nonceI2 = range(0xc0, 0xd0), nonceR2 = range(0xd0, 0xe0)
    let sharedSecret2 = SecretBytes(copying: range(0x10, 0x30))

    var suiteCBC: IKESASuite { try! IKESASuite(prf: .hmacSHA2_256, encryption: .aesCBC_256, integrity: .hmacSHA2_256_128) }
    var suiteGCM: IKESASuite { try! IKESASuite(prf: .hmacSHA2_384, encryption: .aesGCM16_256, integrity: nil) }

    func testIKESAKeysWithCBCAndHMAC() throws {
        let seed = try IKEKeyDerivation.skeyseed(prf: .hmacSHA2_256, nonceI: nonceI, nonceR: nonceR,
                                                 sharedSecret: sharedSecret)
        XCTAssertEqual(seed.hexForTesting, "e19d5f1b7cd62db017f6607068a7e8245cf224d5c057e7962700ec8c966a0e2f")
        let keys = try IKEKeyDerivation.initialIKESAKeys(suite: suiteCBC, sharedSecret: sharedSecret,
                                                         nonceI: nonceI, nonceR: nonceR, spiI: spiI, spiR: spiR)
        XCTAssertEqual(keys.skD.hexForTesting, "b5e52906cdf4c01b3c1ab6fa2619d92def65620d78e982986a7f4b5b213996fa")
        XCTAssertEqual(keys.skAi.hexForTesting, "0b279d90c666b2595157bd79273f665075b51cdc6a8d73d499446e3a3f484943")
        XCTAssertEqual(keys.skAr.hexForTesting, "fa83a9b8388c37d76d45d77bcadee116eaefad8d31979ec975d84beae0b52623")
        XCTAssertEqual(keys.skEi.hexForTesting, "e6a301c10c3de335b0a0c771fb9d7af5511c6cfaad33f2a678e2662bf884f3cb")
        XCTAssertEqual(keys.skEr.hexForTesting, "81f9ac329d84f0b8a070b5228e64d16e934456788360ce17ea09842b1540c59b")
        XCTAssertEqual(keys.skPi.hexForTesting, "40718e053bf40296a627f961f0ab1c965be0a8e58b171007863225fc5945a877")
        XCTAssertEqual(keys.skPr.hexForTesting, "f2ab34879f75f2880d9b07c63bc7c5863778cf208fac5c5c04fa9d6c26f89d3f")
    }

    // AEAD: no SK_a*, SK_e* = 32-octet key | 4-octet salt (RFC 5282 7.1), PRF keys 48 octets.
    func testIKESAKeysWithGCM() throws {
        let keys = try IKEKeyDerivation.initialIKESAKeys(suite: suiteGCM, sharedSecret: sharedSecret,
                                                         nonceI: nonceI, nonceR: nonceR, spiI: spiI, spiR: spiR)
        XCTAssertEqual(keys.skD.hexForTesting, "0997ab5dd15218147c6508e13c7fb1b1446f0b7d617e05c2"
                                             + "321f1510bae3f2a99a7dc3c20e64c0e4920d528f7545b0a6")
        XCTAssertEqual(keys.skAi.count, 0)
        XCTAssertEqual(keys.skAr.count, 0)
        XCTAssertEqual(keys.skEi.hexForTesting, "48aa9187651e154399683c32fd3699c3026a6707d0ab3a0ffa316a2f04551786" + "9e4de295")
        XCTAssertEqual(keys.skEr.hexForTesting, "086fc92048ed15a0fa76e09b15e0492513c6a54528ac6e59a2e4df4d8f214ba3" + "e6097d4e")
        XCTAssertEqual(keys.skPi.hexForTesting, "09248004680034acf0d928580845a1df614dfcc09daaba5d"
                                              + "364c99589cc0b38e149d1e424a688740d9f9cde3a3500847")
        XCTAssertEqual(keys.skPr.hexForTesting, "8aa4fb9c10803ca2d62f525fbe30acb3595cc1904439fb0f"
                                              + "1caf9cec4eb5372828c6bd543135f846405ca3b145207e01")
    }

    func testChildSAKeysWithoutPFS() throws {
        let ike = try IKEKeyDerivation.initialIKESAKeys(suite: suiteCBC, sharedSecret: sharedSecret,
                                                        nonceI: nonceI, nonceR: nonceR, spiI: spiI, spiR: spiR)
        let child = try IKEKeyDerivation.childSAKeys(prf: .hmacSHA2_256, skD: ike.skD,
                                                     suite: ChildSASuite(encryption: .aesGCM16_128, integrity: nil),
                                                     nonceI: nonceI2, nonceR: nonceR2)
        // ESP AES-GCM keymat is key | salt: 20 octets per direction (RFC 4106 8.1).
        XCTAssertEqual(child.initiatorToResponder.encryption.hexForTesting, "c8d43b8a47c46544ede129ed9a729d00e616a969")
        XCTAssertEqual(child.initiatorToResponder.integrity.count, 0)
        XCTAssertEqual(child.responderToInitiator.encryption.hexForTesting, "90a63d855feba8e9879207d65e962f8153f4bd5a")
        XCTAssertEqual(child.responderToInitiator.integrity.count, 0)
    }

    func testChildSAKeysWithPFS() throws {
        let ike = try IKEKeyDerivation.initialIKESAKeys(suite: suiteCBC, sharedSecret: sharedSecret,
                                                        nonceI: nonceI, nonceR: nonceR, spiI: spiI, spiR: spiR)
        let child = try IKEKeyDerivation.childSAKeys(
            prf: .hmacSHA2_256, skD: ike.skD,
            suite: ChildSASuite(encryption: .aesCBC_128, integrity: .hmacSHA2_256_128),
            sharedSecret: sharedSecret2, nonceI: nonceI2, nonceR: nonceR2)
        // RFC 7296 2.17 order: encr(i->r), integ(i->r), encr(r->i), integ(r->i).
        XCTAssertEqual(child.initiatorToResponder.encryption.hexForTesting, "4159ca079515677efcf9a04630e31eed")
        XCTAssertEqual(child.initiatorToResponder.integrity.hexForTesting,
                       "63efe0329ae7c18e8b0f54f20b42c982f82f8456b7c325962ff4561f4835e326")
        XCTAssertEqual(child.responderToInitiator.encryption.hexForTesting, "5fa80a53e7e63687fa33ff86611d0453")
        XCTAssertEqual(child.responderToInitiator.integrity.hexForTesting,
                       "aada3ad19582fc03ea9aaf85c91b4436d87a059734860a4c20c5041b86b396b5")
    }

    // RFC 7296 2.18: old SA's PRF and SK_d for SKEYSEED, new SA's PRF and SPIs for the keys.
    func testRekeyedIKESA() throws {
        let old = try IKEKeyDerivation.initialIKESAKeys(suite: suiteCBC, sharedSecret: sharedSecret,
                                                        nonceI: nonceI, nonceR: nonceR, spiI: spiI, spiR: spiR)
        let seed = try IKEKeyDerivation.rekeyedSkeyseed(oldPRF: .hmacSHA2_256, oldSKd: old.skD, sharedSecret: sharedSecret2,
                                                        nonceI: nonceI2, nonceR: nonceR2)
        XCTAssertEqual(seed.hexForTesting, "6ee2384f161ee82d93bd0c1c083f6216fef1f259908124c7431a70e591b9ef97")
        let new = try IKEKeyDerivation.rekeyedIKESAKeys(old: old, newSuite: suiteGCM, sharedSecret: sharedSecret2,
                                                        nonceI: nonceI2, nonceR: nonceR2,
                                                        spiI: 0x2122_2324_2526_2728, spiR: 0x3132_3334_3536_3738)
        XCTAssertEqual(new.skD.hexForTesting, "c1f198128d68baa40821f9736ac8c4d44d9e4968ce3218f1"
                                            + "1b0de90fb45486ed85039766b13d718ab335d32d60336092")
        XCTAssertEqual(new.skEi.hexForTesting, "fa3971102cee695def64d342ec24d19f644322c0475a6d6658009bcdd9405f66" + "c0f3c735")
        XCTAssertEqual(new.skEr.hexForTesting, "a2c924f5b9f851364afd858093b63433758f9349c47f0ef451bc1367acfccf4e" + "4e50db70")
        XCTAssertEqual(new.skPi.hexForTesting, "79cad55a388d67031e6963ff97916b182fcf7481a42f2c0f"
                                             + "5e79401a3070d5e8151422e129f5a189ac9251a700014d54")
        XCTAssertEqual(new.skPr.hexForTesting, "10bdee3b665652756385285bf37acbf205f8c4b47cd3f412"
                                             + "d3834de63fee26163642633867c7cd8639ad42ea25c782de")
    }

    func testSuiteValidation() {
        XCTAssertThrowsError(try IKESASuite(prf: .hmacSHA2_256, encryption: .aesGCM16_128, integrity: .hmacSHA2_256_128))
        XCTAssertThrowsError(try IKESASuite(prf: .hmacSHA2_256, encryption: .aesCBC_128, integrity: nil))
        XCTAssertThrowsError(try ChildSASuite(encryption: .aesCBC_256, integrity: nil))
        XCTAssertThrowsError(try EncryptionAlgorithm(.aesCBC, keyLengthBits: 192)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .unsupportedAlgorithm)
        }
        XCTAssertEqual(try EncryptionAlgorithm(.aesGCM16, keyLengthBits: 256), .aesGCM16_256)
    }

    func testNonceLengthsAreChecked() {
        XCTAssertThrowsError(try IKEKeyDerivation.skeyseed(prf: .hmacSHA2_256, nonceI: range(0, 15), nonceR: nonceR,
                                                           sharedSecret: sharedSecret)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .invalidNonceLength)
        }
        XCTAssertThrowsError(try IKEKeyDerivation.skeyseed(prf: .hmacSHA2_256, nonceI: nonceI,
                                                           nonceR: [UInt8](repeating: 1, count: 257),
                                                           sharedSecret: sharedSecret))
    }

    func testKeysAreRedactedWhenPrinted() throws {
        let keys = try IKEKeyDerivation.initialIKESAKeys(suite: suiteCBC, sharedSecret: sharedSecret,
                                                         nonceI: nonceI, nonceR: nonceR, spiI: spiI, spiR: spiR)
        let printed = "\(keys) \(String(reflecting: keys)) \(keys.skEi)"
        XCTAssertTrue(printed.contains("<redacted>"))
        XCTAssertFalse(printed.contains("e6a301c1"))
        XCTAssertFalse(printed.lowercased().contains("230, 163")) // first SK_ei octets as decimals
        var dumped = ""
        dump(keys, to: &dumped)
        XCTAssertFalse(dumped.contains("230"))
    }
}

import XCTest
@testable import StraitIKECrypto

final class KeyExchangeTests: XCTestCase {
    // RFC 5903 section 8.1. KE payload data is gix | giy with no 0x04 prefix (RFC 5903 7);
    // g^ir is girx alone.
    func testECP256RFC5903Vector() throws {
        let initiator = try KeyExchange(group: .ecp256,
                                        privateValue: hex("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433"))
        let responder = try KeyExchange(group: .ecp256,
                                        privateValue: hex("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53"))
        let gi = hex("DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
                     + "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3")
        let gr = hex("D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
                     + "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB")
        XCTAssertEqual(initiator.publicValue, gi)
        XCTAssertEqual(responder.publicValue, gr)
        let girx = "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de"
        XCTAssertEqual(try initiator.sharedSecret(peerPublicValue: gr).hexForTesting, girx)
        XCTAssertEqual(try responder.sharedSecret(peerPublicValue: gi).hexForTesting, girx)
    }

    // RFC 5903 section 8.2.
    func testECP384RFC5903Vector() throws {
        let initiator = try KeyExchange(group: .ecp384, privateValue: hex(
            "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194"))
        let responder = try KeyExchange(group: .ecp384, privateValue: hex(
            "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC"))
        let gi = hex("667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA"
                     + "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C")
        let gr = hex("E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571"
                     + "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C")
        XCTAssertEqual(initiator.publicValue, gi)
        XCTAssertEqual(responder.publicValue, gr)
        let girx = "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746"
        XCTAssertEqual(try initiator.sharedSecret(peerPublicValue: gr).hexForTesting, girx)
        XCTAssertEqual(try responder.sharedSecret(peerPublicValue: gi).hexForTesting, girx)
    }

    // RFC 7748 section 6.1 (RFC 8031 uses the same 32-octet encodings).
    func testCurve25519RFC7748Vector() throws {
        let alice = try KeyExchange(group: .curve25519,
                                    privateValue: hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let bob = try KeyExchange(group: .curve25519,
                                  privateValue: hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
        XCTAssertEqual(alice.publicValue.hexString, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        XCTAssertEqual(bob.publicValue.hexString, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        XCTAssertEqual(try alice.sharedSecret(peerPublicValue: bob.publicValue).hexForTesting, k)
        XCTAssertEqual(try bob.sharedSecret(peerPublicValue: alice.publicValue).hexForTesting, k)
    }

    // Fixed exponents cross-checked with Python, the primes typed in from RFC 3526 3 / RFC 2409 6.2
    // (and checked there against the RFCs' 2^2048 - 2^1984 - 1 + 2^64 * ([2^1918 pi] + 124476) formula):
    //   python3 -c "p=int(RFC3526_GROUP14_HEX,16); xa=int('0123456789abcdef'*5,16); xb=int('fedcba9876543210'*5,16)
    //   print(pow(2,xa,p).to_bytes(256,'big').hex(), pow(2,xb,p).to_bytes(256,'big').hex(),
    //         pow(pow(2,xb,p),xa,p).to_bytes(256,'big').hex())"     (and likewise group 2 with 128 octets)
    func testMODP2048AgainstPython() throws {
        let a = try KeyExchange(group: .modp2048, privateValue: hex(String(repeating: "0123456789abcdef", count: 5)))
        let b = try KeyExchange(group: .modp2048, privateValue: hex(String(repeating: "fedcba9876543210", count: 5)))
        XCTAssertEqual(a.publicValue.hexString, Self.modp2048A)
        XCTAssertEqual(b.publicValue.hexString, Self.modp2048B)
        XCTAssertEqual(try a.sharedSecret(peerPublicValue: b.publicValue).hexForTesting, Self.modp2048Shared)
        XCTAssertEqual(try b.sharedSecret(peerPublicValue: a.publicValue).hexForTesting, Self.modp2048Shared)
    }

    func testMODP1024AgainstPython() throws {
        let a = try KeyExchange(group: .modp1024, privateValue: hex(String(repeating: "0123456789abcdef", count: 5)))
        let b = try KeyExchange(group: .modp1024, privateValue: hex(String(repeating: "fedcba9876543210", count: 5)))
        XCTAssertEqual(a.publicValue.hexString,
                       "ea72e45056fd06ffb9725db78f9b1773b5142805975d9e152647437e458ecf783b782f1b41620cc747664e10f8ec5cdc"
                       + "337e37e675b50b8328a4c7805202831a16bfff15605ba0cd87d0b57df42a59363019cee93450cab7ed26916aff16f212"
                       + "8b63ab3d435cd5ad1d11fb576ede7172f1b374f237d25ad0e5b16af916b0f39d")
        XCTAssertEqual(try a.sharedSecret(peerPublicValue: b.publicValue).hexForTesting,
                       "67df1cc538880129d61748ed70a5bf89ff954496d9a4a28956a22e2f47cbd1e5f2a57e56e75289657708067aa8433b51"
                       + "0e76d082709ebf15b656e3e19909cf4565161665680876998fa9049a15d9a200a0bdb435253f37762aeb4e3ec91465b1"
                       + "4ba74916e6667efac74f409594df6652ba1614c6a7fd214693c6a88ee782170b")
    }

    func testRandomKeysAgreeInEveryGroup() throws {
        for group in DHGroup.allCases {
            let a = try KeyExchange(group: group), b = try KeyExchange(group: group)
            XCTAssertEqual(a.publicValue.count, group.publicValueLength, "\(group)")
            XCTAssertNotEqual(a.publicValue, b.publicValue, "\(group)")
            let sa = try a.sharedSecret(peerPublicValue: b.publicValue)
            let sb = try b.sharedSecret(peerPublicValue: a.publicValue)
            XCTAssertEqual(sa.count, group.sharedSecretLength, "\(group)")
            XCTAssertTrue(sa.constantTimeEquals(sb), "\(group)")
        }
    }

    // RFC 6989 2.1 / RFC 7296 2.12: 1 < y < p-1, exactly the prime's length.
    func testMODPPeerValueValidation() throws {
        let a = try KeyExchange(group: .modp2048)
        let p = hex(Self.rfc3526Group14Prime)
        var pMinus1 = p; pMinus1[255] -= 1
        var pMinus2 = p; pMinus2[255] -= 2
        let zero = [UInt8](repeating: 0, count: 256)
        var one = zero; one[255] = 1
        var two = zero; two[255] = 2
        for bad in [zero, one, pMinus1, p, [UInt8](repeating: 0xff, count: 256)] {
            XCTAssertThrowsError(try a.sharedSecret(peerPublicValue: bad)) {
                XCTAssertEqual(($0 as? IKECryptoError)?.code, .invalidPeerPublicValue)
            }
        }
        // The edges just inside the range are accepted.
        XCTAssertNoThrow(try a.sharedSecret(peerPublicValue: two))
        XCTAssertNoThrow(try a.sharedSecret(peerPublicValue: pMinus2))
        // Wrong lengths: unpadded, or with an extra leading zero.
        for bad in [Array(two.suffix(1)), [0] + two, Array(two.dropFirst())] {
            XCTAssertThrowsError(try a.sharedSecret(peerPublicValue: bad)) {
                XCTAssertEqual(($0 as? IKECryptoError)?.code, .invalidPeerPublicValue)
            }
        }
        // A group 2 value is not a group 14 value.
        XCTAssertThrowsError(try a.sharedSecret(peerPublicValue: try KeyExchange(group: .modp1024).publicValue))
    }

    func testECPPeerValueValidation() throws {
        let a = try KeyExchange(group: .ecp256)
        let gr = hex("D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
                     + "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB")
        var offCurve = gr; offCurve[63] ^= 1
        let cases: [[UInt8]] = [
            offCurve,
            [0x04] + gr,                              // SEC1 prefix is not part of the IKE encoding
            Array(gr.prefix(32)),                     // x only
            [UInt8](repeating: 0, count: 64),         // (0, 0) is not on P-256
            [UInt8](repeating: 0xff, count: 64),      // coordinates >= p
        ]
        for bad in cases {
            XCTAssertThrowsError(try a.sharedSecret(peerPublicValue: bad)) {
                XCTAssertEqual(($0 as? IKECryptoError)?.code, .invalidPeerPublicValue)
            }
        }
        let b = try KeyExchange(group: .ecp384)
        XCTAssertThrowsError(try b.sharedSecret(peerPublicValue: try KeyExchange(group: .ecp384).publicValue.map { $0 ^ 0x5a }))
    }

    // RFC 8031 2: low-order points give an all-zero secret, which must be refused.
    func testCurve25519RejectsLowOrderPoints() throws {
        let a = try KeyExchange(group: .curve25519)
        var one = [UInt8](repeating: 0, count: 32); one[0] = 1
        for bad in [[UInt8](repeating: 0, count: 32), one] {
            XCTAssertThrowsError(try a.sharedSecret(peerPublicValue: bad)) {
                XCTAssertEqual(($0 as? IKECryptoError)?.code, .invalidSharedSecret)
            }
        }
        XCTAssertThrowsError(try a.sharedSecret(peerPublicValue: [UInt8](repeating: 9, count: 31))) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .invalidPeerPublicValue)
        }
    }

    func testPrivateValueIsNotPrinted() throws {
        let a = try KeyExchange(group: .modp1024, privateValue: [0x12, 0x34, 0x56])
        var dumped = ""
        dump(a, to: &dumped)
        XCTAssertFalse("\(a) \(String(reflecting: a)) \(dumped)".contains("18"))  // 0x12 in decimal
        XCTAssertThrowsError(try KeyExchange(group: .modp2048, privateValue: [0x01])) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .invalidKey)
        }
    }

    static let rfc3526Group14Prime = """
        FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD
        EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED
        EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F
        83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B
        E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510
        15728E5A8AACAA68FFFFFFFFFFFFFFFF
        """

    static let modp2048A = """
        0478d39048c2ecd0e74b228b4eb6323d90675d9f73a47894048e7a6e851dca8416d1f5a41306c71614165cebe53d192f\
        4cff5364cb151cde9326777ae366197e3549cd4b0fb2b54a116b3d15b7da7640dc3673b764b2ebfc53d7fa44c0eaa3b6\
        9eebd8b70e551a4d7c079c1fce6c0bc2ff03fe937c136eb8ade35221dfa1e71bd97b7bd871380b267b282fd507de703d\
        01cdfb0880a4de9f449ff4ee9c7292a6e13fb7b64d1c6ab67d0028aed9057661e13e37c1b179ef777f62a0bcb911a851\
        cb3838d22f7d78f37f741a0ea38b14e9f9713cff26de3beb12a2e49c752732f0bd37f2a08b03e2cd124b4f6ba9797e4a\
        c46054d6b343c251e46ff30d5a38e658
        """
    static let modp2048B = """
        234b72cab4e49420dd8a478a0df1b71e1b9884095df8919c362f9bd16bdccac63821d90cfabca1ce25971c90d37289b9\
        30f59be587faf293a3e5bf5e49490660c63c7303225fb0f1ab84abae02e74f7826e896c9f97b295d4714ac703be2c223\
        97a2873f6b650f0bbb23d73dd0c2594cd3dda2d19e214a253b3a6cfac38aca506400c816f977337de4342f7324af008e\
        ba8ff6df6a185e8acca63a88f8a312f716f141a4d4dc7e2f2f38e3e90a688e6f39468f1ce73425ffaf20dc6ccfe0ca5e\
        814d14d5035048526f294972009e22e3e0a7391397bf30c7ad1ab887508024e9d863603970181d1684dc67a51bf7d384\
        5ae701d222ae48a9e2243d96c39e0393
        """
    static let modp2048Shared = """
        c9664d50772745667de759dde2fd3a802f55a3c7231757f536da3e62cf85b61c499e5ebddd7ad8942cdf370451dc59ad\
        f8f8a741d897cedb5dc9e49209232724112064a02a1fb4af0fa7ca5248e5f2020bd348f46fe17d70a67b37929cfa0e7b\
        ee2a65fcbc8f9e97dcf0b19b4306f0a30916fdc274d28d828bc831f9f0a82b4ebafeb262f02546164c4f2df29496c4c8\
        1e86905497042afff82769c3c971995d87ea09aa2f9ebd6233c1c4e182ec6594f7a4ad7c5e0c4650cc07f8368ca5f7b8\
        0a437644f22afb04502faffb0b7e9dca494037e74c8567f7f2ece5ba4c3f98be8d39b32cff9b8c504c9a5c0ea764ceab\
        eecedf6117b806df4d787c55556f5d42
        """
}

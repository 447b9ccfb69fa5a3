import CFastPath
import XCTest

/// Known-answer tests for Strait's ESP AES-GCM, run through the real one-packet functions.
///
/// 1. ESP packets of draft-mcgrew-gcm-test-01 ("Test Cases for the use of GCM and GMAC in IPsec
///    ESP", section 4, https://datatracker.ietf.org/doc/html/draft-mcgrew-gcm-test-01), as
///    transcribed in snabbco/snabb src/lib/ipsec/aes_gcm.lua (commit 93ffd04432ea). All of them
///    carry a 64-bit (ESN) sequence number in the AAD and an IV that is not their sequence
///    number, so, as planned, Strait's encryption cannot reproduce their ICVs (Strait's IV is
///    always the sequence number); their decryption is checked instead:
///    - fp_esp_decap_buffer verifies the published ICV with Strait's nonce (salt | IV) and AAD
///      (SPI | seq high | seq low, the high half inferred from the replay window), and moves
///      the window to the vector's number; a flipped byte fails authentication instead.
///    - Every vector's trailer says Next Header 1, which tunnel mode rejects after
///      authentication ("esp-bad-trailer"), so decap never hands the plaintext back. It is
///      checked through the keystream: Strait encrypts with the vector's key, salt and IV (an
///      ESN SA whose sequence number is the IV), and the published ciphertext XOR that
///      keystream must be the published plaintext.
/// 2. GCM specification test cases 3 (AES-128) and 15 (AES-256) (McGrew & Viega, "The
///    Galois/Counter Mode of Operation", appendix B), as transcribed in gnutls/nettle
///    testsuite/gcm-test.c (commit 66f4c372b15a): key, IV cafebabe|facedbaddecaf888 = salt|IV,
///    plaintext and ciphertext, checked through the same keystream. Their tags (empty AAD;
///    cases 4 and 16 use a 20-byte AAD) cannot come out of ESP, whose AAD is 8 or 12 bytes.
final class ESPKnownAnswerTests: XCTestCase {
    struct Vector {
        let name: String
        let key: String, salt: String
        let spi: UInt32, seq: UInt64
        let iv: String
        let ctag: String      // ciphertext followed by the 16-byte ICV
        let plain: String     // the ESP payload: inner data, padding, pad length, next header
    }

    // draft-mcgrew-gcm-test-01, section 4, via snabbco/snabb src/lib/ipsec/aes_gcm.lua.
    static let draft: [Vector] = [
        Vector(name: "AES-128 SPI 4321 seq 8765432100000000", key: "4c80cdefbb5d10da906ac73c3613a634", salt: "2e443b68",
               spi: 0x0000_4321, seq: 0x8765_4321_0000_0000, iv: "4956ed7e3b244cfe",
               ctag: """
               fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34cfa2436f14a3f3cf65925bf1f4a13c5d
               15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732459018148f6cbe722fd04796562dfdb4
               """,
               plain: """
               45000048699a000080114db7c0a80102c0a801010a9bf15638d301000001000000000000045f736970045f7564700373
               69700963796265726369747902646b000021000101020201
               """),
        Vector(name: "AES-128 SPI 42f67e3f ICMP", key: "3de09874b388e6491988d0c3607eae1f", salt: "57690e43",
               spi: 0x42f6_7e3f, seq: 0x1010_1010_1010_1010, iv: "4e280000a2fca1a3",
               ctag: """
               fba2caa4853cf9f0f22cb10d86dd83b0fec75691cf1a04b00d1138ec9c35791765acbd8701ad79845bf9fe3fba487bc9
               1755e6662b4c8d0d1f5e22739530320ae0d731cc978ecafaeae88f00e80d6e48
               """,
               plain: """
               4500003c99c300008001cb7c40679318010101010800085c020043006162636465666768696a6b6c6d6e6f7071727374
               75767761626364656667686901020201
               """),
        Vector(name: "AES-128 SPI 42f67e3f short", key: "3de09874b388e6491988d0c3607eae1f", salt: "57690e43",
               spi: 0x42f6_7e3f, seq: 0x1010_1010_1010_1010, iv: "4e280000a2fca1a3",
               ctag: "fba2ca845e5df9f0f22c3e6e86dd831e1fc65792cd1af9130e1379ed369f071f35e034be95f112e4e7d05d35",
               plain: "4500001c42a200008001441f406793b6e00000020a00f5ff01020201"),
        Vector(name: "AES-128 SPI 100 seq 1", key: "abbccddef00112233445566778899aab", salt: "decaf888",
               spi: 0x0000_0100, seq: 1, iv: "cafedebaceface74",
               ctag: """
               18a6fd42f72cbf4ab2a2ea901f73d814e3e7f243d95412e1c349c1d2fbec168f9190feebaf2cb01984e65863965d7472
               b79da345e0e780191f0d2f0e0f496c226f2127b27db35724e7845d68651f57e65f354f75ff17015769623436
               """,
               plain: """
               4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d500004e20001e8c18d75b81dc91baa047
               6b91b924b280389d92c963bac046ec959b6266c04722b14923010101
               """),
        Vector(name: "AES-128 SPI 42f67e3f DNS", key: "3de09874b388e6491988d0c3607eae1f", salt: "57690e43",
               spi: 0x42f6_7e3f, seq: 0x1010_1010_1010_1010, iv: "4e280000a2fca1a3",
               ctag: """
               fba2cad12fc1f9f00d3cebf305410db83d7784b607323d220f24b0a97d54182800cadb0f68d99ef0e0c0c89ae9bea888
               4e52d65bc1afd0740f742444747b5b39ab533163aad4550ee5160975cdb608c5769189609763b8e18caa81e2
               """,
               plain: """
               45000049333e00007f119182c3fb1d10c2b1d326c02831ce0035cb458003025b000001e0001e8c18d65759d52284a035
               2c71475c8880391c764d6e5ee0496b325ae270c03899493915010101
               """),
        Vector(name: "AES-128 SPI 100 text", key: "abbccddef00112233445566778899aab", salt: "decaf888",
               spi: 0x0000_0100, seq: 1, iv: "cafedebaceface74",
               ctag: "29c9fc69a197d038ccdd14e2ddfcaa0543332164412503524303ed3c6c5f283843af8c3e",
               plain: "746f016265016f72016e6f7401746f0162650001"),
        Vector(name: "AES-128 SPI 3f7ef642", key: "3de09874b388e6491988d0c3607eae1f", salt: "57690e43",
               spi: 0x3f7e_f642, seq: 0x1010_1010_1010_1010, iv: "4e280000a2fca1a3",
               ctag: """
               fba2caa8c6c5f9f0f22ca54a061210ad3f6e5791cf1aca210d117cec9c35791765acbd8701ad79845bf9fe3fba487bc9
               6321930684eecadb56912546e7a95c9740d7cb05
               """,
               plain: """
               45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768696a6b6c6d6e6f7071727374
               01020201
               """),
        Vector(name: "AES-128 SPI 4321 seq 8765432100000007", key: "4c80cdefbb5d10da906ac73c3613a634", salt: "22433c64",
               spi: 0x0000_4321, seq: 0x8765_4321_0000_0007, iv: "4855ec7d3a234bfd",
               ctag: "74752e8aeb5d873cd7c0f4acc36c4bff84b7d7b98f0ca8b6acda6894bc619069ef9cbc28fe1b56a7c4e0d58c86cd2bc0",
               plain: "0800c6cd020007006162636465666768696a6b6c6d6e6f707172737401020201"),
        Vector(name: "AES-256 SPI 17405e67 TCP", key: "abbccddef00112233445566778899aababbccddef00112233445566778899aab",
               salt: "73616c74", spi: 0x1740_5e67, seq: 0x156f_3126_dd0d_b99b, iv: "616e640169766563",
               ctag: """
               f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde98ef67549d524a3018d9a57ff4d3a31ce673119e451626c2415771e3
               b7eebca614c89b35
               """,
               plain: "45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb71260250101f646d540001"),
        Vector(name: "AES-256 SPI 17405e67 text", key: "abbccddef00112233445566778899aababbccddef00112233445566778899aab",
               salt: "73616c74", spi: 0x1740_5e67, seq: 0x156f_3126_dd0d_b99b, iv: "616e640169766563",
               ctag: """
               d4b7ed86a1777f2ea13d6973d324c69e7b43f826fb56831226508bebd2dceb18d0a6df10e5487df074113e14c641024e
               3e6773d91a62ee429b043a10e3efe6b012a49363412364f8c0cac587f249e56b11e24f30e44ccc76
               """,
               plain: """
               636973636f0172756c657301746865016e6574776501646566696e6501746865746563686e6f6c6f6769657301746861
               7477696c6c01646566696e65746f6d6f72726f7701020201
               """),
        Vector(name: "AES-256 SPI 796b6963 seq ffffffffffffffff",
               key: "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961",
               salt: "7475726e", spi: 0x796b_6963, seq: 0xffff_ffff_ffff_ffff, iv: "333021696765746d",
               ctag: """
               f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a864cd3d78ca4ae68a32b42458fb57dbe82
               1dcc63b9d0937ba2945f669368661a329fb4c053
               """,
               plain: """
               45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768696a6b6c6d6e6f7071727374
               01020201
               """),
    ]

    override func setUp() {
        super.setUp()
        continueAfterFailure = true
        XCTAssertTrue(FastPathTestEAL.up())
    }

    /// The ESP packet of a vector: SPI | low 32 bits of seq | IV | ciphertext | ICV, in an outer IPv4 header.
    private func packet(_ v: Vector) -> [UInt8] {
        let s = v.spi, q = UInt32(truncatingIfNeeded: v.seq)
        let head: [UInt8] = [UInt8(s >> 24), UInt8(s >> 16 & 0xff), UInt8(s >> 8 & 0xff), UInt8(s & 0xff),
                             UInt8(q >> 24), UInt8(q >> 16 & 0xff), UInt8(q >> 8 & 0xff), UInt8(q & 0xff)]
        return ESP.outer(head + ESP.hex(v.iv) + ESP.hex(v.ctag))
    }

    /// An inbound ESN SA for the vector whose window's right edge is just below its number.
    private func inboundSA(_ v: Vector) -> Int32 {
        let sa = ESP.addSA(inbound: true, spi: v.spi, key: ESP.hex(v.key), salt: ESP.hex(v.salt), esn: true, inactive: true)
        if sa >= 0 { ESP.setTop(sa, v.seq - 1) }
        return sa
    }

    func testDraftVectorsAuthenticateAndMoveTheWindow() {
        for v in Self.draft {
            let sa = inboundSA(v)
            guard sa >= 0 else { continue }
            defer { fp_sa_del(sa) }
            let (outcome, got) = ESP.decap(packet(v))
            // Authenticated (not esp-auth-failed), then refused by tunnel mode for Next Header 1.
            XCTAssertEqual(outcome, .drop("esp-bad-trailer"), v.name)
            XCTAssertEqual(got, sa, v.name)
            let i = ESP.info(sa)
            XCTAssertEqual(i.auth_failures, 0, v.name)
            XCTAssertEqual(i.replay_top, v.seq, "\(v.name): the window moves to the authenticated number")
            // The same packet again is a replay.
            XCTAssertEqual(ESP.decap(packet(v)).0, .drop("esp-replay"), v.name)
        }
    }

    func testTamperedDraftVectorsFailAuthentication() {
        for v in Self.draft {
            let good = packet(v)
            // A ciphertext byte, the last ICV byte, the first IV byte.
            for (what, index) in [("ciphertext", 36), ("ICV", good.count - 1), ("IV", 28)] {
                let sa = inboundSA(v)
                guard sa >= 0 else { continue }
                var bad = good
                bad[index] ^= 0x01
                XCTAssertEqual(ESP.decap(bad).0, .drop("esp-auth-failed"), "\(v.name): flipped \(what)")
                let i = ESP.info(sa)
                XCTAssertEqual(i.auth_failures, 1, v.name)
                XCTAssertEqual(i.replay_top, v.seq - 1, "\(v.name): a forgery never moves the window")
                XCTAssertEqual(ESP.decap(good).0, .drop("esp-bad-trailer"), "\(v.name): the genuine packet still passes")
                fp_sa_del(sa)
            }
            // A window edge one 2^32 block off makes Strait infer other high bits: the AAD no longer matches.
            let sa = ESP.addSA(inbound: true, spi: v.spi, key: ESP.hex(v.key), salt: ESP.hex(v.salt), esn: true, inactive: true)
            ESP.setTop(sa, (v.seq &- 1) &+ (1 << 32))
            XCTAssertEqual(ESP.decap(good).0, .drop("esp-auth-failed"), "\(v.name): wrong ESN high half")
            fp_sa_del(sa)
        }
    }

    /// Strait's keystream for (key, salt, IV), applied to `ciphertext`: Strait encrypts a
    /// known packet as the IV-th packet of an ESN SA and XORs out what it encrypted.
    private func decryptWithStraitKeystream(key: [UInt8], salt: [UInt8], iv: UInt64, ciphertext: [UInt8],
                                            file: StaticString = #filePath, line: UInt = #line) -> [UInt8]? {
        let sa = ESP.addSA(inbound: false, spi: 0x0000_9999, key: key, salt: salt, esn: true)
        guard sa >= 0 else { return nil }
        defer { fp_sa_del(sa) }
        XCTAssertEqual(fp_sa_set_seq(sa, iv - 1), 0, file: file, line: line)
        // An IPv4 packet as long as the ciphertext: its ESP payload covers every ciphertext byte.
        let len = max(20, ciphertext.count)
        var inner: [UInt8] = [0x45, 0, UInt8(len >> 8), UInt8(len & 0xff), 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        inner += (0..<(len - 20)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let ck = Self.checksum(inner[0..<20])
        inner[10] = UInt8(ck >> 8); inner[11] = UInt8(ck & 0xff)
        guard case .packet(let out) = ESP.encap(sa, inner) else {
            XCTFail("encap failed", file: file, line: line)
            return nil
        }
        // outer IPv4 (20) | SPI (4) | seq (4) | IV (8) | ciphertext | ICV
        let ivBytes = (0..<8).map { UInt8(truncatingIfNeeded: iv >> (56 - 8 * $0)) }
        XCTAssertEqual(Array(out[28..<36]), ivBytes, "the IV on the wire is the sequence number", file: file, line: line)
        let pad = (4 - (len + 2) % 4) % 4
        let plain = inner + (0..<pad).map { UInt8($0 + 1) } + [UInt8(pad), 4]
        let cipher = Array(out[36..<(36 + plain.count)])
        return (0..<ciphertext.count).map { ciphertext[$0] ^ cipher[$0] ^ plain[$0] }
    }

    private static func checksum(_ h: ArraySlice<UInt8>) -> UInt16 {
        var sum: UInt32 = 0
        for i in stride(from: h.startIndex, to: h.endIndex, by: 2) { sum += UInt32(h[i]) << 8 | UInt32(h[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    func testDraftVectorsDecryptToTheirPlaintext() {
        for v in Self.draft {
            let ctag = ESP.hex(v.ctag), plain = ESP.hex(v.plain)
            XCTAssertEqual(ctag.count, plain.count + 16, "\(v.name): transcription")
            let iv = ESP.hex(v.iv).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let got = decryptWithStraitKeystream(key: ESP.hex(v.key), salt: ESP.hex(v.salt), iv: iv,
                                                 ciphertext: Array(ctag[0..<plain.count]))
            XCTAssertEqual(got, plain, v.name)
        }
    }

    // GCM specification, test cases 3 and 15, via gnutls/nettle testsuite/gcm-test.c.
    func testGCMSpecificationCases3And15() {
        let p = ESP.hex("""
            d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
            1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255
            """)
        let cases: [(String, String, String)] = [
            ("case 3 (AES-128)", "feffe9928665731c6d6a8f9467308308", """
                42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
                21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985
                """),
            ("case 15 (AES-256)", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", """
                522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
                8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad
                """),
        ]
        for (name, key, c) in cases {
            // IV cafebabefacedbaddecaf888 = RFC 4106 salt cafebabe | explicit IV facedbaddecaf888.
            let got = decryptWithStraitKeystream(key: ESP.hex(key), salt: ESP.hex("cafebabe"), iv: 0xface_dbad_deca_f888,
                                                 ciphertext: ESP.hex(c))
            XCTAssertEqual(got, p, name)
        }
    }
}

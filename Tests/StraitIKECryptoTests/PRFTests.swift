import XCTest
@testable import StraitIKECrypto

final class PRFTests: XCTestCase {
    // RFC 4231 section 4.2 (test case 1), 4.3 (test case 2) and 4.7 (test case 6).
    func testHMACSHA2KnownAnswersFromRFC4231() {
        let key1 = [UInt8](repeating: 0x0b, count: 20), data1 = Array("Hi There".utf8)
        XCTAssertEqual(PRF(.hmacSHA2_256).compute(key: key1, data1).hexForTesting,
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        XCTAssertEqual(PRF(.hmacSHA2_384).compute(key: key1, data1).hexForTesting,
                       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
                       + "faea9ea9076ede7f4af152e8b2fa9cb6")
        XCTAssertEqual(PRF(.hmacSHA2_512).compute(key: key1, data1).hexForTesting,
                       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                       + "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")
        XCTAssertEqual(PRF(.hmacSHA2_256).compute(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
                        .hexForTesting,
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // A key longer than the block is hashed first (RFC 2104); IKE's prf(Ni | Nr, ...) relies on that.
        XCTAssertEqual(PRF(.hmacSHA2_256).compute(key: [UInt8](repeating: 0xaa, count: 131),
                                                  Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
                        .hexForTesting,
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testPartsAreConcatenated() {
        let prf = PRF(.hmacSHA2_256)
        XCTAssertEqual(prf.compute(key: [1, 2, 3], [[4, 5] as [UInt8], [6] as [UInt8], secret("0708")]).hexForTesting,
                       prf.compute(key: [1, 2, 3], [4, 5, 6, 7, 8] as [UInt8]).hexForTesting)
    }

    // Expected values from an independent prf+ in Python (standard library only):
    //   python3 -c "import hmac
    //   def pp(h,k,s,n):
    //     t=o=b'';i=1
    //     while len(o)<n: t=hmac.new(k,t+s+bytes([i]),h).digest();o+=t;i+=1
    //     return o[:n]
    //   print(pp('sha256',bytes(range(32)),b'seed',100).hex()); print(pp('sha512',bytes(range(64)),bytes(range(16)),200).hex())"
    func testPRFPlusAgainstPython() throws {
        let sha256 = try PRF(.hmacSHA2_256).plus(key: range(0, 32), seed: [Array("seed".utf8)], length: 100)
        XCTAssertEqual(sha256.hexForTesting,
                       "4fae78f37a588390e442a412cb463634d9dce644473eb1ea3b773f8b675f7a94"
                       + "06dc2d03dec3ba780e2a7dd6e0a052dd964a23269299ac540144a0d72e865d8e"
                       + "d03d2fdecaaaa847cf048a4653eb8b4479cf7b48edbfed413da1e50617270341"
                       + "410cddfb")
        let sha512 = try PRF(.hmacSHA2_512).plus(key: range(0, 64), seed: [range(0, 8), range(8, 16)], length: 200)
        XCTAssertEqual(sha512.hexForTesting,
                       "b4b406c4b1cd7b484c6ddc897bb6f83ca69e76c6201d2cbe2fbdbcd6124346ed"
                       + "34060c69cc0a65316512ee4ee717c569a1da9e1163f510ae4a740cbc367b973c"
                       + "473d2898010a4ca507f8c9218de5dfc283ee3a958c5d45551f7269bed38c9cde"
                       + "efcb4071903eab876f97fcc241151948c410404ff3dd20918700199c28df253e"
                       + "fdc9f78c36e7a950c4b87b0490eea52cd2ea14534722e108230d53eeadb3bcd3"
                       + "05260bd8dcedf0d04370b4a42ecdb3e57e1497f8ba7c4075af81ef199c76afe7"
                       + "3d2329ddb9cc9fbf")
    }

    func testPRFPlusStopsAt255Blocks() throws {
        XCTAssertEqual(try PRF(.hmacSHA2_256).plus(key: [1], seed: [[2] as [UInt8]], length: 255 * 32).count, 255 * 32)
        XCTAssertThrowsError(try PRF(.hmacSHA2_256).plus(key: [1], seed: [[2] as [UInt8]], length: 255 * 32 + 1)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .keyMaterialTooLong)
        }
        XCTAssertEqual(try PRF(.hmacSHA2_256).plus(key: [1], seed: [], length: 0).count, 0)
    }

    // RFC 4868 2.3: the ICV is the left half of the HMAC.
    func testIntegrityTruncation() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        let icv = IntegrityAlgorithm.hmacSHA2_256_128.icv(key: .init(data: key), [Array("Hi There".utf8)])
        XCTAssertEqual(icv.hexString, "b0344c61d8db38535ca8afceaf0bf12b")
        XCTAssertEqual(IntegrityAlgorithm.hmacSHA2_384_192.icvLength, 24)
        XCTAssertEqual(IntegrityAlgorithm.hmacSHA2_512_256.icvLength, 32)
    }
}

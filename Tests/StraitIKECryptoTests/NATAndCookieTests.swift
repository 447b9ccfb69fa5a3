import XCTest
@testable import StraitIKECrypto

final class NATDetectionTests: XCTestCase {
    // python3 -c "import hashlib,ipaddress
    // print(hashlib.sha1(bytes.fromhex('0102030405060708'+'0000000000000000')+ipaddress.ip_address('192.0.2.1').packed+(500).to_bytes(2,'big')).hexdigest())
    // print(hashlib.sha1(bytes.fromhex('0102030405060708'+'1112131415161718')+ipaddress.ip_address('2001:db8::1').packed+(4500).to_bytes(2,'big')).hexdigest())"
    func testKnownAnswers() throws {
        XCTAssertEqual(try NATDetection.hash(spiI: 0x0102_0304_0506_0708, spiR: 0, address: [192, 0, 2, 1], port: 500).hexString,
                       "644b4575455bd6fcc1efe2be8162a9218e448e5f")
        let v6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        XCTAssertEqual(try NATDetection.hash(spiI: 0x0102_0304_0506_0708, spiR: 0x1112_1314_1516_1718,
                                             address: v6, port: 4500).hexString,
                       "1ee24423bf8f59515e0265c6d0f08be3d038f7e5")
        XCTAssertTrue(NATDetection.matches(hex("644b4575455bd6fcc1efe2be8162a9218e448e5f"), spiI: 0x0102_0304_0506_0708,
                                           spiR: 0, address: [192, 0, 2, 1], port: 500))
        XCTAssertFalse(NATDetection.matches(hex("644b4575455bd6fcc1efe2be8162a9218e448e5f"), spiI: 0x0102_0304_0506_0708,
                                            spiR: 0, address: [192, 0, 2, 1], port: 4500))
        XCTAssertThrowsError(try NATDetection.hash(spiI: 1, spiR: 0, address: [10, 0, 0], port: 500)) {
            XCTAssertEqual(($0 as? IKECryptoError)?.code, .invalidInput)
        }
    }
}

final class CookieTests: XCTestCase {
    let nonce = range(0, 32), address: [UInt8] = [198, 51, 100, 7], spi: UInt64 = 0xdead_beef_0000_0001

    func testAcceptsOwnAndRejectsForged() throws {
        let generator = try CookieGenerator(now: 1000)
        let cookie = generator.cookie(nonceI: nonce, initiatorAddress: address, spiI: spi)
        XCTAssertEqual(cookie.count, 36)
        XCTAssertTrue(generator.isValid(cookie, nonceI: nonce, initiatorAddress: address, spiI: spi))
        // Any other input, or any changed octet, fails.
        XCTAssertFalse(generator.isValid(cookie, nonceI: range(1, 33), initiatorAddress: address, spiI: spi))
        XCTAssertFalse(generator.isValid(cookie, nonceI: nonce, initiatorAddress: [198, 51, 100, 8], spiI: spi))
        XCTAssertFalse(generator.isValid(cookie, nonceI: nonce, initiatorAddress: address, spiI: spi + 1))
        for index in cookie.indices {
            var forged = cookie
            forged[index] ^= 0x04
            XCTAssertFalse(generator.isValid(forged, nonceI: nonce, initiatorAddress: address, spiI: spi), "octet \(index)")
        }
        XCTAssertFalse(generator.isValid(Array(cookie.prefix(35)), nonceI: nonce, initiatorAddress: address, spiI: spi))
        // Another generator (another secret) does not accept it.
        let other = try CookieGenerator(now: 1000)
        XCTAssertFalse(other.isValid(cookie, nonceI: nonce, initiatorAddress: address, spiI: spi))
    }

    func testKnownAnswerWithFixedSecret() {
        // python3 -c "import hashlib; print((1).to_bytes(4,'big').hex() + hashlib.sha256(bytes(range(32))
        //   + bytes([198,51,100,7]) + bytes.fromhex('deadbeef00000001') + bytes(range(0x80,0xa0))).hexdigest())"
        let generator = CookieGenerator(now: 0, rotationInterval: 60, firstSecret: SecretBytes(copying: range(0x80, 0xa0)))
        XCTAssertEqual(generator.cookie(nonceI: nonce, initiatorAddress: address, spiI: spi).hexString, Self.expected)
    }
    static let expected = "00000001" + "596ff83eef9f32fcf0d4a4e00fc73581bb68603af6fd618d46a9da61fd81d8c7"

    func testRotation() throws {
        var generator = try CookieGenerator(now: 1000, rotationInterval: 60)
        let cookie = generator.cookie(nonceI: nonce, initiatorAddress: address, spiI: spi)
        try generator.rotateIfDue(now: 1059) // not yet
        XCTAssertEqual(generator.current.version, 1)
        try generator.rotateIfDue(now: 1060)
        XCTAssertEqual(generator.current.version, 2)
        // Issued just before the change: still accepted under the previous secret.
        XCTAssertTrue(generator.isValid(cookie, nonceI: nonce, initiatorAddress: address, spiI: spi))
        let newer = generator.cookie(nonceI: nonce, initiatorAddress: address, spiI: spi)
        XCTAssertNotEqual(newer, cookie)
        XCTAssertTrue(generator.isValid(newer, nonceI: nonce, initiatorAddress: address, spiI: spi))
        try generator.rotateIfDue(now: 1120)
        // Two rotations later the first cookie is gone; the second is now "previous".
        XCTAssertFalse(generator.isValid(cookie, nonceI: nonce, initiatorAddress: address, spiI: spi))
        XCTAssertTrue(generator.isValid(newer, nonceI: nonce, initiatorAddress: address, spiI: spi))
        XCTAssertFalse("\(generator.current) \(String(reflecting: generator))".contains("key: ["))
    }
}

final class SecretBytesTests: XCTestCase {
    func testRedactedEverywhere() {
        let s = SecretBytes(copying: [0xde, 0xad, 0xbe, 0xef])
        XCTAssertEqual("\(s)", "<redacted>")
        XCTAssertEqual(String(reflecting: s), "<redacted>")
        var dumped = ""
        dump(s, to: &dumped)
        XCTAssertFalse(dumped.contains("222")) // 0xde
        XCTAssertEqual(Mirror(reflecting: s).children.count, 0)
    }

    func testSliceAndCompare() throws {
        let s = SecretBytes(copying: range(0, 10))
        XCTAssertEqual(s.slice(2..<5).unprotectedArrayForTesting, [2, 3, 4])
        XCTAssertTrue(s.slice(0..<3).constantTimeEquals(SecretBytes(copying: [0, 1, 2])))
        XCTAssertFalse(s.slice(0..<3).constantTimeEquals(SecretBytes(copying: [0, 1, 3])))
        XCTAssertFalse(s.constantTimeEquals(s.slice(0..<9)))
        XCTAssertEqual(SecretBytes(copying: []).count, 0)
        let r1 = try SecretBytes(randomCount: 32), r2 = try SecretBytes(randomCount: 32)
        XCTAssertFalse(r1.constantTimeEquals(r2))
    }

    // The storage is wiped when the last copy goes away. Reading freed memory would be undefined,
    // so a debug-only hook shows the buffer between the wipe and the deallocation.
    func testStorageIsWipedOnDeinit() {
        var wiped: [UInt8] = []
        do {
            let s = SecretBytes(copying: [1, 2, 3, 4])
            let copy = s
            SecretBytes.Storage.wipeObserver = { bytes in wiped = Array(bytes) }
            _ = copy
        }
        SecretBytes.Storage.wipeObserver = nil
        XCTAssertEqual(wiped, [0, 0, 0, 0])
    }
}

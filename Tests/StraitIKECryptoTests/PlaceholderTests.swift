import XCTest
@testable import StraitIKECrypto
final class PlaceholderCryptoTests: XCTestCase { func testBuilds() { _ = IKECrypto.self } }

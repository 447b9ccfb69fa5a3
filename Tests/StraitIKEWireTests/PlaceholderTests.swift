import XCTest
@testable import StraitIKEWire
final class PlaceholderWireTests: XCTestCase { func testBuilds() { _ = IKEWire.self } }

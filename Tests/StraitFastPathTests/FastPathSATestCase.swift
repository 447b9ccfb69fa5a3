import CFastPath
import XCTest

/// A test class that installs SAs in the fast path's tables: EAL comes up first
/// (`FastPathTestEAL`), and every SA it records with `keep` is deleted after each test. A test
/// that leaves an SA behind fails, so the next one starts from the same tables.
class FastPathSATestCase: XCTestCase {
    var installed: [Int32] = []
    private var sasAtStart: Int32 = 0

    override func setUp() {
        super.setUp()
        XCTAssertTrue(FastPathTestEAL.up())
        sasAtStart = fp_sa_count()
    }

    override func tearDown() {
        installed.forEach { fp_sa_del($0) }
        installed = []
        XCTAssertEqual(fp_sa_count(), sasAtStart, "SAs left in the fast path's tables")
        super.tearDown()
    }

    /// `h` (an fp_sa_add result) is deleted after the test when it is a handle; returned as is.
    func keep(_ h: Int32) -> Int32 {
        if h >= 0 { installed.append(h) }
        return h
    }
}

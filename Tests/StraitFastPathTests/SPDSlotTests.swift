import CFastPath
import XCTest

/// fp_policy_add's slot allocation: the lowest free slot is reused, and a search starts
/// where the last one ended (bulk loads stay linear), without ever handing out a slot in use.
final class SPDSlotTests: XCTestCase {
    private var policies: [Int32] = []
    private var sa: Int32 = -1

    override func setUp() {
        super.setUp()
        XCTAssertTrue(FastPathTestEAL.up())
        sa = ESP.addSA(inbound: false, spi: 0x5d5d, key: [UInt8](repeating: 7, count: 16), salt: [1, 2, 3, 4], esn: false)
    }

    override func tearDown() {
        policies.forEach { fp_policy_del($0) }
        policies = []
        if sa >= 0 { fp_sa_del(sa) }
        super.tearDown()
    }

    /// A /32 policy to 203.0.113.n or 198.51.100.n (so no two share a chain head).
    private func add(_ n: Int, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        var c = fp_policy_config_t()
        c.local = ESP.ipv4(10, 0, 0, 0)
        c.local_len = 8
        c.remote = n < 256 ? ESP.ipv4(203, 0, 113, UInt8(n)) : ESP.ipv4(198, 51, UInt8(n >> 8), UInt8(n & 0xff))
        c.remote_len = 32
        c.action = FP_POLICY_PROTECT
        c.sa = sa
        var err = [CChar](repeating: 0, count: Int(FP_ERR_LEN))
        let h = fp_policy_add(&c, &err, err.count)
        XCTAssertGreaterThan(h, 0, String(cString: err), file: file, line: line)
        if h > 0 { policies.append(h) }
        return h
    }

    private func del(_ h: Int32) {
        XCTAssertEqual(fp_policy_del(h), 0)
        policies.removeAll { $0 == h }
    }

    func testFreedSlotsAreReusedLowestFirstAndLiveOnesNever() {
        let base = fp_policy_count()
        let first = (0..<8).map { add($0) }
        XCTAssertEqual(Set(first).count, 8, "distinct slots")
        XCTAssertEqual(fp_policy_count(), base + 8)
        del(first[5])
        del(first[2])
        XCTAssertEqual(add(100), first[2], "the lowest freed slot first")
        XCTAssertEqual(add(101), first[5], "then the next freed one")
        let next = add(102)
        XCTAssertFalse(first.contains(next), "no slot in use is handed out again")
        XCTAssertEqual(fp_policy_count(), base + 9)
    }

    func testABulkLoadGetsConsecutiveSlotsAndAllOfThemWork() {
        let hs = (0..<2000).map { add(300 + $0) }
        XCTAssertEqual(Set(hs).count, hs.count)
        var config = fp_policy_config_t(), matches: UInt64 = 0
        for h in hs.prefix(10) + hs.suffix(10) {
            XCTAssertEqual(fp_policy_info(h, &config, &matches), 0)
            XCTAssertEqual(config.sa, sa)
        }
        hs.forEach(del)
        XCTAssertEqual(add(99), hs.min(), "after a mass delete the search starts low again")
    }
}

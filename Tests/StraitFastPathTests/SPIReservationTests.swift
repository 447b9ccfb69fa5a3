import CFastPath
import XCTest

/// fp_sa_reserve_spi / fp_sa_release_spi and the handle allocator: reserved SPIs encode their
/// handle (the workers' one-compare lookup), a reservation keeps its handle from every other
/// SA, and handles are handed out from the top down in O(1) (amortised).
final class SPIReservationTests: FastPathSATestCase {
    private let key = (0..<16).map { UInt8($0 &+ 1) }, salt: [UInt8] = [1, 2, 3, 4]
    private var reserved: [UInt32] = []

    override func tearDown() {
        super.tearDown()   // the SAs first: the reservations they consumed are gone with them
        reserved.forEach { fp_sa_release_spi($0) }
        reserved = []
    }

    private func reserve(file: StaticString = #filePath, line: UInt = #line) -> UInt32 {
        var spi: UInt32 = 0
        XCTAssertEqual(fp_sa_reserve_spi(&spi), 0, file: file, line: line)
        reserved.append(spi)
        return spi
    }

    private func add(inbound: Bool, spi: UInt32, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let (h, err) = ESP.add(ESP.config(inbound: inbound, spi: spi, key: key, salt: salt, esn: false))
        XCTAssertGreaterThanOrEqual(h, 0, "fp_sa_add(0x\(String(spi, radix: 16))): \(err)", file: file, line: line)
        return keep(h)
    }

    func testAReservedSPIEncodesItsHandleAndAnInboundSAWithItTakesThatHandle() {
        let before = fp_sa_reserved_count()
        let spi = reserve()
        XCTAssertGreaterThanOrEqual(spi, 256, "RFC 4303 reserves 1-255")
        XCTAssertNotEqual(spi & 0xfffff, 0, "handle 0 is never used")
        XCTAssertEqual(fp_sa_reserved_count(), before + 1)
        let h = add(inbound: true, spi: spi)
        XCTAssertEqual(UInt32(h), spi & 0xfffff)
        XCTAssertEqual(fp_sa_reserved_count(), before, "installing consumes the reservation")
        reserved.removeAll()

        // The workers' path finds it: a packet for the SPI reaches this SA (ICV fails, but on it).
        let esp: [UInt8] = [UInt8(spi >> 24), UInt8(spi >> 16 & 0xff), UInt8(spi >> 8 & 0xff), UInt8(spi & 0xff)]
            + [0, 0, 0, 1] + [UInt8](repeating: 0, count: 8) + [UInt8](repeating: 0x55, count: 32)
        let (outcome, sa) = ESP.decap(ESP.outer(esp))
        XCTAssertEqual(sa, h, "\(outcome)")
    }

    func testReservationsAreDistinctAndComeFromTheTop() {
        let spis = (0..<64).map { _ in reserve() }
        XCTAssertEqual(Set(spis.map { $0 & 0xfffff }).count, 64, "one handle each")
        XCTAssertTrue(spis.allSatisfy { $0 & 0xfffff > 0xf0000 }, "low handles stay free for configured SPIs")
        // The upper 12 bits vary (random): 64 equal draws would be a broken generator.
        XCTAssertGreaterThan(Set(spis.map { $0 >> 20 }).count, 1)
    }

    func testAReservedHandleIsTakenByNoOtherSA() {
        let spi = reserve()
        let handle = spi & 0xfffff
        // An inbound SA whose (other) SPI names the same slot goes to the hash instead.
        let other = (spi &+ (1 << 20)) == spi ? spi ^ 0x8000_0000 : spi &+ (1 << 20)
        let h1 = add(inbound: true, spi: other)
        XCTAssertNotEqual(UInt32(h1), handle)
        // Outbound SAs never get it either.
        let outs = (0..<8).map { add(inbound: false, spi: 0x5000 + UInt32($0)) }
        XCTAssertFalse(outs.contains(Int32(handle)))
        // The reserved SPI still installs on its handle.
        XCTAssertEqual(UInt32(add(inbound: true, spi: spi)), handle)
        reserved.removeAll()
        // Both inbound SAs are found by their SPIs.
        var info = fp_sa_info_t()
        XCTAssertEqual(fp_sa_info(h1, &info), 0)
        XCTAssertEqual(info.config.spi, other)
    }

    func testReleasedSPIsGiveTheirHandleBack() {
        let before = fp_sa_reserved_count()
        let spi = reserve()
        fp_sa_release_spi(spi)
        reserved.removeAll()
        XCTAssertEqual(fp_sa_reserved_count(), before)
        fp_sa_release_spi(spi)   // twice: ignored
        fp_sa_release_spi(0x1234_5678)   // never reserved: ignored
        XCTAssertEqual(fp_sa_reserved_count(), before)
        // The handle is free again: the next allocation reuses it (most recently freed first).
        let again = reserve()
        XCTAssertEqual(again & 0xfffff, spi & 0xfffff)
        // An inbound SA installed with the released SPI is an ordinary SA (slot free: direct).
        fp_sa_release_spi(again)
        reserved.removeAll()
        XCTAssertEqual(UInt32(add(inbound: true, spi: spi)), spi & 0xfffff)
    }

    func testConfiguredSPIsStillTakeTheirSlotAndOutboundSAsTheTop() {
        let inbound = add(inbound: true, spi: 0x0000_3001)
        XCTAssertEqual(inbound, 0x3001, "an SPI that encodes a free slot takes it")
        let out1 = add(inbound: false, spi: 0x0000_3001), out2 = add(inbound: false, spi: 0x0000_3002)
        XCTAssertGreaterThan(out1, 0xf0000)
        XCTAssertGreaterThan(out2, 0xf0000)
        XCTAssertNotEqual(out1, out2)
        // A freed outbound handle is reused first.
        XCTAssertEqual(fp_sa_del(out2), 0)
        installed.removeAll { $0 == out2 }
        XCTAssertEqual(add(inbound: false, spi: 0x0000_3003), out2)
        // An inbound SPI colliding with an outbound SA's slot goes to the hash, and is found.
        let collide = UInt32(out1)
        let h = add(inbound: true, spi: collide)
        XCTAssertNotEqual(h, out1)
        var info = fp_sa_info_t()
        XCTAssertEqual(fp_sa_info(h, &info), 0)
        XCTAssertEqual(info.config.spi, collide)
    }

    func testManySAsInstallInLinearTime() {
        // 20k outbound SAs and back: with the former top-down scan this was quadratic.
        let n = 20_000
        let start = Date()
        var handles: [Int32] = []
        handles.reserveCapacity(n)
        var c = ESP.config(inbound: false, spi: 0x9000, key: key, salt: salt, esn: false)
        var err = [CChar](repeating: 0, count: Int(FP_ERR_LEN))
        for i in 0..<n {
            c.spi = 0x0100_0000 + UInt32(i)
            let h = fp_sa_add(&c, &err, err.count)
            XCTAssertGreaterThanOrEqual(h, 0, String(cString: err))
            if h < 0 { break }
            handles.append(h)
        }
        XCTAssertEqual(Set(handles).count, handles.count)
        for h in handles { fp_sa_del(h) }
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertLessThan(elapsed, 30, "20k SAs took \(elapsed) s")
    }
}

import CFastPath
import Foundation
import XCTest

/// fp_sa_set_endpoints (MOBIKE, NAT rebinding): an installed SA moves to new outer addresses
/// and encapsulation; sequence numbers, replay state and counters carry on; packets built
/// while it moves are each wholly old or wholly new.
final class SAEndpointTests: FastPathSATestCase {
    private let key = (0..<16).map { UInt8($0 &* 3 &+ 9) }
    private let salt: [UInt8] = [1, 2, 3, 4]

    private func sa(inbound: Bool, spi: UInt32) -> Int32 {
        return keep(ESP.addSA(inbound: inbound, spi: spi, key: key, salt: salt, esn: false))
    }

    private func inner(_ n: Int = 40) -> [UInt8] {
        let len = 20 + n
        var p: [UInt8] = [0x45, 0, UInt8(len >> 8), UInt8(len & 0xff), 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 1, 10, 2, 0, 1]
        var sum: UInt32 = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(p[i]) << 8 | UInt32(p[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        p[10] = UInt8(~UInt16(sum) >> 8); p[11] = UInt8(~UInt16(sum) & 0xff)
        return p + [UInt8](repeating: 0x5a, count: n)
    }

    /// The outer header's view: addresses, UDP ports (nil for raw ESP), ESP sequence number.
    private struct Outer: Equatable {
        var src: [UInt8], dst: [UInt8], ports: [UInt16]?, seq: UInt32
        init(_ p: [UInt8]) {
            src = Array(p[12..<16]); dst = Array(p[16..<20])
            let udp = p[9] == 17
            ports = udp ? [UInt16(p[20]) << 8 | UInt16(p[21]), UInt16(p[22]) << 8 | UInt16(p[23])] : nil
            let esp = udp ? 28 : 20
            seq = p[(esp + 4)..<(esp + 8)].reduce(0) { $0 << 8 | UInt32($1) }
        }
    }

    private func packet(_ sa: Int32) -> [UInt8]? {
        guard case .packet(let p) = ESP.encap(sa, inner()) else { XCTFail("encap failed"); return nil }
        return p
    }

    func testAnOutboundSAMovesToNewAddressesAndUDPAndKeepsItsSequenceNumbers() throws {
        let out = sa(inbound: false, spi: 0x0E10_0001)
        let first = Outer(try XCTUnwrap(packet(out)))
        XCTAssertEqual(first, Outer([0x45] + [UInt8](repeating: 0, count: 8) + [50, 0, 0] + [192, 0, 2, 2, 192, 0, 2, 1] + [UInt8](repeating: 0, count: 4) + [0, 0, 0, 1]))
        // Into UDP at a NAT's address and port, from a new local address.
        var l = ESP.ipv4(198, 51, 100, 1), r = ESP.ipv4(203, 0, 113, 7)
        XCTAssertEqual(fp_sa_set_endpoints(out, &l, &r, 1, 4500, 61_001), 0)
        let moved = Outer(try XCTUnwrap(packet(out)))
        XCTAssertEqual(moved.src, [198, 51, 100, 1])
        XCTAssertEqual(moved.dst, [203, 0, 113, 7])
        XCTAssertEqual(moved.ports, [4500, 61_001])
        XCTAssertEqual(moved.seq, 2, "the sequence number goes on: no reuse, no reset")
        var info = ESP.info(out)
        XCTAssertEqual(info.config.udp_encap, 1)
        XCTAssertEqual(info.config.udp_remote_port, 61_001)
        XCTAssertEqual(info.seq, 2)
        XCTAssertEqual(info.packets, 2)
        // Back to raw ESP; port 0 reads as 4500 as at install.
        XCTAssertEqual(fp_sa_set_endpoints(out, &l, &r, 0, 0, 0), 0)
        let raw = Outer(try XCTUnwrap(packet(out)))
        XCTAssertNil(raw.ports)
        XCTAssertEqual(raw.dst, [203, 0, 113, 7])
        XCTAssertEqual(raw.seq, 3)
        info = ESP.info(out)
        XCTAssertEqual(info.config.udp_encap, 0)
        XCTAssertEqual(info.config.udp_local_port, 4500)
    }

    func testAnInboundSAKeepsItsReplayWindowAndTakesPacketsFromTheNewAddress() throws {
        let out = sa(inbound: false, spi: 0x0E10_0002), inb = sa(inbound: true, spi: 0x0E10_0002)
        let p1 = try XCTUnwrap(packet(out)), p2 = try XCTUnwrap(packet(out))
        XCTAssertEqual(ESP.decap(p2).0, .packet(inner()))
        var l = ESP.ipv4(192, 0, 2, 1), r = ESP.ipv4(203, 0, 113, 9)
        XCTAssertEqual(fp_sa_set_endpoints(inb, &l, &r, 1, 4500, 4500), 0)
        XCTAssertEqual(ESP.decap(p2).0, .drop("esp-replay"),
                       "the replay window survived the move")
        XCTAssertEqual(ESP.decap(p1).0, .packet(inner()), "an older, unseen number still passes")
        let info = ESP.info(inb)
        XCTAssertEqual(info.replay_top, 2)
        XCTAssertEqual(Array(withUnsafeBytes(of: info.config.tunnel_remote.addr) { $0.prefix(4) }), [203, 0, 113, 9])
    }

    func testBadArgumentsAreRefused() {
        var l = ESP.ipv4(192, 0, 2, 1), r = ESP.ipv4(192, 0, 2, 2)
        XCTAssertEqual(fp_sa_set_endpoints(999_999, &l, &r, 0, 0, 0), -ENOENT)
        let out = sa(inbound: false, spi: 0x0E10_0003)
        var six = fp_ip_t()
        six.family = 6
        XCTAssertEqual(fp_sa_set_endpoints(out, &l, &six, 0, 0, 0), -EINVAL)
        XCTAssertEqual(fp_sa_set_endpoints(out, nil, &r, 0, 0, 0), -EINVAL)
    }

    /// A thread encrypts while this one flips the SA between two endpoint sets as fast as it
    /// can: every packet must be wholly one set (addresses, protocol and ports together). A
    /// header written in place would show mixes (new address with the old encapsulation): with
    /// fp_sa_set_endpoints broken that way this failed 2 runs of 3 on a loaded 2-vCPU box. The
    /// reader is no RCU reader (workers are), so only two sets alternate: each copy then keeps
    /// its contents and the reader's view never depends on the grace period.
    func testPacketsBuiltWhileTheSAMovesAreNeverTorn() throws {
        let out = sa(inbound: false, spi: 0x0E10_0004)
        let a = (ESP.ipv4(192, 0, 2, 1), ESP.ipv4(192, 0, 2, 2), UInt8(0), UInt16(0), UInt16(0))
        let b = (ESP.ipv4(198, 51, 100, 77), ESP.ipv4(203, 0, 113, 88), UInt8(1), UInt16(4501), UInt16(61_002))
        let wantA = ([UInt8]([192, 0, 2, 1]), [UInt8]([192, 0, 2, 2]), [UInt16]?.none)
        let wantB = ([UInt8]([198, 51, 100, 77]), [UInt8]([203, 0, 113, 88]), [UInt16]?.some([4501, 61_002]))
        var start = a
        XCTAssertEqual(fp_sa_set_endpoints(out, &start.0, &start.1, start.2, start.3, start.4), 0)
        let stop = ManagedAtomicFlag()
        var seen: [Outer] = []
        let reader = Thread { [inner = inner()] in
            var buf = [UInt8](repeating: 0, count: 2048)
            while !stop.isSet {
                let n = inner.withUnsafeBufferPointer { fp_esp_encap_buffer(out, $0.baseAddress, UInt32(inner.count), &buf, 2048) }
                if n > 0 { seen.append(Outer(Array(buf[0..<Int(n)]))) }
            }
            stop.done()
        }
        reader.start()
        let deadline = Date().addingTimeInterval(1.0)
        var flips = 0
        while Date() < deadline {
            var e = flips % 2 == 0 ? b : a
            XCTAssertEqual(fp_sa_set_endpoints(out, &e.0, &e.1, e.2, e.3, e.4), 0)
            flips += 1
        }
        stop.set()
        stop.waitDone()
        let torn = seen.filter { o in
            !((o.src, o.dst) == (wantA.0, wantA.1) && o.ports == wantA.2) && !((o.src, o.dst) == (wantB.0, wantB.1) && o.ports == wantB.2)
        }
        XCTAssertGreaterThan(seen.count, 100, "the reader ran")
        XCTAssertGreaterThan(flips, 100)
        XCTAssertEqual(torn.count, 0, "torn headers: \(torn.prefix(3))")
        let seqs = seen.map(\.seq)
        XCTAssertEqual(seqs, Array(1...UInt32(seqs.count)), "one sequence number per packet, in order, across every move")
    }
}

/// A stop flag and a done signal between the test and its reader thread.
private final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private let finished = DispatchSemaphore(value: 0)
    var isSet: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
    func done() { finished.signal() }
    func waitDone() { finished.wait() }
}

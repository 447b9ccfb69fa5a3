import CFastPath
import XCTest

/// The contract of fp_ipsec.h around one packet: round trips for every cipher variant, what a
/// drop returns, SA validation, lifetimes, events, per-SA counters and selectors.
final class ESPOnePacketAPITests: FastPathSATestCase {
    private let key16 = (0..<16).map { UInt8($0 &* 7 &+ 1) }, key32 = (0..<32).map { UInt8($0 &* 5 &+ 3) }
    private let salt: [UInt8] = [0xde, 0xad, 0xbe, 0xef]

    override func setUp() {
        super.setUp()
        drainEvents()
    }

    private func sa(inbound: Bool, spi: UInt32, key: [UInt8]? = nil, icv: UInt8 = 16, esn: Bool = false, inactive: Bool = false,
                    configure: (inout fp_sa_config_t) -> Void = { _ in }) -> Int32 {
        keep(ESP.addSA(inbound: inbound, spi: spi, key: key ?? key16, salt: salt, icv: icv, esn: esn, inactive: inactive,
                       configure: configure))
    }

    private func inner4(_ payload: Int, src: [UInt8] = [10, 1, 0, 1], dst: [UInt8] = [10, 2, 0, 1]) -> [UInt8] {
        let len = 20 + payload
        var p: [UInt8] = [0x45, 0, UInt8(len >> 8), UInt8(len & 0xff), 0, 1, 0, 0, 64, 17, 0, 0] + src + dst
        var sum: UInt32 = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(p[i]) << 8 | UInt32(p[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        p[10] = UInt8(~UInt16(sum) >> 8); p[11] = UInt8(~UInt16(sum) & 0xff)
        return p + (0..<payload).map { UInt8(truncatingIfNeeded: $0) }
    }

    private func inner6(_ payload: Int) -> [UInt8] {
        [0x60, 0, 0, 0, UInt8(payload >> 8), UInt8(payload & 0xff), 59, 64] + [UInt8](repeating: 0x20, count: 16)
            + [UInt8](repeating: 0x21, count: 16) + [UInt8](repeating: 0x33, count: payload)
    }

    @discardableResult
    private func drainEvents() -> [fp_ipsec_event_t] {
        var all: [fp_ipsec_event_t] = []
        var buf = [fp_ipsec_event_t](repeating: fp_ipsec_event_t(), count: 64)
        while true {
            let n = Int(fp_ipsec_events(&buf, 64))
            all += buf[0..<n]
            if n < 64 { return all }
        }
    }

    func testRoundTripForEveryKeyICVAndSequenceVariant() {
        var spi: UInt32 = 0x7000
        for key in [key16, key32] {
            for icv: UInt8 in [8, 12, 16] {
                for esn in [false, true] {
                    spi += 1
                    let out = sa(inbound: false, spi: spi, key: key, icv: icv, esn: esn)
                    let inb = sa(inbound: true, spi: spi, key: key, icv: icv, esn: esn, inactive: true)
                    if esn {   // the second packet crosses 2^32 on both sides
                        fp_sa_set_seq(out, 0xFFFF_FFFE)
                        ESP.setTop(inb, 0xFFFF_FFF0)
                    } else {
                        fp_sa_activate(inb)
                    }
                    for (i, inner) in [inner4(0), inner4(1), inner4(2), inner4(1300), inner4(3)].enumerated() {
                        let what = "AES-\(key.count * 8) ICV \(icv) \(esn ? "ESN" : "32-bit") packet \(i)"
                        guard case .packet(let outer) = ESP.encap(out, inner) else { return XCTFail(what) }
                        XCTAssertEqual(outer.count, 20 + 16 + inner.count + (4 - (inner.count + 2) % 4) % 4 + 2 + Int(icv), what)
                        XCTAssertEqual(ESP.decap(outer).0, .packet(inner), what)
                    }
                }
            }
        }
        // IPv6 inside.
        let out = sa(inbound: false, spi: 0x7100) { $0.ts_local.family = 6; $0.ts_remote.family = 6 }
        _ = sa(inbound: true, spi: 0x7100) { $0.ts_local.family = 6; $0.ts_remote.family = 6 }
        guard case .packet(let outer) = ESP.encap(out, inner6(33)) else { return XCTFail("IPv6 encap") }
        XCTAssertEqual(ESP.decap(outer).0, .packet(inner6(33)))
    }

    /// A drop returns -(counter id); an output buffer that is too small is a drop too, and must
    /// not be reported as some other counter.
    func testOutputBufferTooSmallIsReportedAsNoRoom() {
        let out = sa(inbound: false, spi: 0x7201), inb = sa(inbound: true, spi: 0x7201)
        var small = [UInt8](repeating: 0, count: 16)
        let inner = inner4(100)
        let e = inner.withUnsafeBufferPointer { fp_esp_encap_buffer(out, $0.baseAddress, UInt32(inner.count), &small, 16) }
        XCTAssertLessThan(e, 0)
        if e < 0 { XCTAssertEqual(String(cString: fp_counter_name(-e)), "esp-no-room", "encap into 16 bytes") }

        guard case .packet(let outer) = ESP.encap(out, inner) else { return XCTFail("encap") }
        var sa: Int32 = -1
        let d = outer.withUnsafeBufferPointer { fp_esp_decap_buffer($0.baseAddress, UInt32(outer.count), &small, 16, &sa) }
        XCTAssertLessThan(d, 0)
        if d < 0 { XCTAssertEqual(String(cString: fp_counter_name(-d)), "esp-no-room", "decap into 16 bytes") }
        XCTAssertEqual(sa, inb)
    }

    /// The window's edges, slides that carry bits across bitmap words, ESN inference (both
    /// cases of RFC 4303 A.2.2, and across 2^32).
    func testReplayWindowEdgesSlidesAndESNInference() {
        let cases: [(window: UInt32, esn: Bool, acrossWrap: Bool)] = [(64, false, false), (4096, false, false),
                                                                      (128, true, false), (128, true, true)]
        for (n, c) in cases.enumerated() {
            let spi = 0x7800 + UInt32(n)
            let out = sa(inbound: false, spi: spi, esn: c.esn)
            let inb = sa(inbound: true, spi: spi, esn: c.esn, inactive: true) { $0.replay_window = c.window }
            let base: UInt64 = c.acrossWrap ? 0xFFFF_FFFF - 40 : 0
            ESP.setTop(inb, base)
            func send(_ n: Int64) -> ESP.Outcome {   // packet number base + n
                fp_sa_set_seq(out, UInt64(Int64(base) + n - 1))
                guard case .packet(let p) = ESP.encap(out, inner4(4)) else { return .drop("encap failed") }
                return ESP.decap(p).0
            }
            let ok = ESP.Outcome.packet(inner4(4)), replay = ESP.Outcome.drop("esp-replay")
            // ESN (RFC 4303 A.2.2): a number left of the window is taken for the next 2^32 block,
            // so its ICV fails instead.
            let left = c.esn ? ESP.Outcome.drop("esp-auth-failed") : replay
            let w = Int64(c.window), what = "window \(c.window)\(c.esn ? " ESN" : "")\(c.acrossWrap ? " around 2^32" : "")"
            let top: Int64 = c.acrossWrap ? 61 : w + 100       // around 2^32: the window reaches back before it
            let slide: Int64 = c.window == 4096 ? 129 : 37        // not a multiple of 64
            let carried: Int64 = c.window == 4096 ? 63 : 40       // a seen bit that must cross into the next word
            XCTAssertEqual(send(top), ok, what)
            XCTAssertEqual(send(top - (w - 1)), ok, "\(what): the oldest number in the window")
            XCTAssertEqual(send(top - w), left, "\(what): just left of the window")
            XCTAssertEqual(send(top - (w - 1)), replay, "\(what): seen")
            XCTAssertEqual(send(top - carried), ok, what)
            XCTAssertEqual(send(top + slide), ok, "\(what): slide by \(slide)")
            XCTAssertEqual(send(top), replay, "\(what): the old edge's bit moved \(slide) places back")
            XCTAssertEqual(send(top - carried), carried + slide < w ? replay : left, "\(what): a bit carried across words")
            XCTAssertEqual(send(top + 1), ok, "\(what): a neighbour never seen")
            XCTAssertEqual(send(top + slide - (w - 1)), ok, "\(what): the oldest number after the slide")
            XCTAssertEqual(send(top + slide - w), left, "\(what): left of the window after the slide")
        }
    }

    func testSAValidation() {
        func rejects(_ why: String, _ change: (inout fp_sa_config_t) -> Void) {
            var c = ESP.config(inbound: true, spi: 0x7300, key: key16, salt: salt, esn: false)
            change(&c)
            let (h, err) = ESP.add(c)
            XCTAssertEqual(h, -1, why)
            XCTAssertFalse(err.isEmpty, why)
            if h >= 0 { fp_sa_del(h) }
        }
        rejects("24-byte key") { $0.key_len = 24 }
        rejects("ICV 10") { $0.icv_len = 10 }
        rejects("window 100 (not a multiple of 64)") { $0.replay_window = 100 }
        rejects("window beyond FP_SA_MAX_WINDOW") { $0.replay_window = UInt32(FP_SA_MAX_WINDOW) + 64 }
        rejects("SPI 255 (reserved)") { $0.spi = 255 }
        rejects("IPv6 tunnel") { $0.tunnel_local.family = 6 }
        rejects("selectors of two families") { $0.ts_remote.family = 6 }
        let first = sa(inbound: true, spi: 0x100)
        XCTAssertGreaterThan(first, 0, "SPI 256 is the first one allowed")
        rejects("duplicate inbound SPI") { $0.spi = 0x100 }
        XCTAssertGreaterThan(sa(inbound: false, spi: 0x100), 0, "the same SPI outbound is another SA")
    }

    func testSequenceExhaustionStopsTheSAWithOneEvent() {
        let out = sa(inbound: false, spi: 0x7400) { $0.cookie = 0xC0FFEE }
        XCTAssertEqual(fp_sa_set_seq(out, 0xFFFF_FFFF), 0)
        XCTAssertEqual(fp_sa_set_seq(out, 0x1_0000_0000), -ERANGE, "32-bit SAs cannot go beyond 2^32 - 1")
        XCTAssertEqual(ESP.encap(out, inner4(10)), .drop("esp-seq-exhausted"))
        XCTAssertEqual(ESP.encap(out, inner4(10)), .drop("esp-sa-inactive"))
        let ev = drainEvents().filter { $0.sa == out }
        XCTAssertEqual(ev.map(\.type), [FP_EV_SA_SEQ_EXHAUSTED])
        XCTAssertEqual(ev.first?.cookie, 0xC0FFEE)
        XCTAssertEqual(ESP.info(out).expired, 1)
    }

    func testUnknownSPIRaisesAnEventWithTheOuterAddresses() {
        usleep(2000)   // unknown-SPI events are rate limited to one per millisecond
        let esp: [UInt8] = [0x00, 0x77, 0x77, 0x77, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 40)
        XCTAssertEqual(ESP.decap(ESP.outer(esp)).0, .drop("esp-unknown-spi"))
        let ev = drainEvents().filter { $0.type == FP_EV_UNKNOWN_SPI }
        XCTAssertEqual(ev.count, 1)
        XCTAssertEqual(ev.first?.spi, 0x0077_7777)
        XCTAssertEqual(ev.first?.sa, -1)
        XCTAssertEqual(ev.first.map { withUnsafeBytes(of: $0.src.addr) { Array($0[0..<4]) } }, [192, 0, 2, 2])
        XCTAssertEqual(ev.first.map { withUnsafeBytes(of: $0.dst.addr) { Array($0[0..<4]) } }, [192, 0, 2, 1])
    }

    func testInboundLifetimesAndCounters() {
        let out = sa(inbound: false, spi: 0x7500)
        let inb = sa(inbound: true, spi: 0x7500) { $0.soft_packets = 2; $0.hard_packets = 3 }
        let packets = (0..<5).compactMap { _ -> [UInt8]? in
            if case .packet(let p) = ESP.encap(out, inner4(50)) { return p }
            return nil
        }
        XCTAssertEqual(packets.count, 5)
        var flipped = packets[0]
        flipped[40] ^= 1
        XCTAssertEqual(ESP.decap(flipped).0, .drop("esp-auth-failed"))
        XCTAssertEqual(ESP.decap(packets[0]).0, .packet(inner4(50)))
        XCTAssertEqual(ESP.decap(packets[0]).0, .drop("esp-replay"))
        XCTAssertEqual(ESP.decap(packets[1]).0, .packet(inner4(50)))
        XCTAssertEqual(ESP.decap(packets[2]).0, .packet(inner4(50)))
        XCTAssertEqual(ESP.decap(packets[3]).0, .drop("esp-sa-inactive"), "beyond hard_packets")
        XCTAssertEqual(ESP.decap(packets[4]).0, .drop("esp-sa-inactive"))
        let i = ESP.info(inb)
        XCTAssertEqual(i.auth_failures, 1)
        XCTAssertEqual(i.replay_drops, 1)
        XCTAssertEqual(i.expired, 1)
        XCTAssertEqual(drainEvents().filter { $0.sa == inb }.map(\.type), [FP_EV_SA_SOFT_EXPIRED, FP_EV_SA_HARD_EXPIRED])
    }

    func testInnerAddressesOutsideTheSelectorsAreDropped() {
        let out = sa(inbound: false, spi: 0x7600)
        let inb = sa(inbound: true, spi: 0x7600) {
            $0.ts_remote = ESP.ipv4(10, 1, 0, 0); $0.ts_remote_len = 16
            $0.ts_local = ESP.ipv4(10, 2, 0, 0); $0.ts_local_len = 16
        }
        for (src, dst, ok) in [([10, 1, 9, 9], [10, 2, 7, 7], true), ([10, 3, 0, 1], [10, 2, 0, 1], false),
                               ([10, 1, 0, 1], [10, 4, 0, 1], false)] as [([UInt8], [UInt8], Bool)] {
            let inner = inner4(8, src: src, dst: dst)
            guard case .packet(let outer) = ESP.encap(out, inner) else { return XCTFail("encap") }
            XCTAssertEqual(ESP.decap(outer).0, ok ? .packet(inner) : .drop("esp-policy-mismatch"), "\(src) -> \(dst)")
        }
        XCTAssertEqual(ESP.info(inb).policy_mismatches, 2)
    }

    /// IKE's lists of selectors (RFC 7296 2.9): source in any remote selector, destination in
    /// any local one, of the packet's family; the first pair inline, the others in lists.
    func testMoreSelectorsOnBothSidesAndBothFamilies() {
        let out = sa(inbound: false, spi: 0x7700)
        let inb = sa(inbound: true, spi: 0x7700) {
            $0.ts_remote = ESP.ipv4(10, 1, 0, 0); $0.ts_remote_len = 16
            $0.ts_local = ESP.ipv4(10, 2, 0, 0); $0.ts_local_len = 16
            $0.n_more_remote = 2
            $0.n_more_local = 1
            var v6 = fp_ip_t(); v6.family = 6
            withUnsafeMutableBytes(of: &v6.addr) { for i in 0..<16 { $0[i] = 0x20 } }   // 2020:2020::/32
            var v6l = fp_ip_t(); v6l.family = 6
            withUnsafeMutableBytes(of: &v6l.addr) { for i in 0..<16 { $0[i] = 0x21 } }  // 2121:2121::/32
            withUnsafeMutableBytes(of: &$0.more_remote) { raw in
                let p = raw.bindMemory(to: fp_prefix_t.self)
                p[0] = fp_prefix_t(addr: ESP.ipv4(10, 3, 0, 0), len: 24)
                p[1] = fp_prefix_t(addr: v6, len: 32)
            }
            withUnsafeMutableBytes(of: &$0.more_local) { raw in
                raw.bindMemory(to: fp_prefix_t.self)[0] = fp_prefix_t(addr: v6l, len: 32)
            }
        }
        XCTAssertGreaterThanOrEqual(inb, 0)
        for (src, dst, ok) in [([10, 1, 9, 9], [10, 2, 7, 7], true),    // the first pair
                               ([10, 3, 0, 5], [10, 2, 0, 1], true),    // a further remote selector
                               ([10, 3, 1, 5], [10, 2, 0, 1], false),   // outside every remote one
                               ([10, 1, 0, 1], [10, 4, 0, 1], false)] as [([UInt8], [UInt8], Bool)] {
            let inner = inner4(8, src: src, dst: dst)
            guard case .packet(let outer) = ESP.encap(out, inner) else { return XCTFail("encap") }
            XCTAssertEqual(ESP.decap(outer).0, ok ? .packet(inner) : .drop("esp-policy-mismatch"), "\(src) -> \(dst)")
        }
        // IPv6 from 2020:2020::/32 to 2121:2121::/32: both only in the lists.
        let v6 = inner6(8)
        guard case .packet(let outer6) = ESP.encap(out, v6) else { return XCTFail("encap v6") }
        XCTAssertEqual(ESP.decap(outer6).0, .packet(v6))
        XCTAssertEqual(ESP.info(inb).policy_mismatches, 2)
        // More than FP_SA_MORE_TS per side is refused.
        var c = ESP.config(inbound: true, spi: 0x7701, key: key16, salt: salt, esn: false)
        c.n_more_local = UInt8(FP_SA_MORE_TS) + 1
        XCTAssertEqual(ESP.add(c).0, -1)
    }
}

import CFastPath
import Foundation
import XCTest

/// Small helpers for the ESP tests: hex, SA installation and the one-packet ESP functions
/// (fp_esp_encap_buffer / fp_esp_decap_buffer, the code the workers run).
enum ESP {
    /// Bytes from hex text; whitespace is ignored.
    static func hex(_ s: String) -> [UInt8] {
        let digits = s.filter { !$0.isWhitespace }.utf8.map { UInt8(ascii: "0") <= $0 && $0 <= UInt8(ascii: "9") ? $0 - 48 : ($0 | 0x20) - 87 }
        precondition(digits.count % 2 == 0 && digits.allSatisfy { $0 < 16 }, "bad hex: \(s)")
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func ipv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> fp_ip_t {
        var ip = fp_ip_t()
        ip.family = 4
        withUnsafeMutableBytes(of: &ip.addr) { $0[0] = a; $0[1] = b; $0[2] = c; $0[3] = d }
        return ip
    }

    static let local = ipv4(192, 0, 2, 1)
    static let remote = ipv4(192, 0, 2, 2)

    /// An SA configuration with traffic selectors 0.0.0.0/0 on both sides.
    static func config(inbound: Bool, spi: UInt32, key: [UInt8], salt: [UInt8], icv: UInt8 = 16, esn: Bool,
                       window: UInt32 = 64, inactive: Bool = false) -> fp_sa_config_t {
        var c = fp_sa_config_t()
        c.spi = spi
        c.direction = inbound ? FP_SA_INBOUND : FP_SA_OUTBOUND
        withUnsafeMutableBytes(of: &c.key) { for (i, b) in key.enumerated() { $0[i] = b } }
        c.key_len = UInt8(key.count)
        withUnsafeMutableBytes(of: &c.salt) { for (i, b) in salt.enumerated() { $0[i] = b } }
        c.icv_len = icv
        c.esn = esn ? 1 : 0
        c.replay_window = window
        // The peer's outer source is tunnel_remote on inbound SAs.
        c.tunnel_local = inbound ? local : remote
        c.tunnel_remote = inbound ? remote : local
        c.ts_local = ipv4(0, 0, 0, 0)
        c.ts_remote = ipv4(0, 0, 0, 0)
        c.inactive = inactive ? 1 : 0
        return c
    }

    /// fp_sa_add; the handle, or -1 and the error text.
    static func add(_ c: fp_sa_config_t) -> (Int32, String) {
        var c = c
        var err = [CChar](repeating: 0, count: Int(FP_ERR_LEN))
        let h = fp_sa_add(&c, &err, err.count)
        return (h, String(cString: err))
    }

    /// Installs an SA (see config); a failure fails the test. Returns the handle or -1.
    static func addSA(inbound: Bool, spi: UInt32, key: [UInt8], salt: [UInt8], icv: UInt8 = 16, esn: Bool,
                      window: UInt32 = 64, inactive: Bool = false,
                      configure: (inout fp_sa_config_t) -> Void = { _ in }) -> Int32 {
        var c = config(inbound: inbound, spi: spi, key: key, salt: salt, icv: icv, esn: esn, window: window, inactive: inactive)
        configure(&c)
        let (h, err) = add(c)
        if h < 0 { XCTFail("fp_sa_add(0x\(String(spi, radix: 16))): \(err)") }
        return h
    }

    /// Puts an inbound SA's right edge at `top` (nothing seen yet), then activates it.
    static func setTop(_ sa: Int32, _ top: UInt64) {
        var st = fp_replay_state_t()
        XCTAssertEqual(fp_sa_get_replay(sa, &st), 0)
        st.top = top
        XCTAssertEqual(fp_sa_set_replay(sa, &st), 0)
        XCTAssertEqual(fp_sa_activate(sa), 0)
    }

    /// An outer IPv4 header (protocol ESP, valid checksum) in front of `esp`.
    static func outer(_ esp: [UInt8]) -> [UInt8] {
        let total = 20 + esp.count
        var h: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 50, 0, 0,
                          192, 0, 2, 2, 192, 0, 2, 1]
        var sum: UInt32 = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(h[i]) << 8 | UInt32(h[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        let ck = ~UInt16(sum)
        h[10] = UInt8(ck >> 8); h[11] = UInt8(ck & 0xff)
        return h + esp
    }

    /// Result of one packet: the output bytes, or the name of the counter that dropped it.
    enum Outcome: Equatable, CustomStringConvertible {
        case packet([UInt8])
        case drop(String)

        var description: String {
            switch self {
            case .drop(let why): return "drop(\(why))"
            case .packet(let p):
                return "packet(\(p.count) bytes: \(p.prefix(24).map { String(format: "%02x", $0) }.joined())\(p.count > 24 ? "..." : ""))"
            }
        }
    }

    static func decap(_ outer: [UInt8]) -> (Outcome, sa: Int32) {
        var out = [UInt8](repeating: 0, count: 2048)
        var sa: Int32 = -1
        let n = outer.withUnsafeBufferPointer { fp_esp_decap_buffer($0.baseAddress, UInt32(outer.count), &out, UInt32(out.count), &sa) }
        return (outcome(n, out), sa)
    }

    static func encap(_ sa: Int32, _ inner: [UInt8]) -> Outcome {
        var out = [UInt8](repeating: 0, count: 2048)
        let n = inner.withUnsafeBufferPointer { fp_esp_encap_buffer(sa, $0.baseAddress, UInt32(inner.count), &out, UInt32(out.count)) }
        return outcome(n, out)
    }

    private static func outcome(_ n: Int32, _ out: [UInt8]) -> Outcome {
        n >= 0 ? .packet(Array(out[0..<Int(n)])) : .drop(String(cString: fp_counter_name(-n)))
    }

    static func info(_ sa: Int32) -> fp_sa_info_t {
        var i = fp_sa_info_t()
        XCTAssertEqual(fp_sa_info(sa, &i), 0)
        return i
    }
}

import StraitCore

/// Big-endian writer for the sync wire format.
struct HAWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    /// A 16-bit length then the bytes; callers keep fields below HALimits.maxField.
    mutating func blob(_ v: [UInt8]) { u16(UInt16(clamping: v.count)); bytes += v.prefix(Int(UInt16.max)) }
    mutating func string(_ v: String) { blob(Array(v.utf8)) }
    mutating func secret(_ v: HASecret) { v.withBytes { blob($0) } }
    mutating func address(_ a: IPAddress) { u8(a.isIPv4 ? 4 : 6); bytes += a.bytes }
    mutating func endpoint(_ e: HAEndpoint) { address(e.address); u16(e.port) }
    mutating func prefix(_ p: IPPrefix) { address(p.address); u8(UInt8(p.length)) }
    mutating func prefixes(_ ps: [IPPrefix]) { u16(UInt16(clamping: ps.count)); for p in ps.prefix(Int(UInt16.max)) { prefix(p) } }
    /// An optional duration in milliseconds: a presence byte, then the value.
    mutating func optI64(_ v: Int64?) { if let v { u8(1); i64(v) } else { u8(0) } }
}

/// Bounded big-endian reader: every read checks what is left first, so no input can make it
/// read past the end; lists are bounded by the bytes left before anything is allocated.
struct HAReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - offset }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw HASyncError(.truncated, "need \(n) bytes, \(remaining) left") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }
    mutating func u8() throws -> UInt8 { try take(1).first! }
    mutating func u16() throws -> UInt16 { try take(2).reduce(0) { $0 << 8 | UInt16($1) } }
    mutating func u32() throws -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func u64() throws -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
    mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }
    mutating func bool() throws -> Bool {
        let v = try u8()
        guard v <= 1 else { throw HASyncError(.badValue, "boolean \(v)") }
        return v == 1
    }
    mutating func blob(max: Int = HALimits.maxField) throws -> [UInt8] {
        let n = Int(try u16())
        guard n <= max else { throw HASyncError(.tooBig, "field of \(n) bytes (at most \(max))") }
        guard n <= remaining else { throw HASyncError(.badLength, "field of \(n) bytes, \(remaining) left") }
        return Array(try take(n))
    }
    mutating func string(max: Int = HALimits.maxField) throws -> String {
        let b = try blob(max: max)
        guard let s = String(validatingUTF8: b.map { CChar(bitPattern: $0) } + [0]), s.utf8.count == b.count
        else { throw HASyncError(.badValue, "text is not UTF-8") }
        return s
    }
    mutating func secret() throws -> HASecret { HASecret(try blob(max: HALimits.maxKey)) }
    mutating func address() throws -> IPAddress {
        switch try u8() {
        case 4: return IPAddress(bytes: Array(try take(4)))!
        case 6: return IPAddress(bytes: Array(try take(16)))!
        case let f: throw HASyncError(.badValue, "address family \(f)")
        }
    }
    mutating func endpoint() throws -> HAEndpoint { HAEndpoint(try address(), try u16()) }
    mutating func prefix() throws -> IPPrefix {
        let a = try address()
        let len = Int(try u8())
        guard len <= a.bitWidth else { throw HASyncError(.badValue, "prefix length \(len)") }
        return IPPrefix(address: a, length: len)
    }
    mutating func prefixes() throws -> [IPPrefix] {
        let n = Int(try u16())
        guard n <= HALimits.maxSelectors else { throw HASyncError(.tooBig, "\(n) selectors") }
        // Each prefix is at least 6 bytes: a count beyond what is left is a lie, refused before allocating.
        guard n * 6 <= remaining else { throw HASyncError(.badLength, "\(n) selectors in \(remaining) bytes") }
        return try (0..<n).map { _ in try prefix() }
    }
    mutating func optI64() throws -> Int64? { try bool() ? try i64() : nil }
}

/// Bounds of the wire format: a message or field past these is refused, not allocated.
public enum HALimits {
    /// One message (header excluded). A full IKE SA with a cached response stays well below.
    public static let maxMessage = 256 * 1024
    /// One variable-length field (identity, name, one datagram).
    public static let maxField = 16 * 1024
    /// One key.
    public static let maxKey = 128
    /// Traffic selectors per side of a CHILD SA.
    public static let maxSelectors = 256
    /// Replay bitmap words (the fast path's FP_SA_MAX_WINDOW of 8192 packets / 64).
    public static let maxBitmapWords = 128
    /// Datagrams of a cached response (IKE fragments).
    public static let maxDatagrams = 64
}

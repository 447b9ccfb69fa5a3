/// Appends big-endian fields to a byte array, with back-patching for length fields that are only
/// known once the structure behind them is written.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    var count: Int { bytes.count }

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8))
        bytes.append(UInt8(v & 0xff))
    }

    mutating func u32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(v >> UInt32(shift) & 0xff)) }
    }

    mutating func u64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(v >> UInt64(shift) & 0xff)) }
    }

    mutating func append(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    mutating func zeros(_ count: Int) { bytes.append(contentsOf: repeatElement(0, count: count)) }

    /// Writes a 16-bit length covering `bytes[start...]` at `at`. A structure longer than a 16-bit length
    /// can express is a bug in the caller (nothing this codec decodes can produce one): it stops the
    /// process rather than put a wrong length on the wire.
    mutating func patchLength16(at: Int, from start: Int) {
        let length = bytes.count - start
        precondition(length <= Int(UInt16.max), "IKE structure of \(length) bytes does not fit a 16-bit length")
        bytes[at] = UInt8(length >> 8)
        bytes[at + 1] = UInt8(length & 0xff)
    }

    mutating func patch32(at: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[at + i] = UInt8(v >> UInt32(24 - 8 * i) & 0xff) }
    }
}

/// A bounds-checked cursor over a byte array: every read checks the remaining length first and throws
/// instead of trapping, so no input can crash the decoder. Offsets are absolute positions in `bytes`,
/// which makes error offsets point into the caller's buffer.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    /// One past the last byte this reader may read (a sub-reader ends at its structure's length).
    let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
        end = bytes.count
    }

    private init(bytes: [UInt8], offset: Int, end: Int) {
        self.bytes = bytes
        self.offset = offset
        self.end = end
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset >= end }

    /// Reads past the end of a length-delimited region mean the region's length field was too small
    /// for what it must hold: a `badLength` at the current position.
    private func need(_ count: Int) throws {
        guard count >= 0, count <= remaining else {
            throw IKEWireError(.badLength, at: offset, "need \(count) bytes, \(remaining) left")
        }
    }

    mutating func u8() throws -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32() throws -> UInt32 {
        try need(4)
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return v
    }

    mutating func u64() throws -> UInt64 {
        try need(8)
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }

    mutating func skip(_ count: Int) throws {
        try need(count)
        offset += count
    }

    mutating func read(_ count: Int) throws -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Everything left in this reader.
    mutating func readRest() -> [UInt8] {
        defer { offset = end }
        return offset < end ? Array(bytes[offset..<end]) : []
    }

    /// A reader over the next `count` bytes; this reader moves past them.
    mutating func sub(_ count: Int) throws -> ByteReader {
        try need(count)
        defer { offset += count }
        return ByteReader(bytes: bytes, offset: offset, end: offset + count)
    }
}

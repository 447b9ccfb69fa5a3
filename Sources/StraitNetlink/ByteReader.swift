import StraitCore

/// Bounds-checked reads from a byte buffer, in host byte order (netlink's order).
/// Every read returns nil past the end instead of trapping.
struct ByteReader {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var count: Int { bytes.count }

    func u8(_ at: Int) -> UInt8? {
        guard at >= 0, at < bytes.count else { return nil }
        return bytes[at]
    }

    func u16(_ at: Int) -> UInt16? { load(at, as: UInt16.self) }
    func u32(_ at: Int) -> UInt32? { load(at, as: UInt32.self) }
    func i32(_ at: Int) -> Int32? { load(at, as: Int32.self) }

    private func load<T: FixedWidthInteger>(_ at: Int, as: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard at >= 0, at <= bytes.count - size else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: T.self) }
    }

    func slice(_ range: Range<Int>) -> [UInt8]? {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        return Array(bytes[range])
    }

    /// A NUL-terminated (or not) string attribute.
    func string(_ range: Range<Int>) -> String? {
        guard let raw = slice(range) else { return nil }
        let text = raw.prefix(while: { $0 != 0 })
        return String(decoding: text, as: UTF8.self)
    }

    /// An IPv4 or IPv6 address of exactly the size the family requires.
    func address(_ range: Range<Int>, family: UInt8) -> IPAddress? {
        let expected = family == NL.AF_INET ? 4 : (family == NL.AF_INET6 ? 16 : -1)
        guard range.count == expected, let raw = slice(range) else { return nil }
        return IPAddress(bytes: raw)
    }
}

/// The rtattr/nlattr list of a message: (type, payload range) pairs in order.
struct Attributes {
    var entries: [(type: UInt16, payload: Range<Int>)] = []

    /// The payload of the last attribute of that type (the kernel sends each at most once).
    subscript(type: UInt16) -> Range<Int>? {
        for e in entries.reversed() where e.type == type { return e.payload }
        return nil
    }

    /// Walks attributes in `range`; nil when one's length runs past the range or is below the header size.
    /// Fewer than 4 trailing bytes are padding and are ignored, as the kernel's nla_ok() does.
    static func parse(_ reader: ByteReader, _ range: Range<Int>) -> Attributes? {
        guard range.lowerBound >= 0, range.upperBound <= reader.count else { return nil }
        var out = Attributes()
        var offset = range.lowerBound
        while range.upperBound - offset >= NL.RTA_HDRLEN {
            guard let len16 = reader.u16(offset), let type = reader.u16(offset + 2) else { return nil }
            let len = Int(len16)
            guard len >= NL.RTA_HDRLEN, len <= range.upperBound - offset else { return nil }
            out.entries.append((type & NL.NLA_TYPE_MASK, (offset + NL.RTA_HDRLEN)..<(offset + len)))
            offset += NL.align(len)
        }
        return out
    }
}

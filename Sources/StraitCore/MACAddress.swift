/// A 48-bit Ethernet address.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible, TextCodable {
    public var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    public init(_ b: [UInt8]) {
        precondition(b.count == 6)
        bytes = (b[0], b[1], b[2], b[3], b[4], b[5])
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (or with `-`).
    public init?(_ text: String) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard p.count == 2, let v = UInt8(p, radix: 16) else { return nil }
            out.append(v)
        }
        self.init(out)
    }

    public var array: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5] }
    public var isMulticast: Bool { bytes.0 & 1 == 1 }
    public var isZero: Bool { array.allSatisfy { $0 == 0 } }

    public var description: String {
        array.map { h in let s = String(h, radix: 16); return s.count == 1 ? "0" + s : s }.joined(separator: ":")
    }

    public static func == (l: Self, r: Self) -> Bool { l.array == r.array }
    public func hash(into h: inout Hasher) { h.combine(array) }
}

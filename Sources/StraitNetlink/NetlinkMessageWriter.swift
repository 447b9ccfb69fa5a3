import StraitCore

/// Builds one netlink message in host byte order: nlmsghdr, a fixed family header, then attributes,
/// each aligned to 4 bytes. `bytes` patches nlmsg_len. Pure.
public struct NetlinkMessageWriter {
    private var buffer: [UInt8]

    public init(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32 = 0) {
        buffer = []
        buffer.reserveCapacity(128)
        append(UInt32(0))   // nlmsg_len, patched by `bytes`
        append(type)
        append(flags)
        append(sequence)
        append(portID)
    }

    /// The finished message.
    public var bytes: [UInt8] {
        var out = buffer
        let len = UInt32(out.count)
        withUnsafeBytes(of: len) { raw in for i in 0..<4 { out[i] = raw[i] } }
        return out
    }

    public mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value) { buffer.append(contentsOf: $0) }
    }

    public mutating func append(bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    /// Pads to the next 4-byte boundary.
    public mutating func align() {
        while buffer.count % NL.NLMSG_ALIGNTO != 0 { buffer.append(0) }
    }

    /// An rtattr: u16 length (header + payload, unpadded), u16 type, payload, padding.
    public mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        align()
        append(UInt16(NL.RTA_HDRLEN + payload.count))
        append(type)
        buffer.append(contentsOf: payload)
        align()
    }

    public mutating func attribute(_ type: UInt16, u32 value: UInt32) {
        attribute(type, withUnsafeBytes(of: value) { Array($0) })
    }

    public mutating func attribute(_ type: UInt16, string: String) {
        attribute(type, Array(string.utf8) + [0])
    }

    public mutating func attribute(_ type: UInt16, address: IPAddress) {
        attribute(type, address.bytes)
    }
}

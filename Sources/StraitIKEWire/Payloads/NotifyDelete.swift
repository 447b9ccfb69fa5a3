/// Notify payload (RFC 7296 section 3.10):
///
///     Protocol ID (1) | SPI Size (1) | Notify Message Type (2) | SPI (SPI Size) | Notification Data
public struct NotifyPayload: Hashable, Sendable {
    /// 0 (`.noProtocol`) with an empty SPI for notifications about the IKE SA; the RFC has receivers
    /// ignore it then, but it is kept as read.
    public var protocolID: ProtocolID
    public var spi: [UInt8]
    public var type: NotifyType
    public var data: [UInt8]

    public init(protocolID: ProtocolID = .noProtocol, spi: [UInt8] = [], type: NotifyType, data: [UInt8] = []) {
        self.protocolID = protocolID
        self.spi = spi
        self.type = type
        self.data = data
    }

    /// UNSUPPORTED_CRITICAL_PAYLOAD carries the offending payload type as one byte (RFC 7296 3.10.1).
    public static func unsupportedCriticalPayload(_ type: PayloadType) -> NotifyPayload {
        NotifyPayload(type: .unsupportedCriticalPayload, data: [type.rawValue])
    }

    /// INVALID_KE_PAYLOAD carries the group the responder wants, 2 bytes.
    public static func invalidKEPayload(accepted group: KeyExchangeMethod) -> NotifyPayload {
        NotifyPayload(type: .invalidKEPayload, data: [UInt8(group.rawValue >> 8), UInt8(group.rawValue & 0xff)])
    }

    static func decode(_ r: inout ByteReader) throws -> NotifyPayload {
        let protocolID = ProtocolID(try r.u8())
        let spiSize = Int(try r.u8())
        let type = NotifyType(try r.u16())
        let spi = try r.read(spiSize)
        return NotifyPayload(protocolID: protocolID, spi: spi, type: type, data: r.readRest())
    }

    func encode(to w: inout ByteWriter) {
        precondition(spi.count <= 255, "notify SPI longer than 255 bytes")
        w.u8(protocolID.rawValue)
        w.u8(UInt8(spi.count))
        w.u16(type.rawValue)
        w.append(spi)
        w.append(data)
    }
}

/// Delete payload (RFC 7296 section 3.11):
///
///     Protocol ID (1) | SPI Size (1) | Num of SPIs (2) | SPIs (SPI Size each)
///
/// Deleting the IKE SA: protocol IKE, SPI size 0, no SPIs. Child SAs: ESP/AH, SPI size 4.
public struct DeletePayload: Hashable, Sendable {
    public var protocolID: ProtocolID
    public var spiSize: UInt8
    public var spis: [[UInt8]]

    public init(protocolID: ProtocolID, spiSize: UInt8, spis: [[UInt8]]) {
        self.protocolID = protocolID
        self.spiSize = spiSize
        self.spis = spis
    }

    /// Deletes the IKE SA the message is protected by.
    public static let ikeSA = DeletePayload(protocolID: .ike, spiSize: 0, spis: [])

    /// Deletes Child SAs by their 4-byte inbound SPIs.
    public static func childSAs(_ protocolID: ProtocolID = .esp, spis: [UInt32]) -> DeletePayload {
        DeletePayload(protocolID: protocolID, spiSize: 4, spis: spis.map {
            [UInt8($0 >> 24), UInt8($0 >> 16 & 0xff), UInt8($0 >> 8 & 0xff), UInt8($0 & 0xff)]
        })
    }

    /// The SPIs as 32-bit numbers when they are 4 bytes each.
    public var spis32: [UInt32]? {
        spiSize == 4 ? spis.map { $0.reduce(0) { $0 << 8 | UInt32($1) } } : nil
    }

    static func decode(_ r: inout ByteReader) throws -> DeletePayload {
        let start = r.offset
        let protocolID = ProtocolID(try r.u8())
        let spiSize = Int(try r.u8())
        let count = Int(try r.u16())
        // With SPI size 0 a count would allocate empty SPIs for nothing: only "delete the IKE SA" has size 0.
        guard spiSize != 0 || count == 0 else {
            throw IKEWireError(.invalidSyntax, at: start + 2, "\(count) SPIs of size 0")
        }
        guard r.remaining == spiSize * count else {
            throw IKEWireError(.badLength, at: start + 2, "\(count) SPIs of \(spiSize) bytes, \(r.remaining) bytes")
        }
        var spis: [[UInt8]] = []
        spis.reserveCapacity(count)
        for _ in 0..<count { spis.append(try r.read(spiSize)) }
        return DeletePayload(protocolID: protocolID, spiSize: UInt8(spiSize), spis: spis)
    }

    func encode(to w: inout ByteWriter) {
        precondition(spis.count <= Int(UInt16.max), "too many SPIs for one Delete payload")
        w.u8(protocolID.rawValue)
        w.u8(spiSize)
        w.u16(UInt16(spis.count))
        for spi in spis { w.append(spi) }
    }
}

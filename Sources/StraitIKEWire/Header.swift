/// The fixed 28-byte IKE header (RFC 7296 section 3.1):
///
///     IKE SA Initiator's SPI (8) | IKE SA Responder's SPI (8)
///     Next Payload (1) | MjVer (4 bits) MnVer (4 bits) | Exchange Type (1) | Flags (1)
///     Message ID (4) | Length (4)
///
/// Next Payload and Length are not stored: `IKEMessage.encode()` derives them from the payloads, and
/// `IKEHeader.peek(_:)` returns them as read for callers that look at a header before decoding the rest.
public struct IKEHeader: Hashable, Sendable {
    /// Header flags. Bits other than these are reserved: ignored on receipt and sent as zero.
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// Set in messages sent by the original initiator of the IKE SA.
        public static let initiator = Flags(rawValue: 0x08)
        /// "Can speak a higher major version": never set by IKEv2-only implementations.
        public static let version = Flags(rawValue: 0x10)
        /// Set in responses.
        public static let response = Flags(rawValue: 0x20)

        static let defined: Flags = [.initiator, .version, .response]
    }

    public static let length = 28
    public static let majorVersion: UInt8 = 2

    public var initiatorSPI: UInt64
    public var responderSPI: UInt64
    public var exchangeType: ExchangeType
    public var flags: Flags
    public var messageID: UInt32
    /// Sent as 0 and ignored on receipt (RFC 7296 section 2.5); kept so a decoded message re-encodes as read.
    public var minorVersion: UInt8

    public init(initiatorSPI: UInt64, responderSPI: UInt64, exchangeType: ExchangeType, flags: Flags,
                messageID: UInt32, minorVersion: UInt8 = 0) {
        self.initiatorSPI = initiatorSPI
        self.responderSPI = responderSPI
        self.exchangeType = exchangeType
        self.flags = flags
        self.messageID = messageID
        self.minorVersion = minorVersion & 0x0f
    }

    public var isResponse: Bool { flags.contains(.response) }
    public var isFromInitiator: Bool { flags.contains(.initiator) }

    /// The header fields and what the header says about the rest, as read.
    public struct Peeked: Hashable, Sendable {
        public var header: IKEHeader
        /// Type of the first payload.
        public var nextPayload: PayloadType
        /// Total message length claimed by the header.
        public var length: UInt32
    }

    /// Reads only the header: enough to find the IKE SA, check the message ID or answer with an error
    /// notification (INVALID_MAJOR_VERSION, INVALID_SYNTAX) when the rest does not decode. Checks the
    /// major version; does not compare the length with `bytes.count` (`IKEMessage.decode` does).
    public static func peek(_ bytes: [UInt8]) throws -> Peeked {
        guard bytes.count >= length else {
            throw IKEWireError(.truncated, at: bytes.count, "\(bytes.count) bytes, the IKE header needs 28")
        }
        var r = ByteReader(bytes)
        let spiI = try r.u64()
        let spiR = try r.u64()
        let next = PayloadType(try r.u8())
        let version = try r.u8()
        guard version >> 4 == majorVersion else {
            throw IKEWireError(.badVersion, at: 17, "major version \(version >> 4)")
        }
        let exchange = ExchangeType(try r.u8())
        let flags = Flags(rawValue: try r.u8()).intersection(.defined)
        let messageID = try r.u32()
        let total = try r.u32()
        let header = IKEHeader(initiatorSPI: spiI, responderSPI: spiR, exchangeType: exchange, flags: flags,
                               messageID: messageID, minorVersion: version & 0x0f)
        return Peeked(header: header, nextPayload: next, length: total)
    }

    /// Writes the header with a zero length; the message encoder patches it.
    func write(nextPayload: PayloadType, to w: inout ByteWriter) {
        w.u64(initiatorSPI)
        w.u64(responderSPI)
        w.u8(nextPayload.rawValue)
        w.u8(IKEHeader.majorVersion << 4 | minorVersion & 0x0f)
        w.u8(exchangeType.rawValue)
        w.u8(flags.intersection(.defined).rawValue)
        w.u32(messageID)
        w.u32(0)
    }
}

/// The Security Association payload (RFC 7296 section 3.3): a list of proposals, each a list of transforms.
public struct SecurityAssociationPayload: Hashable, Sendable {
    public var proposals: [Proposal]

    public init(proposals: [Proposal]) { self.proposals = proposals }

    static func decode(_ r: inout ByteReader) throws -> SecurityAssociationPayload {
        var proposals: [Proposal] = []
        var sawLast = false
        while !r.isAtEnd {
            // Last Substruc says whether another proposal follows; bytes the last one leaves over mean the
            // payload length disagrees with the proposals' lengths.
            if sawLast {
                throw IKEWireError(.badLength, at: r.offset, "bytes after the proposal marked last")
            }
            guard proposals.count < IKEWireLimits.maxProposals else {
                throw IKEWireError(.tooManyProposals, at: r.offset)
            }
            proposals.append(try Proposal.decode(&r, isLast: &sawLast))
        }
        if !proposals.isEmpty && !sawLast {
            throw IKEWireError(.invalidSyntax, at: r.offset, "the last proposal is marked 'more follow'")
        }
        return SecurityAssociationPayload(proposals: proposals)
    }

    func encode(to w: inout ByteWriter) {
        for (i, p) in proposals.enumerated() { p.encode(isLast: i == proposals.count - 1, to: &w) }
    }
}

/// A proposal substructure (RFC 7296 section 3.3.1):
///
///     Last Substruc (1: 0 last, 2 more) | RESERVED (1) | Proposal Length (2)
///     Proposal Num (1) | Protocol ID (1) | SPI Size (1) | Num Transforms (1)
///     SPI (0, 4 or 8 bytes) | Transforms
public struct Proposal: Hashable, Sendable {
    public var number: UInt8
    public var protocolID: ProtocolID
    /// Empty in an initial IKE proposal, 8 bytes when rekeying an IKE SA, 4 bytes for ESP and AH.
    public var spi: [UInt8]
    public var transforms: [Transform]

    public init(number: UInt8, protocolID: ProtocolID, spi: [UInt8] = [], transforms: [Transform]) {
        self.number = number
        self.protocolID = protocolID
        self.spi = spi
        self.transforms = transforms
    }

    /// An ESP proposal with a 4-byte SPI.
    public static func esp(number: UInt8, spi: UInt32, transforms: [Transform]) -> Proposal {
        var w = ByteWriter()
        w.u32(spi)
        return Proposal(number: number, protocolID: .esp, spi: w.bytes, transforms: transforms)
    }

    /// An IKE proposal: no SPI in IKE_SA_INIT, the new 8-byte SPI when rekeying with CREATE_CHILD_SA.
    public static func ike(number: UInt8, spi: UInt64? = nil, transforms: [Transform]) -> Proposal {
        var w = ByteWriter()
        if let spi { w.u64(spi) }
        return Proposal(number: number, protocolID: .ike, spi: w.bytes, transforms: transforms)
    }

    /// The SPI as a 32-bit number when it is 4 bytes (ESP, AH).
    public var spi32: UInt32? {
        spi.count == 4 ? spi.reduce(0) { $0 << 8 | UInt32($1) } : nil
    }

    /// The SPI as a 64-bit number when it is 8 bytes (IKE rekey).
    public var spi64: UInt64? {
        spi.count == 8 ? spi.reduce(0) { $0 << 8 | UInt64($1) } : nil
    }

    /// The transforms of one type, in proposal order.
    public func transforms(of type: TransformType) -> [Transform] { transforms.filter { $0.type == type } }

    static func decode(_ r: inout ByteReader, isLast: inout Bool) throws -> Proposal {
        let start = r.offset
        guard r.remaining >= 8 else { throw IKEWireError(.badLength, at: start, "proposal header needs 8 bytes") }
        let marker = try r.u8()
        guard marker == 0 || marker == 2 else {
            throw IKEWireError(.invalidSyntax, at: start, "proposal last-substruc \(marker), not 0 or 2")
        }
        isLast = marker == 0
        try r.skip(1)
        let length = Int(try r.u16())
        guard length >= 8, length - 4 <= r.remaining else {
            throw IKEWireError(.badLength, at: start + 2, "proposal length \(length)")
        }
        var body = try r.sub(length - 4)
        let number = try body.u8()
        let protocolID = ProtocolID(try body.u8())
        let spiSize = Int(try body.u8())
        let count = Int(try body.u8())
        guard spiSize == 0 || spiSize == 4 || spiSize == 8 else {
            throw IKEWireError(.invalidSyntax, at: start + 6, "SPI size \(spiSize)")
        }
        let spi = try body.read(spiSize)
        var transforms: [Transform] = []
        var sawLast = false
        while !body.isAtEnd {
            if sawLast {
                throw IKEWireError(.badLength, at: body.offset, "proposal length runs past the transform marked last")
            }
            guard transforms.count < IKEWireLimits.maxTransforms else {
                throw IKEWireError(.tooManyTransforms, at: body.offset)
            }
            transforms.append(try Transform.decode(&body, isLast: &sawLast))
        }
        // The count field and the proposal length must describe the same transforms.
        guard transforms.count == count, transforms.isEmpty || sawLast else {
            throw IKEWireError(.invalidSyntax, at: start + 7,
                               "\(count) transforms announced, \(transforms.count) in the proposal length")
        }
        return Proposal(number: number, protocolID: protocolID, spi: spi, transforms: transforms)
    }

    func encode(isLast: Bool, to w: inout ByteWriter) {
        precondition(spi.count <= 255 && transforms.count <= 255, "proposal SPI or transform count out of range")
        let start = w.count
        w.u8(isLast ? 0 : 2)
        w.u8(0)
        w.u16(0)
        w.u8(number)
        w.u8(protocolID.rawValue)
        w.u8(UInt8(spi.count))
        w.u8(UInt8(transforms.count))
        w.append(spi)
        for (i, t) in transforms.enumerated() { t.encode(isLast: i == transforms.count - 1, to: &w) }
        w.patchLength16(at: start + 2, from: start)
    }
}

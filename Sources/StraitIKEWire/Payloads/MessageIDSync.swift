/// The data of an IKEV2_MESSAGE_ID_SYNC notify (RFC 6311 4.3), protocol 0, no SPI:
///
///     Nonce Data (4) | EXPECTED_SEND_REQ_MESSAGE_ID (4) | EXPECTED_RECV_REQ_MESSAGE_ID (4)
///
/// "Send" and "recv" are the sender's view: the next request ID it will send, and the next
/// request ID it expects from the other end. The response echoes the request's nonce.
public struct MessageIDSyncData: Hashable, Sendable {
    public var nonce: UInt32
    public var expectedSend: UInt32
    public var expectedRecv: UInt32

    public init(nonce: UInt32, expectedSend: UInt32, expectedRecv: UInt32) {
        self.nonce = nonce
        self.expectedSend = expectedSend
        self.expectedRecv = expectedRecv
    }

    /// The notify's data must be exactly 12 bytes.
    public init(notify: NotifyPayload) throws {
        guard notify.type == .ikev2MessageIDSync, notify.data.count == 12 else {
            throw IKEWireError(.badLength, at: 0, "IKEV2_MESSAGE_ID_SYNC data of \(notify.data.count) bytes")
        }
        var r = ByteReader(notify.data)
        nonce = try r.u32()
        expectedSend = try r.u32()
        expectedRecv = try r.u32()
    }

    public var notify: NotifyPayload {
        var w = ByteWriter(capacity: 12)
        w.u32(nonce)
        w.u32(expectedSend)
        w.u32(expectedRecv)
        return NotifyPayload(type: .ikev2MessageIDSync, data: w.bytes)
    }
}

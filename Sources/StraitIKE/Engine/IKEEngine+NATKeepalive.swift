/// NAT keepalives (RFC 3948 4, RFC 7296 2.23): when NAT detection found *us* behind a NAT
/// (natLocal: the peer's NAT_DETECTION_DESTINATION_IP did not match our address), the NAT's
/// mapping for our UDP 4500 flow must not expire while the tunnel is quiet, or the peer could
/// no longer reach us. A peer behind a NAT keeps its own mapping alive; a concentrator on a
/// public address never sends these. The interval is charon's default.
extension IKEEngine {
    static let natKeepaliveInterval = Duration.seconds(20)

    /// The keepalive due now for this IKE SA, if any; schedules the next one.
    func natKeepalive(_ ike: IKESA, now: IKETime) -> IKEDatagram? {
        guard ike.state == .established, ike.natLocal, ike.local.port != 500 else {
            ike.nextNATKeepalive = nil
            return nil
        }
        guard let due = ike.nextNATKeepalive else {
            ike.nextNATKeepalive = now + Self.natKeepaliveInterval
            return nil
        }
        guard now >= due else { return nil }
        ike.nextNATKeepalive = now + Self.natKeepaliveInterval
        ctx.counters.natKeepalivesSent += 1
        return IKEDatagram(local: ike.local, remote: ike.remote, bytes: [], natKeepalive: true)
    }
}

import StraitConfig
import StraitCore
import StraitIKECrypto
import StraitIKEWire

/// What MOBIKE (RFC 4555) keeps on an IKE SA.
struct MobikeState {
    /// Both ends announced MOBIKE_SUPPORTED in IKE_AUTH (and our template allows it).
    var enabled = false
    /// The peer's other addresses (ADDITIONAL_IP4/6_ADDRESS; NO_ADDITIONAL_ADDRESSES empties
    /// it). Kept for reports and HA; as the responder we never move on our own (3.6).
    var peerAdditionalAddresses: [IPAddress] = []
}

/// MOBIKE as the responder (RFC 4555). In IKE_AUTH (3.2):
///   HDR, SK {IDi, ..., N(MOBIKE_SUPPORTED), [N(ADDITIONAL_*_ADDRESS)+ | N(NO_ADDITIONAL_ADDRESSES)]}  -->
///                       <--  HDR, SK {IDr, ..., N(MOBIKE_SUPPORTED), N(NO_ADDITIONAL_ADDRESSES)}
/// A site moves with an INFORMATIONAL sent from its new address (3.5):
///   HDR, SK {N(UPDATE_SA_ADDRESSES), [N(NAT_DETECTION_*)], [N(NO_NATS_ALLOWED)], [N(COOKIE2)]}  -->
///                       <--  HDR, SK {[N(NAT_DETECTION_*)], [N(COOKIE2)]}
/// The new addresses are the IP header's (the request's source and destination), NAT
/// detection runs again with the SA's SPIs, and UDP encapsulation follows its result.
/// Address lists (3.6) are stored and acknowledged. Without MOBIKE negotiated the notifies
/// are ignored: the SA does not move (RFC 7296 2.23 rebinding still applies behind a NAT).
struct MobikeResponder {
    let engine: IKEEngineContext

    /// Where an UPDATE_SA_ADDRESSES takes the SA, with NAT detection's new verdict.
    struct Move {
        var local: IKEEndpoint
        var remote: IKEEndpoint
        var natLocal: Bool
        var natRemote: Bool
    }

    struct Outcome {
        var reply: [IKEPayload] = []
        var move: Move?
        /// For the log: what was refused or ignored, if anything.
        var note: String?
    }

    /// IKE_AUTH: our answer to the peer's MOBIKE_SUPPORTED, if the VPN's template allows MOBIKE.
    func authPayloads(ike: IKESA, vpn: VPNDefinition, request: [IKEPayload]) -> [IKEPayload] {
        guard request.notify(.mobikeSupported) != nil,
              engine.config.ikePolicyTemplate(named: vpn.ikePolicy)?.mobike ?? false else { return [] }
        ike.mobike.enabled = true
        storeAddressList(ike, request)
        // One address here: the peer learns there is no other to try (3.4).
        return [.notify(NotifyPayload(type: .mobikeSupported)), .notify(NotifyPayload(type: .noAdditionalAddresses))]
    }

    /// An INFORMATIONAL request's MOBIKE notifies. `local` is where it arrived (our address as
    /// the IP header names it, or the SA's when the socket cannot tell).
    func process(ike: IKESA, payloads: [IKEPayload], from remote: IKEEndpoint, to local: IKEEndpoint) -> Outcome {
        let update = payloads.notify(.updateSAAddresses) != nil
        let mobikeTypes: Set<NotifyType> = [.updateSAAddresses, .additionalIP4Address, .additionalIP6Address,
                                            .noAdditionalAddresses, .cookie2, .noNATsAllowed]
        guard ike.mobike.enabled else {
            let seen = payloads.notifies.contains { mobikeTypes.contains($0.type) }
            return Outcome(note: seen ? "MOBIKE notifies without MOBIKE negotiated: ignored, the SA stays at \(ike.remote)" : nil)
        }
        var out = Outcome()
        storeAddressList(ike, payloads)
        // COOKIE2 (3.7): echoed unchanged, the peer's return routability check.
        if let c = payloads.notify(.cookie2) { out.reply.append(.notify(NotifyPayload(type: .cookie2, data: c.data))) }
        guard update else { return out }
        // NO_NATS_ALLOWED (3.9): the addresses the peer sent with must be those we see.
        if let n = payloads.notify(.noNATsAllowed), !Self.headerMatches(n.data, remote: remote, local: local) {
            out.reply.insert(.notify(NotifyPayload(type: .unexpectedNATDetected)), at: 0)
            out.note = "UPDATE_SA_ADDRESSES from \(remote) with NO_NATS_ALLOWED, but the addresses changed on the way: refused"
            return out
        }
        // NAT detection again (3.5, RFC 7296 2.23), with the SA's SPIs as in the header.
        var natLocal = ike.natLocal, natRemote = ike.natRemote
        let src = payloads.notifies.filter { $0.type == .natDetectionSourceIP }.map(\.data)
        let dst = payloads.notifies.filter { $0.type == .natDetectionDestinationIP }.map(\.data)
        if !src.isEmpty || !dst.isEmpty {
            natRemote = !src.isEmpty && !src.contains {
                NATDetection.matches($0, spiI: ike.spiI, spiR: ike.spiR, address: remote.address.bytes, port: remote.port)
            }
            natLocal = !dst.isEmpty && !dst.contains {
                NATDetection.matches($0, spiI: ike.spiI, spiR: ike.spiR, address: local.address.bytes, port: local.port)
            }
            if let ours = try? NATDetection.hash(spiI: ike.spiI, spiR: ike.spiR, address: local.address.bytes, port: local.port),
               let theirs = try? NATDetection.hash(spiI: ike.spiI, spiR: ike.spiR, address: remote.address.bytes, port: remote.port) {
                out.reply.append(.notify(NotifyPayload(type: .natDetectionSourceIP, data: ours)))
                out.reply.append(.notify(NotifyPayload(type: .natDetectionDestinationIP, data: theirs)))
            }
        }
        out.move = Move(local: local, remote: remote, natLocal: natLocal, natRemote: natRemote)
        return out
    }

    /// ADDITIONAL_IP4/6_ADDRESS replace the list; NO_ADDITIONAL_ADDRESSES empties it (3.6).
    private func storeAddressList(_ ike: IKESA, _ payloads: [IKEPayload]) {
        let listed = payloads.notifies.filter { $0.type == .additionalIP4Address || $0.type == .additionalIP6Address }
            .compactMap { IPAddress(bytes: $0.data) }
        if !listed.isEmpty { ike.mobike.peerAdditionalAddresses = listed }
        if payloads.notify(.noAdditionalAddresses) != nil { ike.mobike.peerAdditionalAddresses = [] }
    }

    /// NO_NATS_ALLOWED data (RFC 4555 3.9): the sender's source and destination addresses and
    /// ports, as it put them in the IP and UDP headers. Data we cannot read is taken as a match.
    static func headerMatches(_ data: [UInt8], remote: IKEEndpoint, local: IKEEndpoint) -> Bool {
        let n = data.count == 12 ? 4 : data.count == 36 ? 16 : 0
        guard n > 0, let src = IPAddress(bytes: Array(data[0..<n])), let dst = IPAddress(bytes: Array(data[n..<2 * n])) else { return true }
        let sport = UInt16(data[2 * n]) << 8 | UInt16(data[2 * n + 1]), dport = UInt16(data[2 * n + 2]) << 8 | UInt16(data[2 * n + 3])
        return src == remote.address && sport == remote.port && dst == local.address && dport == local.port
    }
}

import StraitIKEWire

/// INFORMATIONAL requests from the peer (RFC 7296 1.4, 1.5, 2.4):
///   HDR, SK {[N], [D], ...}  -->  <--  HDR, SK {[N], [D], ...}
/// An empty request is a liveness check and gets an empty answer. Deleting CHILD SAs answers
/// with our inbound SPIs of the same pairs (1.4.1); deleting the IKE SA answers empty.
struct InformationalResponder {
    enum Outcome {
        case reply([IKEPayload], removeChildrenByOutboundSPI: [UInt32], deleteIKESA: Bool)
    }

    func process(ike: IKESA, payloads: [IKEPayload]) -> Outcome {
        var deleteIKE = false
        var removed: [UInt32] = []
        var ourSPIs: [UInt32] = []
        for case .delete(let d) in payloads {
            if d.protocolID == .ike { deleteIKE = true; continue }
            guard d.protocolID == .esp, let spis = d.spis32 else { continue }
            for spi in spis {
                // The peer names its inbound SPI, which is our outbound one.
                if let child = ike.children.first(where: { $0.outboundSPI == spi }) {
                    removed.append(spi)
                    ourSPIs.append(child.inboundSPI)
                }
            }
        }
        // The initiator refused our AUTH after we established (RFC 7296 2.21.2): the SA is void.
        if payloads.notify(.authenticationFailed) != nil { deleteIKE = true }
        if deleteIKE { return .reply([], removeChildrenByOutboundSPI: [], deleteIKESA: true) }
        // MOBIKE notifies (UPDATE_SA_ADDRESSES, address lists, COOKIE2) are the engine's next
        // step (Tasks/MobikeResponder), for a request that does not delete the IKE SA.
        var reply: [IKEPayload] = []
        if !ourSPIs.isEmpty { reply.append(.delete(.childSAs(.esp, spis: ourSPIs))) }
        return .reply(reply, removeChildrenByOutboundSPI: removed, deleteIKESA: false)
    }
}

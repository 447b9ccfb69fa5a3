/// What `haRelease` / `haReleaseAll` let go of.
public struct IKEHARelease: Equatable, Sendable {
    public var ikeSAs = 0
    public var childSAs = 0
    /// IKE_SA_INIT exchanges this node had started and not finished.
    public var initiating = 0
    public init() {}
}

extension IKEEngine {
    /// HA demotion: this node stopped being the active one (its VRRP group left Master) and the
    /// peer carries on with the same IKE SAs. Forgets IKE SA `id` silently: its CHILD SAs leave
    /// the fast path (so this node stops sending with their sequence numbers at once), its SPIs
    /// go back, and nothing goes to the peer (no Delete: the SA lives on at the other node) nor
    /// to the bus (the HA exporter would turn `ikeSADeleted`/`childSARemoved` into deletes on the
    /// sync link, and the new active would drop the SA it now serves). Unknown id: nothing.
    @discardableResult
    public func haRelease(id: UInt64) -> IKEHARelease {
        var out = IKEHARelease()
        guard let ike = sas[id] else { return out }
        release(ike, into: &out)
        return out
    }

    /// Every IKE SA (established, half-open, rekeying) and every IKE_SA_INIT under way.
    @discardableResult
    public func haReleaseAll() -> IKEHARelease {
        var out = IKEHARelease()
        for ike in sas.values.sorted(by: { $0.id < $1.id }) { release(ike, into: &out) }
        for spi in initiating.keys { ctx.releaseSPI(spi) }
        out.initiating = initiating.count
        initiating.removeAll()
        halfOpen.removeAll()
        return out
    }

    private func release(_ ike: IKESA, into out: inout IKEHARelease) {
        switch ike.pending?.kind {
        case .auth(let a)?: ctx.dataPlane.releaseInboundSPI(a.inboundSPI)
        case .rekeyChild(let c)?: ctx.dataPlane.releaseInboundSPI(c.newInboundSPI)
        case .rekeyIKE(let c)?: ctx.releaseSPI(c.spiI)
        default: break
        }
        ike.pending = nil
        // As removeChild, without the event.
        for child in ike.children { ctx.dataPlane.remove(child.handle) }
        out.childSAs += ike.children.count
        ike.children.removeAll()
        sas.removeValue(forKey: ike.id)
        halfOpen = halfOpen.filter { $0.value != ike.id }
        ctx.releaseSPI(ike.id)
        ike.state = .deleting
        if ike.establishedAt != nil { out.ikeSAs += 1 }
        logger.info("ike \(ike.remote): IKE SA \(hex(ike.id)) released to the HA peer (no Delete sent)")
    }
}

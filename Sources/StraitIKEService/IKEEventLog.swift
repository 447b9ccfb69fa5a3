import Logging
import StraitCore
import StraitIKE

/// The log lines of the engine's events: what an operator wants in the journal (who, which
/// proposal, which SPIs and selectors), never key material (the events carry none).
public enum IKEEventLog {
    /// The level and text of an event, or nil for those not worth a line (message IDs).
    public static func line(for event: IKEEvent) -> (level: Logger.Level, text: String)? {
        switch event {
        case .ikeSAEstablished(let sa):
            return (.info, "IKE SA #\(sa.id) established: \(describe(sa))")
        case .ikeSARekeyed(let old, let new):
            return (.info, "IKE SA #\(old) rekeyed: now IKE SA #\(new.id), \(new.proposal), SPIs \(spi64(new.initiatorSPI))/\(spi64(new.responderSPI))")
        case .ikeSADeleted(let id, let reason):
            return (.info, "IKE SA #\(id) deleted: \(reason)")
        case .childSAInstalled(let ikeSA, let child):
            return (.info, "CHILD SA \(child.name) installed on IKE SA #\(ikeSA): \(describe(child))")
        case .childSARemoved(let ikeSA, let inbound, let outbound, let reason):
            return (.info, "CHILD SA removed from IKE SA #\(ikeSA): SPIs in \(spi32(inbound)) out \(spi32(outbound)): \(reason)")
        case .ikeSAAddressesChanged(let id, let local, let remote, let natLocal, let natRemote, let reason):
            let nat = nat(local: natLocal, remote: natRemote)
            return (.info, "IKE SA #\(id) moved (\(reason.rawValue)): \(local) <-> \(remote)\(nat == "no" ? "" : ", NAT \(nat)")")
        case .messageIDs:
            return nil
        }
    }

    /// `vpn sites, responder, 192.0.2.1:500 <-> 198.51.100.7:4500, ids gw.example.net <-> s1.example.net, aes128gcm16-prfsha256-x25519, NAT remote, SPIs 0x../0x..`
    public static func describe(_ sa: IKESAReport) -> String {
        var parts = ["vpn \(sa.vpn)", sa.role.rawValue, "\(sa.local) <-> \(sa.remote)", "ids \(sa.localID) <-> \(sa.remoteID)",
                     sa.proposal]
        let nat = nat(local: sa.natLocal, remote: sa.natRemote)
        if nat != "no" { parts.append("NAT \(nat)") }
        parts.append("SPIs \(spi64(sa.initiatorSPI))/\(spi64(sa.responderSPI))")
        return parts.joined(separator: ", ")
    }

    /// `SPIs in 0xc0012345 out 0x0a0b0c0d, aes128gcm16-esn, 10.1.0.0/16 === 10.128.1.0/24, ESP in UDP`
    public static func describe(_ child: ChildSAReport) -> String {
        let local = child.localTS.map(\.description).joined(separator: ","), remote = child.remoteTS.map(\.description).joined(separator: ",")
        return "SPIs in \(spi32(child.inboundSPI)) out \(spi32(child.outboundSPI)), \(child.proposal), \(local) === \(remote), "
            + (child.encapsulated ? "ESP in UDP" : "ESP")
    }

    /// `local`, `remote`, `both` or `no`: which side is behind a NAT.
    public static func nat(local: Bool, remote: Bool) -> String {
        switch (local, remote) {
        case (true, true): return "both"
        case (true, false): return "local"
        case (false, true): return "remote"
        case (false, false): return "no"
        }
    }

    /// `0x00001001` (ESP SPIs).
    public static func spi32(_ spi: UInt32) -> String { hex(UInt64(spi), digits: 8) }
    /// `0x0123456789abcdef` (IKE SPIs).
    public static func spi64(_ spi: UInt64) -> String { hex(spi, digits: 16) }

    static func hex(_ v: UInt64, digits: Int) -> String {
        let h = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, digits - h.count)) + h
    }
}

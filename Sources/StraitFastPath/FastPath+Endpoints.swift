import CFastPath
import Foundation
import StraitConfig
import StraitCore

/// Tunnel endpoints of installed SAs, for MOBIKE and NAT rebinding (`fp_sa_set_endpoints`).
extension FastPath {
    /// Moves SA `handle` to new outer addresses and encapsulation while workers run: each
    /// packet is built wholly from the old or wholly from the new endpoints, and none from the
    /// old ones once this returns. Sequence numbers, the replay window, counters and keys stay.
    /// `udp`: ESP in UDP with these ports (RFC 3948), nil for raw ESP. IPv4 only, like SAs.
    public func setSAEndpoints(_ handle: Int, local: IPv4Address, remote: IPv4Address,
                               udp: (local: UInt16, remote: UInt16)?) throws {
        var l = Self.ip(.v4(local)), r = Self.ip(.v4(remote))
        let rc = lock.withLock {
            fp_sa_set_endpoints(Int32(handle), &l, &r, udp == nil ? 0 : 1, udp?.local ?? 0, udp?.remote ?? 0)
        }
        if rc != 0 { throw Error(message: "SA \(handle): new endpoints \(local) === \(remote): \(Self.errnoText(rc))") }
    }
}

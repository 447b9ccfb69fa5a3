import CFastPath
import StraitCore

extension FastPath {
    /// The virtual addresses this node is VRRP Backup for: the workers drop packets for them
    /// ("vrrp-backup") instead of sending them back out to the Master or dropping them as
    /// no-route. Replaces the previous set; at most 64 addresses.
    public func setStandbyAddresses(_ addresses: [IPAddress]) throws {
        var list = addresses.map(Self.ip)
        let rc = lock.withLock { fp_standby_set(&list, UInt32(list.count)) }
        if rc != 0 { throw Error(message: "standby addresses: \(Self.errnoText(rc))") }
    }
}

import Foundation
import StraitCore
import StraitHASync
import StraitIKE

/// The data plane IKE sees when `ha` is configured: the fast path's, plus a copy of every
/// CHILD SA as installed (keys included). The engine does not keep CHILD SA keys, and the
/// standby needs them to install the same SAs; the HA wiring reads them here when the bus
/// reports the CHILD SA. Removed with the SA. Calls come from the engine loop and the HA queue.
final class HADataPlaneTap: IKEDataPlane, @unchecked Sendable {
    struct Entry {
        var install: ChildSAInstall
        var handle: ChildSAHandle
    }

    let inner: FastPathIKEDataPlane
    private let lock = NSLock()
    private var entries: [HAChildKey: Entry] = [:]
    private var changes: UInt64 = 0

    init(_ inner: FastPathIKEDataPlane) { self.inner = inner }

    func allocateInboundSPI() throws -> UInt32 { try inner.allocateInboundSPI() }
    func releaseInboundSPI(_ spi: UInt32) { inner.releaseInboundSPI(spi) }

    func install(_ child: ChildSAInstall) throws -> ChildSAHandle {
        let handle = try inner.install(child)
        let key = HAChildKey(inboundSPI: child.inboundSPI, outboundSPI: child.outboundSPI)
        lock.withLock {
            entries[key] = Entry(install: child, handle: handle)
            changes += 1
        }
        return handle
    }

    func remove(_ handle: ChildSAHandle) {
        lock.withLock {
            entries = entries.filter { $0.value.handle != handle }
            changes += 1
        }
        inner.remove(handle)
    }

    func query(_ handle: ChildSAHandle) -> ChildSAUsage? { inner.query(handle) }

    func updateEndpoints(_ handle: ChildSAHandle, local: IPAddress, remote: IPAddress,
                         udpEncapsulation: (local: UInt16, remote: UInt16)?) throws {
        try inner.updateEndpoints(handle, local: local, remote: remote, udpEncapsulation: udpEncapsulation)
        lock.withLock {
            for (key, e) in entries where e.handle == handle {
                entries[key]?.install.local = local
                entries[key]?.install.remote = remote
                entries[key]?.install.udpEncapsulation = udpEncapsulation
            }
        }
    }

    func entry(_ key: HAChildKey) -> Entry? { lock.withLock { entries[key] } }

    /// Moves on every install and remove: the HA active's sampling rebuilds its handle arrays then.
    var generation: UInt64 { lock.withLock { changes } }

    /// The fast-path handles of every CHILD SA IKE installed, for sequence sampling.
    func handles() -> [HAChildKey: ChildSAHandle] { lock.withLock { entries.mapValues(\.handle) } }
}

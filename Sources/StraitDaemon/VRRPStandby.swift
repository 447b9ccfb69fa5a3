import Logging
import StraitCore
import StraitFastPath
import StraitVRRP
import StraitVRRPService

/// Tells the fast path which virtual addresses belong to the other node now: every address
/// of an instance that is not Master here. Follows the instances' transitions (on the VRRP
/// thread, after a new Master's addresses went onto the mirror, before a Backup's announce).
final class VRRPStandby: @unchecked Sendable {
    private let fastPath: FastPath
    private let instances: [VRRPInstanceSpec]
    private let logger: Logger
    private var masters: Set<String> = []

    init(fastPath: FastPath, instances: [VRRPInstanceSpec], logger: Logger) {
        self.fastPath = fastPath
        self.instances = instances
        self.logger = logger
        apply()
    }

    /// Subscribe before the service starts, so an owner's first Master is seen too.
    func attach(_ service: VRRPService) {
        service.subscribe { [self] event in
            guard case .instance(let name) = event.subject else { return }
            if event.to == .master { masters.insert(name) } else { masters.remove(name) }
            apply()
        }
    }

    private func apply() {
        let standby = instances.filter { !masters.contains($0.name) }.flatMap { $0.addresses.map(\.address) }
        do {
            try fastPath.setStandbyAddresses(standby)
        } catch {
            logger.error("vrrp: \(error)")
        }
    }
}

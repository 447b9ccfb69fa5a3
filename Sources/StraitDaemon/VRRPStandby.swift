import Dispatch
import Logging
import StraitCore
import StraitFastPath
import StraitVRRP
import StraitVRRPService

/// Tells the fast path which virtual addresses belong to the other node now: every address
/// of an instance that is not Master here. Follows the instances' transitions. The update
/// runs on its own queue: replacing the set waits for the workers (RCU), and a stuck worker
/// (which tracking may be about to report) must not hold up the VRRP thread.
final class VRRPStandby: @unchecked Sendable {
    private let fastPath: FastPath
    private let instances: [VRRPInstanceSpec]
    private let logger: Logger
    private var masters: Set<String> = []
    private let queue = DispatchQueue(label: "strait.vrrp-standby")

    init(fastPath: FastPath, instances: [VRRPInstanceSpec], logger: Logger) {
        self.fastPath = fastPath
        self.instances = instances
        self.logger = logger
        queue.sync { apply() }
    }

    /// Subscribe before the service starts, so an owner's first Master is seen too.
    func attach(_ service: VRRPService) {
        service.subscribe { [self] event in
            guard case .instance(let name) = event.subject else { return }
            queue.async { [self] in
                if event.to == .master { masters.insert(name) } else { masters.remove(name) }
                apply()
            }
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

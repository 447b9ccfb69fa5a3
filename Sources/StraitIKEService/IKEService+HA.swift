import Logging
import StraitConfig
import StraitIKE

extension IKEService {
    /// Established IKE SAs (with their CHILD SAs) for HA sync; `id` limits it to one. Waits for
    /// the engine loop: call it from another thread, never from a bus subscriber.
    public func haSnapshot(id: UInt64? = nil) throws -> [IKESAHAExport] {
        try onEngine { engine, now in (engine as? IKEEngine)?.haSnapshot(now: now, id: id) ?? [] }
    }
}

extension IKEService {
    /// Takes over an IKE SA another node negotiated (HA takeover): see `IKEEngine.haImport`.
    public func haImport(_ export: IKESAHAExport, children: [ChildSAHAImport]) throws {
        try onEngine { engine, now in
            guard let engine = engine as? IKEEngine else { throw ServiceError.notRunning }
            try engine.haImport(export, children: children, now: now)
        }
    }
}

extension IKEService {
    /// The service of a node in an HA pair: the engine announces and answers RFC 6311 message
    /// ID sync (`IKEEngine.messageIDSync`), so that the node that takes an SA over can
    /// synchronize the message IDs with the peer.
    public convenience init(config: IKEConfig, dataPlane: IKEDataPlane, logger: Logger, haMessageIDSync: Bool) {
        self.init(settings: Settings(config: config), logger: logger) { now in
            let engine = try IKEEngine(config: config, dataPlane: dataPlane, logger: logger, now: now)
            engine.messageIDSync = haMessageIDSync
            return engine
        }
    }
}

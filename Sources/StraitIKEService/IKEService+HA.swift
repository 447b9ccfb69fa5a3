import StraitIKE

extension IKEService {
    /// Established IKE SAs (with their CHILD SAs) for HA sync; `id` limits it to one. Waits for
    /// the engine loop: call it from another thread, never from a bus subscriber.
    public func haSnapshot(id: UInt64? = nil) throws -> [IKESAHAExport] {
        try onEngine { engine, now in (engine as? IKEEngine)?.haSnapshot(now: now, id: id) ?? [] }
    }
}

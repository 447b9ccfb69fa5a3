import StraitIKE

extension IKEService {
    /// HA demotion: the engine forgets every IKE SA silently and removes their CHILD SAs from
    /// the fast path (see `IKEEngine.haReleaseAll`). Waits for the engine loop: call it from
    /// another thread, never from a bus subscriber.
    public func haReleaseAll() throws -> IKEHARelease {
        try onEngine { engine, _ in (engine as? IKEEngine)?.haReleaseAll() ?? IKEHARelease() }
    }
}

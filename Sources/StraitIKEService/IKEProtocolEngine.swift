import StraitConfig
import StraitCore
import StraitIKE

/// What the I/O shell needs of the protocol engine: `IKEEngine` (StraitIKE), or a stand-in in
/// the shell's own tests. Every call comes from the service's engine loop, one at a time.
public protocol IKEProtocolEngine: AnyObject {
    var bus: IKEEventBus { get }
    var counters: IKECounters { get }
    func receive(_ datagram: IKEDatagram, now: IKETime) -> [IKEDatagram]
    func tick(now: IKETime) -> [IKEDatagram]
    func initiate(vpn: String, remote: IPAddress?, now: IKETime) throws -> [IKEDatagram]
    func terminate(ikeSA id: UInt64, now: IKETime) -> [IKEDatagram]
    func childSAExpired(cookie: UInt64, hard: Bool, now: IKETime) -> [IKEDatagram]
    func reports(now: IKETime) -> [IKESAReport]
    func shutdown(now: IKETime) -> [IKEDatagram]
    /// A configuration reload: throws (changing nothing) when `config` cannot be taken.
    func reload(config: IKEConfig, credentials: IKECredentials, now: IKETime) throws -> (IKEReloadReport, [IKEDatagram])
}

extension IKEEngine: IKEProtocolEngine {}

extension IKEProtocolEngine {
    /// Engines without reload (test stand-ins) refuse it.
    public func reload(config: IKEConfig, credentials: IKECredentials, now: IKETime) throws -> (IKEReloadReport, [IKEDatagram]) {
        throw IKEService.ServiceError.listen("this engine cannot reload its configuration")
    }
}

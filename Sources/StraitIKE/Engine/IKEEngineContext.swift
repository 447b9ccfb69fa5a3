import Foundation
import Logging
import StraitConfig
import StraitIKECrypto

/// What tasks share with the engine: configuration, the data plane, counters, SPI and cookie
/// sources. One per engine, used from the engine's thread only.
final class IKEEngineContext {
    /// Replaced by a reload (IKEEngine+Reload): read it afresh, never keep a copy across calls.
    var config: IKEConfig
    let dataPlane: IKEDataPlane
    let bus: IKEEventBus
    let logger: Logger
    var counters = IKECounters()
    var cookies: CookieGenerator
    /// Certificates and keys of the VPN definitions that use them (Auth/).
    var credentials: IKECredentials
    /// What day it is, for certificate validity (IKETime is monotonic and cannot say).
    let wallClock: @Sendable () -> Date
    /// IKE messages above this size go out in fragments when the peer agreed (RFC 7383).
    var fragmentSize = IKESA.defaultFragmentSize
    /// RFC 6311 message ID sync announced and answered (`IKEEngine.messageIDSync`).
    var messageIDSync = false
    private var childCookie: UInt64 = 0
    private(set) var usedSPIs: Set<UInt64> = []

    init(config: IKEConfig, dataPlane: IKEDataPlane, bus: IKEEventBus, logger: Logger, now: IKETime,
         credentials: IKECredentials? = nil, wallClock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.config = config
        self.dataPlane = dataPlane
        self.bus = bus
        self.logger = logger
        cookies = try CookieGenerator(now: now.nanoseconds / 1_000_000_000)
        // Without credentials from the caller, the files the configuration names are read now.
        self.credentials = try credentials ?? IKECredentials.load(config, now: wallClock())
        try self.credentials.check(config)
        self.wallClock = wallClock
        for warning in self.credentials.warnings { logger.warning("ike: \(warning)") }
    }

    /// A fresh, unused, non-zero IKE SPI (our half of the pair).
    func newSPI() -> UInt64 {
        while true {
            let b = secureRandomBytes(8)
            let spi = b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if spi != 0, usedSPIs.insert(spi).inserted { return spi }
        }
    }

    func releaseSPI(_ spi: UInt64) { usedSPIs.remove(spi) }

    /// The reference fast-path events carry for a CHILD SA (never 0: 0 is "none").
    func newChildCookie() -> UInt64 {
        childCookie += 1
        return (1 << 63) | childCookie
    }
}

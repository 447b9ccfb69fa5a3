import Dispatch
import Logging
import StraitConfig
import StraitCore
import StraitFastPath
import StraitIKEService
import StraitNetlink

/// Drains the fast path's IPsec events on a timer and acts on them:
///
/// - lifetimes and sequence-number exhaustion are logged with the SA's name, SPI and peer
///   (never key material); those of IKE's CHILD SAs go to the IKE engine (it rekeys or deletes),
///   once per CHILD SA and kind;
/// - ESP for an unknown SPI is logged as a warning with its outer addresses, at most once a
///   second per SPI (with how many were left unsaid);
/// - a resolve request (one of our encrypted packets waits for its outer next hop) makes the
///   kernel resolve that neighbour; netlink then brings the answer into the fast path.
///
/// Events are taken every 100 ms, not every second: a resolve request stands for packets
/// being dropped until the neighbour is known.
final class IPsecEventMonitor: @unchecked Sendable {
    static let interval: DispatchTimeInterval = .milliseconds(100)
    /// Unknown-SPI warnings: at most one per SPI per this many seconds.
    static let unknownSPIPeriod = 1.0

    private let fastPath: FastPath
    private let kernel: KernelConfigurator?
    private let state: IPsecState
    private let logger: Logger
    private let queue = DispatchQueue(label: "strait.ipsec-events")
    private var timer: DispatchSourceTimer?
    // Touched on `queue` only.
    private var lastUnknown: [UInt32: (at: Double, suppressed: Int)] = [:]
    private var lastResolveFailure = -Double.infinity
    private var ike: (dataPlane: FastPathIKEDataPlane, service: IKEService)?

    init(fastPath: FastPath, kernel: KernelConfigurator?, state: IPsecState, logger: Logger) {
        self.fastPath = fastPath
        self.kernel = kernel
        self.state = state
        self.logger = logger
    }

    func start() {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + Self.interval, repeating: Self.interval)
        t.setEventHandler { [weak self] in self?.drain() }
        t.resume()
        timer = t
    }

    func stop() {
        timer?.cancel()
        timer = nil
    }

    /// From now on, lifetime events of IKE's CHILD SAs go to `service`.
    func attachIKE(dataPlane: FastPathIKEDataPlane, service: IKEService) {
        queue.sync { ike = (dataPlane, service) }
    }

    /// Before the IKE service stops: its SAs' events are only logged again.
    func detachIKE() {
        queue.sync { ike = nil }
    }

    private func drain() {
        let events = fastPath.ipsecEvents()
        guard !events.isEmpty else { return }
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        var resolved = Set<String>()
        for event in events {
            switch event {
            case .softExpired(let sa, let cookie, let spi):
                if ikeLifetime(sa: sa, cookie: cookie, spi: spi, hard: false, why: "soft lifetime reached: rekeying") { continue }
                let what = describe(sa: sa, cookie: cookie, spi: spi)
                logger.warning("\(what): soft lifetime reached; install new keys (static SAs are not rekeyed) before the hard lifetime stops it")
            case .hardExpired(let sa, let cookie, let spi):
                if ikeLifetime(sa: sa, cookie: cookie, spi: spi, hard: true, why: "hard lifetime reached: the SA is stopped") { continue }
                logger.error("\(describe(sa: sa, cookie: cookie, spi: spi)): hard lifetime reached; the SA is stopped")
            case .sequenceExhausted(let sa, let cookie, let spi):
                if ikeLifetime(sa: sa, cookie: cookie, spi: spi, hard: true, why: "no sequence number left: the SA is stopped") { continue }
                logger.error("\(describe(sa: sa, cookie: cookie, spi: spi)): no sequence number left; the SA is stopped")
            case .unknownSPI(let spi, let source, let destination):
                unknownSPI(spi, source: source, destination: destination, now: now)
            case .resolve(let port, let address):
                guard resolved.insert("\(port) \(address)").inserted else { continue }
                resolve(address, port: port, now: now)
            case .other(let type):
                logger.debug("ipsec: event of unknown type \(type)")
            }
        }
        if lastUnknown.count > 4096 {
            lastUnknown = lastUnknown.filter { now - $0.value.at < 60 }
        }
    }

    /// True when `sa` belongs to an IKE CHILD SA (the engine hears of it once per kind).
    private func ikeLifetime(sa: Int, cookie: UInt64, spi: UInt32, hard: Bool, why: String) -> Bool {
        guard let ike, state.sas[sa] == nil else { return false }
        switch ike.dataPlane.expiry(sa: sa, cookie: cookie, hard: hard) {
        case .notIKE:
            return false
        case .duplicate:
            return true
        case .forward(let name, let cookie):
            logger.info("ike: CHILD SA \(name) (SPI \(IPsecDefaults.spiText(spi))): \(why)")
            ike.service.childSAExpired(cookie: cookie, hard: hard)
            return true
        }
    }

    /// `SA 'site1-out' (SPI 0x00001001, out to 192.0.2.2)`.
    private func describe(sa handle: Int, cookie: UInt64, spi: UInt32) -> String {
        guard let sa = state.sas[handle] else {
            return "SA \(handle) (SPI \(IPsecDefaults.spiText(spi)), cookie \(cookie))"
        }
        let peer = sa.direction == .outbound ? "out to \(sa.remote)" : "in from \(sa.remote)"
        return "SA '\(sa.name)' (SPI \(sa.spiText), \(peer))"
    }

    private func unknownSPI(_ spi: UInt32, source: IPAddress?, destination: IPAddress?, now: Double) {
        if let last = lastUnknown[spi], now - last.at < Self.unknownSPIPeriod {
            lastUnknown[spi] = (last.at, last.suppressed + 1)
            return
        }
        let suppressed = lastUnknown[spi]?.suppressed ?? 0
        lastUnknown[spi] = (now, 0)
        let from = source.map { "\($0)" } ?? "?", to = destination.map { "\($0)" } ?? "?"
        let more = suppressed > 0 ? " (\(suppressed) more since the last report)" : ""
        logger.warning("ipsec: ESP with unknown SPI \(IPsecDefaults.spiText(spi)) from \(from) to \(to)\(more)")
    }

    private func resolve(_ address: IPAddress, port: Int, now: Double) {
        guard let kernel, let ifname = fastPath.name(ofPort: port) else { return }
        do {
            try kernel.resolveNeighbor(ifname: ifname, address: address)
            logger.debug("ipsec: asked the kernel to resolve \(address) on \(ifname)")
        } catch {
            // Once a second at most: a peer that never answers would otherwise flood the log.
            guard now - lastResolveFailure >= 1 else { return }
            lastResolveFailure = now
            logger.warning("ipsec: cannot have the kernel resolve \(address) on \(ifname): \(error)")
        }
    }
}

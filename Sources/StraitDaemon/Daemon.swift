import Dispatch
import Foundation
import Logging
import StraitAPI
import StraitConfig
import StraitControl
import StraitCore
import StraitFastPath
import StraitNetlink

/// straitd: brings the pieces up in dependency order, serves until SIGTERM/SIGINT, and
/// takes them down in reverse.
///
///   config -> fast path (EAL, ports, mirrors, workers) -> kernel side of the mirrors
///          -> netlink mirror (initial dump, then events) -> IPsec (UDP port, SAs, policies,
///          tunnel routes; the event monitor) -> control socket
public final class Daemon {
    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The config; after the SAs are installed, without its keys (`text` is the redacted text).
    private var config: StraitConfig
    private var logger: Logger
    private var fastPath: FastPath?
    private var kernel: KernelConfigurator?
    private var netlink: NetlinkSync?
    private var ipsecEvents: IPsecEventMonitor?
    private var control: ControlServer?
    private var sampler: DispatchSourceTimer?
    private let started = Date()

    public init(config: StraitConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func start() throws {
        let fp: FastPath
        let dad = KernelSetup.disableDADForNewInterfaces()
        defer { KernelSetup.restoreDADForNewInterfaces(dad) }
        do {
            fp = try FastPath(config: config)
        } catch {
            throw StartupError(description: "\(config.source): \(error)")
        }
        fastPath = fp
        logger.info("fast path up: \(fp.workerCPUs.count) worker(s) on CPUs \(CPUList(fp.workerCPUs)), control on CPU \(fp.controlCPU), \(fp.ports.count) port(s)")

        do {
            let kernel = try KernelConfigurator()
            try KernelSetup(config: config, logger: logger).apply(using: kernel)
            self.kernel = kernel
        } catch {
            stop()
            throw StartupError(description: "\(error)")
        }

        let fib = FibApplier(fastPath: fp, logger: logger, tunnelPrefixes: Set(config.ipsec.tunnelRoutes.map(\.prefix)))
        let mirrors = Dictionary(uniqueKeysWithValues: fp.ports.map { ($0.config.name, $0.handle) })
        let sync = NetlinkSync(mirrors: mirrors, sink: { fib.apply($0) }, logger: logger)
        do {
            try sync.start()
        } catch {
            stop()
            throw StartupError(description: "netlink: \(error)")
        }
        netlink = sync
        logger.info("kernel tables mirrored: \(fib.snapshot().routes.count) routes, \(fib.snapshot().neighbors.count) neighbours")

        let ipsec: IPsecState
        do {
            ipsec = try IPsecInstaller.install(config.ipsec, on: fp, logger: logger)
        } catch {
            stop()
            throw StartupError(description: "\(error)")
        }
        // The keys now live only in the fast path's expanded form: keep none here.
        config.ipsec = config.ipsec.withoutKeys
        config.text = config.redactedText
        let monitor = IPsecEventMonitor(fastPath: fp, kernel: kernel, state: ipsec, logger: logger)
        monitor.start()
        ipsecEvents = monitor

        let load = LcoreLoad()
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "strait.sampler"))
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { load.sample(fp.workerStats()) }
        timer.resume()
        sampler = timer

        let reports = ReportBuilder(config: config, fastPath: fp, fib: fib, load: load, started: started, ipsec: ipsec)
        let server = ControlServer(socketPath: config.control.socketPath, logger: logger)
        server.register(ControlCommands.showPorts) { _ in reports.ports() }
        server.register(ControlCommands.showLcores) { _ in reports.lcores() }
        server.register(ControlCommands.showStats) { _ in reports.stats() }
        server.register(ControlCommands.showRoutes) { _ in reports.routes() }
        server.register(ControlCommands.showNeighbors) { _ in reports.neighbors() }
        server.register(ControlCommands.showConfig) { _ in reports.configReport() }
        server.register(ControlCommands.showVersion) { _ in reports.version() }
        server.register(ControlCommands.showIPsecSAs) { _ in reports.ipsecSAs() }
        server.register(ControlCommands.showIPsecSPD) { _ in reports.ipsecPolicies() }
        do {
            try server.start()
        } catch {
            stop()
            throw StartupError(description: "control socket \(config.control.socketPath): \(error)")
        }
        control = server
        logger.info("ready: control socket \(config.control.socketPath)")
    }

    /// Reverse order of start; safe to call more than once.
    public func stop() {
        control?.stop()
        control = nil
        sampler?.cancel()
        sampler = nil
        ipsecEvents?.stop()
        ipsecEvents = nil
        netlink?.stop()
        netlink = nil
        kernel = nil
        fastPath?.shutdown()   // workers stop, ports close, mirrors go away
        fastPath = nil
    }

    /// Runs until SIGTERM or SIGINT, then stops everything.
    public func runUntilSignalled() {
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { done.signal() }
            s.resume()
            sources.append(s)
        }
        done.wait()
        logger.info("signal received: shutting down")
        stop()
        sources.forEach { $0.cancel() }
        logger.info("stopped")
    }
}

import Dispatch
import Foundation
import Logging
import StraitAPI
import StraitConfig
import StraitControl
import StraitCore
import StraitFastPath
import StraitIKEService
import StraitNetlink
import StraitVRRPService

/// straitd: brings the pieces up in dependency order, serves until SIGTERM/SIGINT, and
/// takes them down in reverse.
///
///   config -> fast path (EAL, ports, mirrors, workers) -> kernel side of the mirrors
///          -> netlink mirror (initial dump, then events) -> IPsec (UDP port, SAs, policies,
///          tunnel routes; the event monitor) -> IKE (UDP 500/4500, the engine; with an `ike`
///          section) -> VRRP (with a `vrrp` section: the Master's virtual addresses go onto the
///          mirrors, so netlink and IKE see them like any other) -> control socket
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
    private var ike: IKEService?
    private var vrrp: VRRPService?
    private var ha: HAController?
    private var control: ControlServer?
    private var sampler: DispatchSourceTimer?
    private var vrrpTrack: VRRPTrackSampler?
    private var reloader: ConfigReloader?
    private let started = Date()
    /// Taken before the fast path pins this thread to the control core: a reload checks CPUs against it.
    private let facts = SystemFacts.current

    public init(config: StraitConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func start() throws {
        // SIGHUP means reload (runUntilSignalled); until then it must not end the process.
        signal(SIGHUP, SIG_IGN)
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
        // The keys now live only in the fast path's expanded form: keep none here (a reload
        // compares digests to see that they did not change).
        let keys = SAKeyFingerprints(config.ipsec)
        config.ipsec = config.ipsec.withoutKeys
        config.text = config.redactedText
        let monitor = IPsecEventMonitor(fastPath: fp, kernel: kernel, state: ipsec, logger: logger)
        monitor.start()
        ipsecEvents = monitor

        let ikeConfig = config.ike
        let haConfig = config.ha
        // `config.ha` keeps its key (it prints redacted): a reload compares it to the file's.
        var ikeDataPlane: FastPathIKEDataPlane?
        // With `ha`, IKE's CHILD SAs go through a tap that keeps their keys for the standby.
        var haTap: HADataPlaneTap?
        if !ikeConfig.isEmpty {
            let dataPlane = FastPathIKEDataPlane(fastPath: fp, logger: logger)
            ikeDataPlane = dataPlane
            if config.ha != nil { haTap = HADataPlaneTap(dataPlane) }
            // In an HA pair the engine negotiates RFC 6311 message ID sync for takeovers.
            let service = IKEService(config: ikeConfig, dataPlane: haTap ?? dataPlane, logger: logger, haMessageIDSync: config.ha != nil)
            if let haConfig {
                let controller = HAController(config: haConfig, fastPath: fp, tap: haTap, logger: logger)
                controller.attach(ike: service)   // before start: the bus takes subscribers then
                ha = controller
            }
            do {
                try service.start()
            } catch {
                stop()
                throw StartupError(description: "ike: \(error)")
            }
            ike = service
            monitor.attachIKE(dataPlane: dataPlane, service: service)
            logger.info("ike: \(ikeConfig.vpns.count) VPN(s), ports \(service.boundPorts.map(String.init).joined(separator: ", "))")
            // The engine has its own copy; the daemon's (config reports) needs no secret.
            config.ike = Self.withoutSecrets(ikeConfig)
        }
        if !config.vrrp.isEmpty {
            let specs = VRRPSetup.specs(config)
            let service = VRRPService(instances: specs.instances, groups: specs.groups, logger: logger)
            VRRPStandby(fastPath: fp, instances: specs.instances, logger: logger).attach(service)
            do {
                try service.start()
            } catch {
                stop()
                throw StartupError(description: "\(error)")
            }
            vrrp = service
            logger.info("vrrp: \(specs.instances.count) instance(s), \(specs.groups.count) group(s)")
            vrrpTrack = VRRPTrackSampler(service: service, fastPath: fp, interval: config.vrrp.trackInterval,
                                         stuckAfter: config.vrrp.workerStuckAfter)
            if let haConfig {
                let controller = ha ?? HAController(config: haConfig, fastPath: fp, tap: nil, logger: logger)
                do {
                    try controller.start(vrrp: service)
                } catch {
                    stop()
                    throw StartupError(description: "ha: sync link \(haConfig.sync.localAddress) -> \(haConfig.sync.remoteAddress) port \(haConfig.sync.port): \(error)")
                }
                ha = controller
            }
        }
        let running = RunningConfig(config)
        let reloader = ConfigReloader(running: running, keys: keys, facts: facts, ike: ike, logger: logger)
        self.reloader = reloader
        let ikeCommands = IKECommands(service: ike, current: running)

        let load = LcoreLoad()
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "strait.sampler"))
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { load.sample(fp.workerStats()) }
        timer.resume()
        sampler = timer

        let reports = ReportBuilder(running: running, fastPath: fp, fib: fib, load: load, started: started, ipsec: ipsec,
                                    ike: ikeDataPlane)
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
        server.register(ControlCommands.showIKESAs) { try ikeCommands.showSAs($0) }
        server.register(ControlCommands.showIKEStats) { try ikeCommands.stats($0) }
        server.register(ControlCommands.ikeInitiate) { try ikeCommands.initiate($0) }
        server.register(ControlCommands.ikeTerminate) { try ikeCommands.terminate($0) }
        server.register(ControlCommands.reload) { _ in try reloader.control() }
        server.register(ControlCommands.haStatus) { [ha] _ in ha?.report() ?? HAStatusReport() }
        server.register(ControlCommands.haFailover) { [ha] _ in
            guard let ha else { throw ControlError(.notConfigured, "no ha section in the config") }
            return try ha.failover()
        }
        server.register(ControlCommands.haResume) { [ha] _ in
            guard let ha else { throw ControlError(.notConfigured, "no ha section in the config") }
            return try ha.resume()
        }
        server.register(ControlCommands.showVRRP) { [vrrp] _ in vrrp.map { VRRPSetup.report($0.status()) } ?? VRRPReport() }
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
        // The sync link before IKE: what a graceful stop deletes must not reach the standby,
        // which keeps the SAs to take over.
        ha?.stop()
        ha = nil
        // VRRP first: a Master sends priority 0 so its Backup takes over after only the skew
        // time, and its virtual addresses leave the mirror while netlink still follows them.
        vrrpTrack?.stop()
        vrrpTrack = nil
        vrrp?.stop()
        vrrp = nil
        // IKE before the fast path: the engine deletes its IKE SAs (best-effort Deletes to the
        // peers) and removes its CHILD SAs from the fast path, then the sockets close.
        ipsecEvents?.detachIKE()
        ike?.stop()
        ike = nil
        ipsecEvents?.stop()
        ipsecEvents = nil
        netlink?.stop()
        netlink = nil
        kernel = nil
        fastPath?.shutdown()   // workers stop, ports close, mirrors go away
        fastPath = nil
    }

    /// `ike` without its pre-shared keys (the engine keeps its own copy).
    static func withoutSecrets(_ ike: IKEConfig) -> IKEConfig {
        var copy = ike
        for i in copy.vpns.indices { copy.vpns[i].psk = nil }
        for i in copy.psks.indices { copy.psks[i].secret = PSK(bytes: []) }
        return copy
    }

    /// Runs until SIGTERM or SIGINT, then stops everything. SIGHUP reloads the config.
    public func runUntilSignalled() {
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "strait.reload"))
        hup.setEventHandler { [reloader, logger] in
            logger.info("SIGHUP: reloading the config")
            reloader?.reloadAndLog()
        }
        hup.resume()
        sources.append(hup)
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

import Foundation
import Logging
import NIOCore
import NIOPosix
import StraitConfig
import StraitCore
import StraitFastPath
import StraitHASync
import StraitIKE
import StraitIKEService
import StraitVRRP
import StraitVRRPService

/// The `ha` section at run time: the sync link, and this node's role as the VRRP group
/// `listen-vrrp-group` says (Master: active, otherwise standby).
///
/// - Active (HAController+Active): IKE bus events and the data-plane tap's captured CHILD SAs
///   go through HAActiveExporter to the link; the fast path's sequence state is sampled and
///   HASeqScheduler picks what to send; a full dump on every (re)connect and when the standby
///   asks or messages were dropped.
/// - Standby (HAController+Standby): messages go into HAStandbyStore; CHILD SAs are installed
///   inactive in the fast path (same SPIs, keys, endpoints), removed on delete.
/// - Takeover (group Backup -> Master): every inactive CHILD SA gets its outbound sequence
///   number (last synced + oseq-shift) and inbound replay state, is activated and gets its
///   outbound policies; then the IKE SAs are imported into the IKE engine with those CHILD SAs.
///
/// All state lives on `queue`; the transport's, VRRP's and the IKE bus's callbacks hop onto it.
final class HAController: @unchecked Sendable {
    struct Counters {
        var takeovers: UInt64 = 0
        var bulkDumpsSent: UInt64 = 0
        var installErrors: UInt64 = 0
        var activateErrors: UInt64 = 0
        var rekeyNeeded: UInt64 = 0
        var ikeSAsImported: UInt64 = 0
        var importErrors: UInt64 = 0
        /// Active -> standby without a restart (the group left Master).
        var demotions: UInt64 = 0
        /// Outbound sequence numbers moved past the peer's after a split brain.
        var splitBrainSeqMoves: UInt64 = 0
        /// What sampling every CHILD SA's sequence state costs per tick (ha status; the benchmark):
        /// this thread's CPU time, and wall time (which includes waiting for a CPU).
        var sampleTicks: UInt64 = 0
        var sampleCPUNs: UInt64 = 0
        var sampleWallNs: UInt64 = 0
        var sampleWallMaxNs: UInt64 = 0
    }

    /// A CHILD SA the standby holds inactive (or, after a takeover, active without IKE).
    struct StandbySA {
        var inbound: Int
        var outbound: Int
        var plan: FastPathIKEDataPlane.Plan
        var policies: [Int] = []
        var active = false
        var cookie: UInt64 = 0
    }

    let config: HAConfig
    let fastPath: FastPath
    let tap: HADataPlaneTap?
    weak var ike: IKEService?
    weak var vrrp: VRRPService?
    let logger: Logger
    let queue = DispatchQueue(label: "strait.ha")
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var transport: HASyncTransport?
    var timer: DispatchSourceTimer?

    // On `queue`.
    var role: HANodeRole = .unknown {
        didSet {
            if role != oldValue { roleChangedAt = Date() }
            if role == .active && oldValue != .active { splitBrain.localActivated(now: haNow()) }
        }
    }
    /// When `role` last changed, and how long the last takeover took (`ha status`).
    var roleChangedAt: Date?
    var lastTakeoverDuration: TimeInterval?
    var exporter: HAActiveExporter
    var store = HAStandbyStore()
    var standbySAs: [HAChildKey: StandbySA] = [:]
    /// Taken-over CHILD SAs the IKE engine now owns (it removes them); kept for sampling.
    var imported: [HAChildKey: (inbound: Int, outbound: Int)] = [:]
    var connected = false
    var peerNodeID: UInt32?
    var lastReceived: Date?
    var lastSent: Date?
    var heartbeatSequence: UInt64 = 0
    var lastHeartbeat = Date.distantPast
    /// The transport dropped messages: a dump (active) or a request for one (standby) is due.
    var pendingResync = false
    var counters = Counters()
    var nextCookie: UInt64 = 1 << 62
    /// Split brain (HAController+Demote): what the peer's heartbeats say, and whether this node
    /// yielded and holds its group out of the election.
    var splitBrain = HASplitBrain(bound: .seconds(3))
    var peerRole: HANodeRole = .unknown
    var peerPriority: UInt8 = 0
    var peerHeartbeatAt: Date?
    var splitBrainHold = false
    var stopped = false
    /// The group may not preempt: this node is not in sync (see `syncPreemptHold`).
    var preemptHeld: Bool?
    /// A demoted node's last sequence samples, sent before it asks for a dump.
    var finalSamples: [HASeqState] = []
    /// The active's sequence sampling: the exported CHILD SAs' handles and last reads as flat
    /// arrays, kept across ticks (HAController+Active).
    var sampling = SeqSampling()

    init(config: HAConfig, fastPath: FastPath, tap: HADataPlaneTap?, logger: Logger) {
        self.config = config
        self.fastPath = fastPath
        self.tap = tap
        self.logger = logger
        exporter = HAActiveExporter(policy: HASeqSyncPolicy(
            oseqShift: config.seqnumSync.oseqShift, syncPeriodTime: config.seqnumSync.syncPeriodTime,
            syncPeriodPackets: config.seqnumSync.syncPeriodPackets))
    }

    /// Opens the link, follows the VRRP group, and (when `ike` runs) its bus. Subscribe to IKE
    /// before the IKE service starts: `attach(ike:)`.
    func start(vrrp: VRRPService) throws {
        let mode: HASyncTransport.Mode = config.listens
            ? .listen(host: config.sync.localAddress.description, port: config.sync.port)
            : .connect(host: config.sync.remoteAddress.description, port: config.sync.port)
        let t = try HASyncTransport(
            config: Self.transportConfig(nodeID: UInt32(config.nodeID), key: HASecret(config.key.bytes), mode: mode),
            group: group, logger: logger)
        t.onConnected = { [weak self] peer in
            guard let self else { return }
            self.queue.async { self.connected(peer: peer) }
        }
        t.onDisconnected = { [weak self] in
            guard let self else { return }
            self.queue.async { self.connected = false; self.peerRole = .unknown }
        }
        t.onMessage = { [weak self] message in
            guard let self else { return }
            self.queue.async { self.received(message) }
        }
        transport = t
        _ = try t.start().wait()
        self.vrrp = vrrp
        queue.sync { syncPreemptHold() }
        if let i = vrrp.status().instances.first(where: { $0.group == config.listenVRRPGroup }) {
            splitBrain.bound = Self.splitBrainBound(advertInterval: .milliseconds(Int(i.advertInterval.value) * 10), priority: i.priority)
        }
        vrrp.subscribe { [weak self] event in
            guard let self, event.subject == .group(self.config.listenVRRPGroup) else { return }
            self.queue.async { self.groupChanged(to: event.to) }
        }
        let state = vrrp.status().groups.first { $0.name == config.listenVRRPGroup }?.state ?? .initialize
        queue.sync { groupChanged(to: state) }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let period = min(max(config.seqnumSync.syncPeriodTime / 4, .milliseconds(20)), .milliseconds(250))
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(Int(HAMapping.ms(period) ?? 100)))
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        self.timer = timer
        let text = "ha: node \(config.nodeID), \(config.listens ? "listening on" : "connecting to") "
            + "\(config.listens ? config.sync.localAddress : config.sync.remoteAddress) port \(config.sync.port), "
            + "following vrrp group \(config.listenVRRPGroup)"
        logger.info("\(text)")
    }

    /// A peer killed together with its fast path never sends a FIN (its TAP went with it):
    /// heartbeats go out every second, so five silent seconds close the link (the connecting
    /// side then redials). Not less: a standby applying a 10k-tunnel dump sends nothing for ~2 s.
    static func transportConfig(nodeID: UInt32, key: HASecret, mode: HASyncTransport.Mode) -> HASyncTransport.Config {
        var c = HASyncTransport.Config(nodeID: nodeID, role: .unknown, key: key, mode: mode)
        c.deadInterval = .seconds(5)
        return c
    }

    /// The IKE bus: events are handled on `queue` (the engine loop must not wait for us).
    func attach(ike service: IKEService) {
        ike = service
        service.subscribe { [weak self] event in
            guard let self else { return }
            self.queue.async { self.ikeEvent(event) }
        }
    }

    func stop() {
        // VRRP stops after this (its Masters resign): no demotion then, the IKE service's
        // own stop decides what the peers hear.
        queue.sync { stopped = true }
        timer?.cancel()
        timer = nil
        _ = try? transport?.stop().wait()
        transport = nil
        try? group.syncShutdownGracefully()
    }

    // MARK: on `queue`

    func send(_ message: HASyncMessage) {
        transport?.send(message)
        lastSent = Date()
    }

    private func connected(peer: UInt32) {
        connected = true
        peerNodeID = peer
        logger.info("ha: sync link up to node \(peer) (\(role == .active ? "active: a full dump when the standby asks" : "standby: asking for a full dump"))")
        switch role {
        case .active:
            // Every standby asks on connect (and a demoted one once it has sent its last
            // samples); dumping here as well sent 10k tunnels twice.
            break
        case .standby where !finalSamples.isEmpty: askForDumpAfterDemotion()
        case .standby, .unknown: send(.bulkResyncRequest(reason: store.completedBulk == nil ? .startup : .reconnect))
        }
    }

    private func received(_ message: HASyncMessage) {
        lastReceived = Date()
        switch (role, message) {
        case (.active, .bulkResyncRequest(let reason)):
            logger.info("ha: the standby asks for a full dump (\(reason))")
            // A peer that was active too (split brain) just demoted: move past its numbers first.
            if splitBrain.peerAskedForDump(localActive: true) == .won { wonSplitBrain(why: "the peer demoted and asks for a dump") }
            sendBulkDump()
        case (_, .heartbeat(let h)):
            peerHeartbeat(h)
        case (.active, .seqState(let samples)):
            splitBrain.peerSamples(samples, localActive: true)   // only an active sends them: split brain
        case (.active, _):
            break   // the other active's dump (split brain): nothing to install while active
        default:
            standbyApply(message)
        }
    }

    private func groupChanged(to state: VRRPState) {
        guard !stopped else { return }
        switch (role, state) {
        case (.active, .master), (.standby, .backup), (.standby, .initialize), (.standby, .fault):
            return
        case (.unknown, .master):
            role = .active
            logger.info("ha: vrrp group \(config.listenVRRPGroup) is master: active")
            if connected { sendBulkDump() }
        case (.standby, .master):
            takeOver()
        case (.unknown, _):
            role = .standby
            logger.info("ha: vrrp group \(config.listenVRRPGroup) is \(state.rawValue): standby")
        case (.active, _):
            demote(reason: "left master (\(state.rawValue))")
        }
    }

    static func threadCPUNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    private func tick() {
        if role == .active {
            let t0 = DispatchTime.now().uptimeNanoseconds, c0 = Self.threadCPUNanoseconds()
            sampleSequences()
            let ns = DispatchTime.now().uptimeNanoseconds - t0
            counters.sampleTicks += 1
            counters.sampleCPUNs += Self.threadCPUNanoseconds() - c0
            counters.sampleWallNs += ns
            counters.sampleWallMaxNs = max(counters.sampleWallMaxNs, ns)
        }
        splitBrainTick()
        syncPreemptHold()
        // One heartbeat a second (the timer runs faster for the samples).
        guard connected, Date().timeIntervalSince(lastHeartbeat) >= 1 else { return }
        lastHeartbeat = Date()
        heartbeatSequence += 1
        let needs = ((try? transport?.takeNeedsBulkResync().wait()) ?? false) || pendingResync
        pendingResync = false
        if needs, role == .active { sendBulkDump() }
        if needs, role == .standby { send(.bulkResyncRequest(reason: .overflow)) }
        // The group's priority goes along: the split-brain tie-break.
        let priority = vrrp?.status().instances.filter { $0.group == config.listenVRRPGroup }.map(\.priority).min() ?? 0
        send(role == .active
             ? exporter.heartbeat(nodeID: UInt32(config.nodeID), sequence: heartbeatSequence, vrrpPriority: priority)
             : .heartbeat(HAHeartbeat(nodeID: UInt32(config.nodeID), role: role, sequence: heartbeatSequence,
                                      ikeSAs: UInt32(clamping: store.ikeSAs.count), childSAs: UInt32(clamping: store.childSAs.count),
                                      vrrpPriority: priority)))
    }
}

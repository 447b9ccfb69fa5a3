import Foundation
import Logging
import NIOCore
import StraitConfig
import StraitCore
@testable import StraitIKE
@testable import StraitIKEService
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The UDP shell over real sockets on the loopback, with a stand-in engine.
final class IKEServiceTests: XCTestCase {
    var engine: FakeEngine!
    var service: IKEService!
    var plain = 0, natT = 0

    func makeService(queue: Int = 64, batch: Int = 32, configure: (inout IKEService.Settings) -> Void = { _ in }) throws {
        engine = FakeEngine()
        plain = freePort()
        natT = freePort()
        var settings = IKEService.Settings(config: IKEConfig(listen: IKEListen(ports: [plain, natT])))
        settings.plainPorts = [plain]
        settings.queueLimit = queue
        settings.batch = batch
        configure(&settings)
        let engine = self.engine!
        service = IKEService(settings: settings, logger: quietLogger) { _ in engine }
        try service.start()
    }

    override func tearDown() {
        engine?.gate?.signal()
        service?.stop()
        service = nil
        engine = nil
        super.tearDown()
    }

    func testDefaultsComeFromTheConfig() {
        let s = IKEService.Settings(config: IKEConfig(listen: IKEListen(ports: [500, 4500, 4501]), limits: IKELimits(queue: 99)))
        XCTAssertEqual(s.ports, [500, 4500, 4501])
        XCTAssertEqual(s.plainPorts, [500])
        XCTAssertEqual(s.queueLimit, 99)
        XCTAssertEqual(s.listenAddress.description, "0.0.0.0")
        XCTAssertEqual(s.tickInterval, .milliseconds(100))
    }

    func testPort500MessagesReachTheEngineAndRepliesLeaveFromTheAddressAndPortUsed() throws {
        try makeService()
        XCTAssertEqual(service.boundPorts, [plain, natT])
        let peer = try Peer()
        // Two local addresses (all of 127/8 is local): each reply comes from the one used.
        for local in ["127.0.0.1", "127.0.0.2"] {
            peer.send([1, 2, 3], to: local, port: plain)
            let reply = try XCTUnwrap(peer.receive(), "no reply via \(local)")
            XCTAssertEqual(reply.bytes, [3, 2, 1])
            XCTAssertEqual(reply.from, local)
            XCTAssertEqual(reply.port, plain)
        }
        let got = engine.received
        XCTAssertEqual(got.map(\.local.description), ["127.0.0.1:\(plain)", "127.0.0.2:\(plain)"])
        XCTAssertEqual(got.map(\.remote.description), ["127.0.0.1:\(peer.port)", "127.0.0.1:\(peer.port)"])
        XCTAssertEqual(got.map(\.bytes), [[1, 2, 3], [1, 2, 3]])
    }

    func testNATTPortStripsTheMarkerAddsItBackAndDropsKeepalivesAndESP() throws {
        try makeService()
        let peer = try Peer()
        peer.send([0xFF], port: natT)                      // keepalive
        peer.send([0, 0, 0, 1, 9, 9, 9, 9], port: natT)     // ESP (an SPI where the marker goes)
        peer.send([0, 0], port: natT)                       // short
        peer.send([0, 0, 0, 0, 4, 5, 6], port: natT)        // IKE
        let reply = try XCTUnwrap(peer.receive())
        XCTAssertEqual(reply.bytes, [0, 0, 0, 0, 6, 5, 4], "the marker goes back on")
        XCTAssertEqual(reply.port, natT)
        XCTAssertEqual(engine.received.map(\.bytes), [[4, 5, 6]])
        XCTAssertEqual(engine.received.first?.local.port, UInt16(natT))
        let (_, udp) = try service.counters()
        XCTAssertEqual(udp.datagrams, 4)
        XCTAssertEqual(udp.natKeepalives, 1)
        XCTAssertEqual(udp.nonIKE, 1)
        XCTAssertEqual(udp.short, 1)
        XCTAssertEqual(udp.delivered, 1)
        XCTAssertEqual(udp.sent, 1)
    }

    func testAFullQueueDropsAndCountsAndTheEngineCatchesUpAfterwards() throws {
        let gate = DispatchSemaphore(value: 0)
        try makeService(queue: 16, batch: 1)
        engine.gate = gate
        let peer = try Peer()
        // The engine takes the first message and holds it; then 16 wait and the rest are dropped.
        peer.send([0], port: plain)
        XCTAssertTrue(eventually { self.engine.entered == 1 })
        for i in 1..<40 { peer.send([UInt8(i)], port: plain) }
        XCTAssertTrue(eventually { self.service.udpCounters().datagrams == 40 })
        let held = service.udpCounters()
        XCTAssertEqual(held.queueDepth, 16)
        XCTAssertEqual(held.queueDrops, 40 - 17)
        XCTAssertEqual(held.queueHighWater, 16)
        for _ in 0..<17 { gate.signal() }
        XCTAssertTrue(eventually { self.engine.received.count == 17 })
        let (engineCounters, udp) = try service.counters()
        XCTAssertEqual(udp.delivered, 17)
        XCTAssertEqual(udp.queueDepth, 0)
        XCTAssertEqual(engineCounters.queueDrops, 23, "the engine's counters carry the shell's drops")
        XCTAssertEqual(engine.received.map { $0.bytes[0] }, Array(0..<17), "in arrival order; the late ones dropped")
    }

    func testTheTimerTicksAndEveryEngineCallIsOnOneThread() throws {
        try makeService { $0.tickInterval = .milliseconds(20) }
        let peer = try Peer()
        peer.send([1], port: plain)
        _ = peer.receive()
        XCTAssertTrue(eventually { self.engine.ticks >= 3 })
        _ = try service.reports()
        service.childSAExpired(cookie: 42, hard: true)
        XCTAssertTrue(eventually { self.engine.expired.count == 1 })
        XCTAssertEqual(engine.expired.first?.0, 42)
        XCTAssertEqual(engine.expired.first?.1, true)
        XCTAssertEqual(engine.threads.count, 1, "the engine is not thread-safe")
    }

    func testControlCallsReachTheEngine() throws {
        try makeService()
        engine.reportsToGive = [IKEEventLogTests.sa]
        XCTAssertEqual(try service.reports().map(\.id), [12])
        XCTAssertTrue(try service.terminate(ikeSA: 12))
        XCTAssertFalse(try service.terminate(ikeSA: 13), "unknown: not passed on")
        XCTAssertEqual(engine.terminated, [12])
        try service.initiate(vpn: "sites", remote: IPAddress("198.51.100.7"))
        XCTAssertEqual(engine.initiated.first?.1, IPAddress("198.51.100.7"))
        XCTAssertThrowsError(try service.initiate(vpn: "nope", remote: nil))
    }

    func testStopShutsTheEngineDownAndItsLastWordsGoOutBeforeTheSocketsClose() throws {
        try makeService()
        let peer = try Peer()
        engine.farewell = IKEDatagram(local: IKEEndpoint(IPAddress("127.0.0.1")!, UInt16(natT)),
                                      remote: IKEEndpoint(IPAddress("127.0.0.1")!, peer.port), bytes: [0xDE, 0x1E])
        service.stop()
        XCTAssertTrue(engine.didShutdown)
        XCTAssertEqual(peer.receive()?.bytes, [0, 0, 0, 0, 0xDE, 0x1E])
        XCTAssertThrowsError(try service.reports()) { XCTAssertEqual("\($0)", "the IKE service is not running") }
        // The ports are free again.
        let again = IKEService(settings: service.settings, logger: quietLogger) { _ in FakeEngine() }
        XCTAssertNoThrow(try again.start())
        again.stop()
        service.stop()   // idempotent
    }

    func testAPortInUseIsAStartupErrorNamingThePortAndNothingRuns() throws {
        let busy = freePort()
        let blocker = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(blocker) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = UInt16(busy).bigEndian
        XCTAssertEqual(withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(blocker, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }, 0)
        let free = freePort()
        let settings = IKEService.Settings(config: IKEConfig(listen: IKEListen(ports: [free, busy])))
        var built = false
        let s = IKEService(settings: settings, logger: quietLogger) { _ in built = true; return FakeEngine() }
        XCTAssertThrowsError(try s.start()) { error in
            XCTAssertEqual("\(error)", "ike.listen: cannot listen on UDP 0.0.0.0:\(busy): the port is in use "
                           + "(another IKE daemon, such as strongSwan's charon, or a second straitd?)")
        }
        XCTAssertFalse(built, "no engine without its sockets")
        XCTAssertFalse(s.isRunning)
        // The port that was bound first was released.
        let probe = IKEService(settings: IKEService.Settings(config: IKEConfig(listen: IKEListen(ports: [free]))),
                               logger: quietLogger) { _ in FakeEngine() }
        XCTAssertNoThrow(try probe.start())
        probe.stop()
    }

    func testEngineEventsAreLoggedAndPassedToSubscribers() throws {
        let lines = LogLines()
        engine = FakeEngine()
        plain = freePort()
        let engine = self.engine!
        service = IKEService(settings: IKEService.Settings(config: IKEConfig(listen: IKEListen(ports: [plain]))),
                             logger: Logger(label: "t") { _ in lines }) { _ in engine }
        let seen = LogLines()
        service.subscribe { event in if case .ikeSADeleted(let id, _) = event { seen.append("deleted \(id)") } }
        try service.start()
        try service.onEngine { _, _ in engine.bus.publish(.ikeSADeleted(id: 7, reason: "test")) }
        XCTAssertEqual(seen.all, ["deleted 7"])
        XCTAssertTrue(lines.all.contains("ike: IKE SA #7 deleted: test"), "\(lines.all)")
    }
}

/// A log handler that keeps the messages.
final class LogLines: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        append(message.description)
    }
    func append(_ s: String) { lock.withLock { lines.append(s) } }
    var all: [String] { lock.withLock { lines } }
}

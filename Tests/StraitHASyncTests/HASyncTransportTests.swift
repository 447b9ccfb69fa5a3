import NIOCore
import NIOPosix
import XCTest
@testable import StraitHASync

/// Two transports over loopback TCP (ephemeral port): messages flow both ways, the connection
/// is killed and comes back by itself, and messages flow again. Every wait is bounded.
final class HASyncTransportTests: XCTestCase {
    static let key = HASecret((0..<32).map { UInt8(255 - $0) })

    func testLoopbackExchangeSurvivesAKilledConnection() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var serverConfig = HASyncTransport.Config(nodeID: 2, role: .standby, key: Self.key, mode: .listen(host: "127.0.0.1", port: 0))
        serverConfig.deadInterval = .seconds(10)
        let server = try HASyncTransport(config: serverConfig, group: group)
        let port = try XCTUnwrap(try server.start().wait())

        var clientConfig = HASyncTransport.Config(nodeID: 1, role: .active, key: Self.key, mode: .connect(host: "127.0.0.1", port: port))
        clientConfig.reconnectMin = .milliseconds(20)
        clientConfig.reconnectMax = .milliseconds(200)
        let client = try HASyncTransport(config: clientConfig, group: group)

        // Callbacks run on the event loop; the test reads what they saw through expectations.
        var serverGot: [HASyncMessage] = [], clientGot: [HASyncMessage] = []
        var up1 = expectation(description: "client up"), up2 = expectation(description: "server up")
        let down = expectation(description: "client saw the link go down")
        var gotOnServer = expectation(description: "server got 3")
        var gotOnClient = expectation(description: "client got 1")
        // A reconnect race may report twice; what counts is that it happened in time.
        for e in [up1, up2, down] { e.assertForOverFulfill = false }
        client.onConnected = { peer in XCTAssertEqual(peer, 2); up1.fulfill() }
        server.onConnected = { peer in XCTAssertEqual(peer, 1); up2.fulfill() }
        client.onDisconnected = { down.fulfill() }
        server.onMessage = { m in serverGot.append(m); if serverGot.count == 3 { gotOnServer.fulfill() } }
        client.onMessage = { m in clientGot.append(m); gotOnClient.fulfill() }

        // Sent before the link is up: queued, delivered after the handshake.
        client.send(.ikeSAUpsert(Fx.ike()))
        client.start()
        wait(for: [up1, up2], timeout: 10)
        client.send(.childSAUpsert(Fx.child()))
        client.send(.seqState([HASeqState(child: Fx.child().key, outboundSeq: 42, inboundTop: 7)]))
        server.send(.bulkResyncRequest(reason: .startup))
        wait(for: [gotOnServer, gotOnClient], timeout: 10)
        XCTAssertEqual(try group.next().submit { serverGot }.wait().map(\.type), [.ikeSAUpsert, .childSAUpsert, .seqState])
        XCTAssertEqual(try group.next().submit { serverGot }.wait().first, .ikeSAUpsert(Fx.ike()))

        // Kill the connection from the server side: the client reconnects by itself, with a new handshake.
        up1 = expectation(description: "client up again")
        up2 = expectation(description: "server up again")
        gotOnServer = expectation(description: "server got one more")
        gotOnClient = expectation(description: "client got one more")
        for e in [up1, up2] { e.assertForOverFulfill = false }
        try group.next().submit { serverGot.removeAll() }.wait()
        server.onMessage = { m in serverGot.append(m); gotOnServer.fulfill() }
        server.dropConnection()
        wait(for: [down, up1, up2], timeout: 10)
        client.send(.bulkEnd(generation: 9))
        server.send(.heartbeat(HAHeartbeat(nodeID: 2, role: .standby, sequence: 1, ikeSAs: 0, childSAs: 0)))
        wait(for: [gotOnServer, gotOnClient], timeout: 10)
        XCTAssertEqual(try group.next().submit { serverGot }.wait(), [.bulkEnd(generation: 9)])
        let stats = try client.stats.wait()
        XCTAssertEqual(stats.connects, 2)
        XCTAssertEqual(stats.disconnects, 1)
        XCTAssertEqual(stats.sent, 4)
        try client.stop().wait()
        try server.stop().wait()
    }

    func testWrongKeyNeverConnectsAndOverflowMarksResync() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try HASyncTransport(config: .init(nodeID: 2, role: .standby, key: Self.key, mode: .listen(host: "127.0.0.1", port: 0)),
                                         group: group)
        let port = try XCTUnwrap(try server.start().wait())
        var cfg = HASyncTransport.Config(nodeID: 1, role: .active, key: HASecret(Array(repeating: 1, count: 32)),
                                         mode: .connect(host: "127.0.0.1", port: port))
        cfg.reconnectMin = .milliseconds(20)
        cfg.maxQueued = 4
        let client = try HASyncTransport(config: cfg, group: group)
        client.onConnected = { _ in XCTFail("connected with the wrong key") }
        server.onConnected = { _ in XCTFail("connected with the wrong key") }
        client.start()
        for g in 0..<6 { client.send(.bulkEnd(generation: UInt64(g))) }
        // Several tries, each refused at the confirm.
        let deadline = NIODeadline.now() + .seconds(10)
        while try server.stats.wait().refused < 2, NIODeadline.now() < deadline { usleep(20_000) }
        XCTAssertGreaterThanOrEqual(try server.stats.wait().refused, 2)
        XCTAssertEqual(try client.stats.wait().connects, 0)
        XCTAssertTrue(try client.takeNeedsBulkResync().wait())
        XCTAssertFalse(try client.takeNeedsBulkResync().wait())
        XCTAssertEqual(try client.stats.wait().queueDrops, 5)
        try client.stop().wait()
        try server.stop().wait()
    }

    /// A bulk dump of 10k tunnels (an IKE SA, a CHILD SA and a seq state each) crosses the
    /// link without overflowing the queue, in bounded time.
    func testBulkOf10kTunnels() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let server = try HASyncTransport(config: .init(nodeID: 2, role: .standby, key: Self.key, mode: .listen(host: "127.0.0.1", port: 0)),
                                         group: group)
        let port = try XCTUnwrap(try server.start().wait())
        let client = try HASyncTransport(config: .init(nodeID: 1, role: .active, key: Self.key,
                                                       mode: .connect(host: "127.0.0.1", port: port)), group: group)
        var ex = HAActiveExporter(policy: HASeqSyncPolicy())
        var samples: [HASeqState] = []
        for i in 0..<10_000 {
            _ = ex.ikeSAUpserted(Fx.ike(id: UInt64(i + 1)))
            let c = Fx.child(ike: UInt64(i + 1), spi: UInt32(0x100000 + i))
            _ = ex.childSAUpserted(c)
            samples.append(HASeqState(child: c.key, outboundSeq: UInt64(i), inboundTop: 1, window: 1024, bitmap: Array(repeating: 1, count: 16)))
        }
        _ = ex.seqSamples(samples, now: .zero)
        let dump = ex.bulkDump()
        var store = HAStandbyStore()
        let done = expectation(description: "standby in sync")
        server.onMessage = { m in
            _ = store.apply(m)
            if case .bulkEnd = m { done.fulfill() }
        }
        let up = expectation(description: "up")
        client.onConnected = { _ in up.fulfill() }
        client.start()
        wait(for: [up], timeout: 10)
        let start = NIODeadline.now()
        for m in dump { client.send(m) }
        wait(for: [done], timeout: 60)
        let ms = (NIODeadline.now() - start).nanoseconds / 1_000_000
        print("ha-sync bulk: \(dump.count) messages in \(ms) ms")
        let s = try server.eventLoop.submit { store }.wait()
        XCTAssertEqual(s.ikeSAs.count, 10_000)
        XCTAssertEqual(s.childSAs.count, 10_000)
        XCTAssertEqual(s.seq.count, 10_000)
        XCTAssertEqual(try client.stats.wait().queueDrops, 0)
        XCTAssertFalse(try client.takeNeedsBulkResync().wait())
        try client.stop().wait()
        try server.stop().wait()
    }
}

import Foundation
import NIOCore
import StraitAPI
import StraitControl
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ControlSocketTests: XCTestCase {
    var dir: TempDir!
    var path: String!
    var server: ControlServer?

    override func setUp() {
        dir = TempDir()
        path = dir.file("ctl.sock")
    }

    override func tearDown() {
        server?.stop()
        server = nil
        dir = nil
    }

    @discardableResult
    func startServer(limits: ControlServer.Limits = .init(), configure: (ControlServer) -> Void = { _ in }) throws -> ControlServer {
        let s = ControlServer.withFixtures(path, limits: limits)
        configure(s)
        try s.start()
        server = s
        return s
    }

    // MARK: - Round trips

    func testRoundTripOfEachReport() throws {
        try startServer()
        let client = ControlClient(socketPath: path)
        XCTAssertEqual(try client.call(ControlCommands.showPorts), Fixtures.ports)
        XCTAssertEqual(try client.call(ControlCommands.showLcores), Fixtures.lcores)
        XCTAssertEqual(try client.call(ControlCommands.showStats), Fixtures.stats)
        XCTAssertEqual(try client.call(ControlCommands.showRoutes), Fixtures.routes)
        XCTAssertEqual(try client.call(ControlCommands.showNeighbors), Fixtures.neighbors)
        XCTAssertEqual(try client.call(ControlCommands.showConfig), Fixtures.config)
        XCTAssertEqual(try client.call(ControlCommands.showVersion), Fixtures.version)
        // The untyped form.
        XCTAssertEqual(try client.call(["show", "version"], as: VersionReport.self), Fixtures.version)
    }

    func testCallRawGivesTheResultJSONWithSortedKeysAndExactCounters() throws {
        try startServer()
        let raw = try ControlClient(socketPath: path).callRaw(["show", "stats"])
        let text = String(decoding: raw, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix(#"{"counters":[{"kind":"forward","name":"fwd-ipv4","perLcore":[40,2],"reason""#), text)
        XCTAssertTrue(text.contains(#""total":18446744073709551615"#), "UInt64.max must survive: \(text)")
        XCTAssertEqual(try JSONDecoder().decode(StatsReport.self, from: raw), Fixtures.stats)

        let pretty = String(decoding: try JSONValue.prettyPrinted(Data(#"{"b":[1,2.5,null,true],"a":"x/y"}"#.utf8)), as: UTF8.self)
        XCTAssertEqual(pretty, "{\n  \"a\" : \"x/y\",\n  \"b\" : [\n    1,\n    2.5,\n    null,\n    true\n  ]\n}\n")
    }

    func testArgumentsReachTheHandlerAndHandlerErrorsBecomeResponses() throws {
        struct Boom: Error {}
        try startServer { s in
            s.register(["echo"]) { req in ["command": req.commandText, "name": try req.requiredArgument("name")] }
            s.register(["fail", "internal"]) { _ in throw Boom() }
        }
        let client = ControlClient(socketPath: path)
        XCTAssertEqual(try client.call(["echo"], arguments: ["name": "lan01"], as: [String: String].self),
                       ["command": "echo", "name": "lan01"])
        let missing = clientError { _ = try client.call(["echo"], as: [String: String].self) }
        XCTAssertEqual(missing?.code, .daemonError)
        XCTAssertEqual(missing?.daemonError?.code, .badRequest)
        XCTAssertEqual(missing?.daemonError?.message, "'echo' needs the argument 'name'")
        let failed = clientError { _ = try client.call(["fail", "internal"], as: EmptyResult.self) }
        XCTAssertEqual(failed?.daemonError?.code, .internal)
    }

    func testUnknownCommandIsAnErrorResponseAndTheConnectionStaysUsable() throws {
        let s = try startServer()
        let client = ControlClient(socketPath: path)
        let e = clientError { _ = try client.call(["show", "bogus"], as: EmptyResult.self) }
        XCTAssertEqual(e?.code, .daemonError)
        XCTAssertEqual(e?.daemonError, ControlError(.unknownCommand, "unknown command 'show bogus'"))
        XCTAssertEqual(e?.message, "straitd: unknown-command: unknown command 'show bogus'")
        XCTAssertEqual(try client.call(ControlCommands.showVersion), Fixtures.version)
        XCTAssertEqual(s.connectionCount, 1)
    }

    func testWrongResultTypeIsABadResponse() throws {
        try startServer()
        let e = clientError { _ = try ControlClient(socketPath: path).call(["show", "version"], as: [PortReport].self) }
        XCTAssertEqual(e?.code, .badResponse)
    }

    // MARK: - Raw protocol

    func testMalformedJSONGetsAnErrorResponseAndTheConnectionSurvives() throws {
        try startServer()
        let c = try RawConnection(path)
        c.send("{this is not json\n")
        let r1 = try parseResponse(c.readLine())
        XCTAssertEqual(r1["ok"] as? Bool, false)
        XCTAssertEqual(errorCode(r1), "bad-request")
        XCTAssertTrue(r1["id"] is NSNull)

        c.send(#"{"id": 7, "arguments": {}}"# + "\n")          // no command
        let r2 = try parseResponse(c.readLine())
        XCTAssertEqual(errorCode(r2), "bad-request")
        XCTAssertEqual(r2["id"] as? Int, 7)

        c.send(#"{"id": 8, "command": "show version"}"# + "\n")   // command is not a list
        XCTAssertEqual(errorCode(try parseResponse(c.readLine())), "bad-request")

        c.send("[1,2,3]\n\n")                                    // not an object; an empty line is ignored
        XCTAssertEqual(errorCode(try parseResponse(c.readLine())), "bad-request")

        c.send(#"{"id": 9, "command": ["show", "version"]}"# + "\r\n")   // still alive; CRLF accepted
        let r3 = try parseResponse(c.readLine())
        XCTAssertEqual(r3["ok"] as? Bool, true)
        XCTAssertEqual(r3["id"] as? Int, 9)
        XCTAssertEqual((r3["result"] as? [String: Any])?["instance"] as? String, "strait")
    }

    func testOversizedRequestIsRejectedAndTheConnectionClosed() throws {
        try startServer()
        // Exactly the limit is fine.
        let head = #"{"id":1,"command":["show","version"],"arguments":{"pad":""#
        let tail = #""}}"#
        let pad = String(repeating: "x", count: ControlProtocol.maxRequestBytes - head.utf8.count - tail.utf8.count)
        let atLimit = try RawConnection(path)
        atLimit.send(head + pad + tail + "\n")
        XCTAssertEqual(try parseResponse(atLimit.readLine())["ok"] as? Bool, true)

        // One byte more is not.
        let over = try RawConnection(path)
        over.send(head + pad + "x" + tail + "\n")
        let r = try parseResponse(over.readLine())
        XCTAssertEqual(errorCode(r), "too-large")
        XCTAssertTrue(over.readsEOF(), "the connection must be closed")

        // Without any newline at all.
        let endless = try RawConnection(path)
        endless.send([UInt8](repeating: UInt8(ascii: "a"), count: 200_000))
        XCTAssertEqual(errorCode(try parseResponse(endless.readLine())), "too-large")
        XCTAssertTrue(endless.readsEOF())

        // The client does not even send one.
        let e = clientError {
            _ = try ControlClient(socketPath: path).callRaw(["show", "version"], arguments: ["pad": pad + pad])
        }
        XCTAssertEqual(e?.code, .requestTooLarge)
    }

    func testSeveralRequestsOnOneConnectionAreAnsweredInOrder() throws {
        let s = try startServer { s in
            // The first is slow: later ones must still come back after it.
            s.register(["slow"]) { _ in usleep(200_000); return EmptyResult() }
        }
        let c = try RawConnection(path)
        c.send(#"{"id":1,"command":["slow"]}"# + "\n" + #"{"id":2,"command":["show","routes"]}"# + "\n"
               + #"{"id":3,"command":["nope"]}"# + "\n" + #"{"id":4,"command":["show","config"]}"# + "\n")
        let responses = try (1...4).map { _ in try parseResponse(c.readLine()) }
        XCTAssertEqual(responses.map { $0["id"] as? Int }, [1, 2, 3, 4])
        XCTAssertEqual(responses.map { $0["ok"] as? Bool }, [true, true, false, true])
        XCTAssertEqual((responses[1]["result"] as? [Any])?.count, Fixtures.routes.count)

        // And the client reuses its one connection.
        let client = ControlClient(socketPath: path)
        for _ in 0..<5 { _ = try client.call(ControlCommands.showPorts) }
        XCTAssertEqual(s.connectionCount, 2)
    }

    func testResponseLineFormat() throws {
        try startServer { s in s.register(["empty"]) { _ in EmptyResult() } }
        let c = try RawConnection(path)
        c.send(#"{"id": 5, "command": ["empty"]}"# + "\n" + #"{"id": 6, "command": ["x"]}"# + "\n")
        XCTAssertEqual(c.readLine(), #"{"id":5,"ok":true,"result":{}}"#)
        XCTAssertEqual(c.readLine(), #"{"error":{"code":"unknown-command","message":"unknown command 'x'"},"id":6,"ok":false}"#)
    }

    // MARK: - Socket file

    func testSocketFileIsRootOnly0600AndRemovedAtStop() throws {
        let s = try startServer()
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFSOCK)
        XCTAssertEqual(st.st_mode & 0o7777, 0o600)
        XCTAssertEqual(st.st_uid, 0)
        s.stop()
        XCTAssertNotEqual(lstat(path, &st), 0, "the socket file must be gone after stop")
        XCTAssertEqual(errno, ENOENT)
        s.stop()   // idempotent
    }

    func testMissingDirectoryIsCreatedWith0755() throws {
        path = dir.file("run/strait/strait.sock")
        try startServer()
        var st = stat()
        XCTAssertEqual(stat(dir.file("run/strait"), &st), 0)
        XCTAssertEqual(st.st_mode & 0o7777, 0o755)
        XCTAssertEqual(try ControlClient(socketPath: path).call(ControlCommands.showVersion), Fixtures.version)
    }

    func testSecondServerOnALivePathRefusesToStart() throws {
        try startServer()
        let second = ControlServer.withFixtures(path)
        XCTAssertThrowsError(try second.start()) { error in
            XCTAssertEqual((error as? ControlServerError)?.code, .alreadyRunning)
            XCTAssertTrue("\(error)".contains("already listening on \(path!)"), "\(error)")
        }
        second.stop()
        // The first one still answers, on its file.
        XCTAssertEqual(try ControlClient(socketPath: path).call(ControlCommands.showVersion), Fixtures.version)
        XCTAssertEqual(SocketProbe.probe(path), .live)
    }

    func testStaleSocketFileIsReplaced() throws {
        // A socket file that nothing listens on, as a killed daemon leaves it.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(rc, 0)
        close(fd)
        XCTAssertEqual(SocketProbe.probe(path), .stale)
        let e = clientError { _ = try ControlClient(socketPath: path).call(ControlCommands.showVersion) }
        XCTAssertEqual(e?.code, .cannotConnect)
        XCTAssertEqual(e?.message, "cannot connect to \(path!): Connection refused — is straitd running?")

        try startServer()
        XCTAssertEqual(try ControlClient(socketPath: path).call(ControlCommands.showVersion), Fixtures.version)
    }

    func testAFileThatIsNotASocketIsLeftAlone() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("keep".utf8)))
        XCTAssertThrowsError(try startServer()) { error in
            XCTAssertEqual((error as? ControlServerError)?.code, .badPath)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("keep".utf8))
    }

    func testStopLeavesASuccessorsSocketAlone() throws {
        let s = try startServer()
        // Someone replaced the file (a new daemon after ours was declared dead).
        XCTAssertEqual(unlink(path), 0)
        let successor = ControlServer.withFixtures(path)
        try successor.start()
        defer { successor.stop() }
        s.stop()
        XCTAssertEqual(SocketProbe.probe(path), .live)
    }

    // MARK: - Peers and limits

    func testPeerNotInTheAllowedUIDsIsRejected() throws {
        try startServer { s in s.allowedUIDs = [4242] }   // we are root (uid 0): not allowed now
        let e = clientError { _ = try ControlClient(socketPath: path).call(ControlCommands.showVersion) }
        XCTAssertEqual(e?.code, .daemonError)
        XCTAssertEqual(e?.daemonError?.code, .notPermitted)
        XCTAssertEqual(e?.daemonError?.message, "uid 0 may not use the control socket (root only)")
    }

    func testConnectionsBeyondTheLimitAreRefused() throws {
        var limits = ControlServer.Limits()
        limits.maxConnections = 2
        let s = try startServer(limits: limits)
        var a: RawConnection? = try RawConnection(path)
        let b = try RawConnection(path)
        a?.send(#"{"id":1,"command":["show","version"]}"# + "\n")
        b.send(#"{"id":1,"command":["show","version"]}"# + "\n")
        XCTAssertNotNil(a?.readLine())
        XCTAssertNotNil(b.readLine())
        let c = try RawConnection(path)
        let r = try parseResponse(c.readLine())
        XCTAssertEqual(errorCode(r), "unavailable")
        XCTAssertTrue(c.readsEOF())
        XCTAssertEqual(s.connectionCount, 2)
        // A slot frees up when a connection closes.
        a = nil
        for _ in 0..<50 where s.connectionCount != 1 { usleep(20_000) }
        XCTAssertEqual(try ControlClient(socketPath: path).call(ControlCommands.showVersion), Fixtures.version)
    }

    func testIdleConnectionsAreClosed() throws {
        var limits = ControlServer.Limits()
        limits.idleTimeout = .milliseconds(300)
        let s = try startServer(limits: limits)
        let c = try RawConnection(path)
        c.send(#"{"id":1,"command":["show","version"]}"# + "\n")
        XCTAssertNotNil(c.readLine())
        let t0 = Date()
        XCTAssertTrue(c.readsEOF())
        XCTAssertLessThan(Date().timeIntervalSince(t0), 3)
        // The server forgot it.
        for _ in 0..<50 where s.connectionCount != 0 { usleep(20_000) }
        XCTAssertEqual(s.connectionCount, 0)
    }

    func testASlowHandlerDoesNotStallOtherConnections() throws {
        let release = DispatchSemaphore(value: 0)
        try startServer { s in
            s.register(["block"]) { _ in release.wait(); return EmptyResult() }
        }
        let blocked = try RawConnection(path)
        blocked.send(#"{"id":1,"command":["block"]}"# + "\n")
        usleep(100_000)
        let t0 = Date()
        XCTAssertEqual(try ControlClient(socketPath: path).call(ControlCommands.showVersion), Fixtures.version)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 1)
        release.signal()
        XCTAssertEqual(try parseResponse(blocked.readLine())["ok"] as? Bool, true)
    }

    func testManyClientsAtOnce() throws {
        let s = try startServer()
        // 16 connections open together (within the limit of 32), then used from 16 threads at once.
        let clients = (0..<16).map { _ in ControlClient(socketPath: path) }
        for c in clients { XCTAssertEqual(try c.call(ControlCommands.showVersion), Fixtures.version) }
        XCTAssertEqual(s.connectionCount, 16)
        let errors = ErrorLog()
        let group = DispatchGroup()
        for (i, client) in clients.enumerated() {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                for _ in 0..<25 {
                    do {
                        let ok = i % 2 == 0 ? try client.call(ControlCommands.showStats) == Fixtures.stats
                                            : try client.call(ControlCommands.showPorts) == Fixtures.ports
                        if !ok { throw ControlError(.internal, "wrong result") }
                    } catch {
                        errors.append("\(error)")
                    }
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(errors.all, [])
    }

    // MARK: - Client errors

    func testClientCannotConnectToAMissingSocket() {
        let e = clientError { _ = try ControlClient(socketPath: path).call(ControlCommands.showVersion) }
        XCTAssertEqual(e?.code, .cannotConnect)
        XCTAssertEqual(e?.message, "cannot connect to \(path!): No such file or directory — is straitd running?")
    }

    func testClientTimesOutWhenTheDaemonDoesNotAnswer() throws {
        let release = DispatchSemaphore(value: 0)
        try startServer { s in s.register(["block"]) { _ in release.wait(); return EmptyResult() } }
        let client = ControlClient(socketPath: path, readTimeout: 0.3)
        let t0 = Date()
        let e = clientError { _ = try client.call(["block"], as: EmptyResult.self) }
        XCTAssertEqual(e?.code, .timeout)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 2)
        release.signal()
        // The next call opens a new connection and does not read the late answer.
        XCTAssertEqual(try client.call(ControlCommands.showVersion), Fixtures.version)
    }
}

import Foundation
import Logging
import StraitAPI
import StraitControl
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory for sockets (short path: sun_path holds 107 bytes).
final class TempDir {
    let path: String

    init() {
        var template = Array("/tmp/strait-api-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        path = String(cString: p!)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

let quietLogger = Logger(label: "strait.test") { _ in SwiftLogNoOpLogHandler() }

/// A control server answering with the fixtures on a socket in a temporary directory, for
/// each test of a subclass.
class FixtureServerTestCase: XCTestCase {
    var dir: TempDir!
    var path: String!
    var server: ControlServer!

    override func setUpWithError() throws {
        dir = TempDir()
        path = dir.file("ctl.sock")
        server = ControlServer.withFixtures(path)
        try server.start()
    }

    override func tearDown() {
        server.stop()
        dir = nil
    }
}

/// The straitctl built next to the test bundle, run as a process. `swift test` builds every
/// product, so a missing straitctl is a broken build: an error, never a skip.
enum Straitctl {
    struct Run { var status: Int32; var stdout: String; var stderr: String }
    struct Missing: Error, CustomStringConvertible { var description: String }

    static var path: String {
        get throws {
            var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("straitctl").path]
            // xctest may be run as `xctest <bundle>`.
            if CommandLine.arguments.count > 1 {
                candidates.append(URL(fileURLWithPath: CommandLine.arguments[1]).deletingLastPathComponent()
                    .appendingPathComponent("straitctl").path)
            }
            for c in candidates where FileManager.default.isExecutableFile(atPath: c) { return c }
            throw Missing(description: "straitctl is not built next to the tests (\(candidates))")
        }
    }

    /// `prefix`: a command to run straitctl under (e.g. setpriv to drop privileges).
    static func run(_ arguments: [String], environment: [String: String] = [:], prefix: [String] = []) throws -> Run {
        let p = Process()
        let exe = try path
        if prefix.isEmpty {
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = arguments
        } else {
            p.executableURL = URL(fileURLWithPath: prefix[0])
            p.arguments = Array(prefix.dropFirst()) + [exe] + arguments
        }
        var env = ProcessInfo.processInfo.environment
        env["STRAITCTL_SOCKET"] = nil
        env.merge(environment) { $1 }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                   stderr: String(decoding: e, as: UTF8.self))
    }
}

/// Sample reports, one of each type.
enum Fixtures {
    static let ports = [
        PortReport(name: "lan01", device: "0000:3b:00.0", mirror: "lan01", mac: "02:00:00:00:00:01", linkUp: true,
                   speedMbps: 25000, mtu: 1500, rxQueues: 2, txQueues: 3, rxPackets: 10, rxBytes: 1500,
                   txPackets: 20, txBytes: 3000, rxErrors: 1, txErrors: 2, rxMissed: UInt64.max,
                   addresses: ["192.0.2.1/24", "2001:db8::1/64"]),
        PortReport(name: "wan01", device: "net_ring0", mirror: "", mac: "02:00:00:00:00:02", linkUp: false,
                   speedMbps: 0, mtu: 9000, rxQueues: 1, txQueues: 1),
    ]
    static let lcores = [
        LcoreReport(lcore: 0, cpu: 1, role: "control", queues: [], busyPercent: 0),
        LcoreReport(lcore: 2, cpu: 3, role: "worker", queues: ["lan01:rx0", "wan01:tx0"], busyPercent: 12.5,
                    rxPackets: 100, txPackets: 99, loops: 1_000_000),
    ]
    static let stats = StatsReport(counters: [
        CounterReport(name: "fwd-ipv4", kind: "forward", reason: "IPv4 forwarded", total: 42, perLcore: [40, 2]),
        CounterReport(name: "drop-ttl", kind: "drop", reason: "TTL exceeded", total: 0, perLcore: [0, 0]),
        CounterReport(name: "exc-arp", kind: "exception", reason: "ARP to the kernel", total: 7, perLcore: [7, 0]),
        CounterReport(name: "drop-no-route", kind: "drop", reason: "no route", total: UInt64.max, perLcore: [UInt64.max, 0]),
    ])
    static let routes = [
        RouteReport(prefix: "0.0.0.0/0", type: "gateway", via: "198.51.100.1", port: "wan01"),
        RouteReport(prefix: "192.0.2.0/24", type: "connected", port: "lan01"),
        RouteReport(prefix: "203.0.113.0/24", type: "blackhole"),
    ]
    static let neighbors = [
        NeighborReport(address: "192.0.2.10", mac: "02:00:00:00:00:0a", port: "lan01"),
        NeighborReport(address: "fe80::1", mac: "02:00:00:00:00:0b", port: "wan01"),
    ]
    static let config = ConfigReport(source: "/etc/strait/strait.yaml",
                                     text: "ports:\n  lan01:\n    device: \"0000:3b:00.0\" # \\ \u{e9}\n")
    static let version = VersionReport(version: "0.1.0", instance: "strait", uptimeSeconds: 93784.25, dpdk: "DPDK 22.11.4")
    static let ipsecSAs = [
        SAReport(name: "site1-out", direction: "out", spi: "0x00001001", local: "192.0.2.1", remote: "192.0.2.2",
                 encap: "udp", udpPorts: [4500, 4500], algorithm: "aes128-gcm16", esn: true, replayWindow: 0,
                 localTS: "10.1.0.0/24", remoteTS: "10.2.0.0/24", active: true, expired: false,
                 packets: 1200, bytes: 1_500_000, seq: UInt64(UInt32.max) + 5),
        SAReport(name: "site1-in", direction: "in", spi: "0x00002001", local: "192.0.2.1", remote: "192.0.2.2",
                 encap: "none", algorithm: "aes256-gcm8", esn: false, replayWindow: 4096,
                 localTS: "fd00:1::/64", remoteTS: "fd00:2::/64", active: false, expired: true,
                 packets: 7, bytes: 700, replayDrops: 3, authFailures: UInt64.max, policyMismatches: 1, replayTop: 42),
    ]
    static let ipsecPolicies = [
        PolicyReport(index: 0, localTS: "10.1.0.0/24", remoteTS: "10.2.0.0/24", protocol: "tcp", ports: "*:443",
                     priority: 10, action: "protect", sa: "site1-out", matches: 99),
        PolicyReport(index: 1, localTS: "0.0.0.0/0", remoteTS: "10.9.0.0/16", protocol: "any", ports: "*:*",
                     priority: 100, action: "discard"),
    ]
    static let ikeSAs = [
        IKESAStatus(id: 7, vpn: "sites", state: "established", role: "responder", local: "192.0.2.1:4500",
                    remote: "198.51.100.7:4500", localID: "gw.example.net", remoteID: "s1.sites.example.net",
                    initiatorSPI: "0x0123456789abcdef", responderSPI: "0xfedcba9876543210",
                    proposal: "aes128gcm16-prfsha256-x25519", natLocal: false, natRemote: true, ageSeconds: 3725,
                    nextMessageID: 4, children: [
                        ChildSAStatus(name: "sites/lan#7", inboundSPI: "0xc0012345", outboundSPI: "0x0a0b0c0d",
                                      proposal: "aes128gcm16-esn", localTS: ["10.1.0.0/16", "fd00:1::/48"],
                                      remoteTS: ["10.128.1.0/24", "fd00:8001::/64"], encapsulated: true, ageSeconds: 3600,
                                      usage: ChildSAUsageStatus(inboundPackets: 1200, inboundBytes: 1_500_000,
                                                                outboundPackets: 900, outboundBytes: 800_000,
                                                                replayDrops: 2, authFailures: UInt64.max,
                                                                outboundSeq: 900)),
                        ChildSAStatus(name: "sites/servers#7", inboundSPI: "0xc0054321", outboundSPI: "0x0a0b0c0e",
                                      proposal: "aes256gcm16-x25519-esn", localTS: ["172.16.10.0/24"],
                                      remoteTS: ["10.128.1.0/24"], encapsulated: true, ageSeconds: 59),
                    ]),
        IKESAStatus(id: 8, vpn: "hq", state: "connecting", role: "initiator", local: "192.0.2.1:500",
                    remote: "203.0.113.9:500", localID: "192.0.2.1", remoteID: "hq.example.net",
                    initiatorSPI: "0x1111111111111111", responderSPI: "0x0000000000000000", proposal: "-",
                    natLocal: false, natRemote: false, ageSeconds: 0, nextMessageID: 1, children: []),
    ]
    static let ikeStats = IKEStatsReport(
        ports: [500, 4500], received: 120, sent: 118, malformed: 1, unknownSPI: 2, retransmitsAnswered: 3,
        retransmitsSent: 4, cookiesSent: 5, halfOpenRefused: 6, authFailures: 7, noProposal: 8, tsUnacceptable: 9,
        ikeSAsEstablished: 10, childSAsInstalled: 11, queueDrops: 12, datagrams: 140, delivered: 120, natKeepalives: 15,
        nonIKE: 1, short: 2, unsupportedAddress: 0, sendErrors: UInt64.max, queueDepth: 3, queueHighWater: 64,
        queueLimit: 4096)
}

extension ControlServer {
    /// A server with a handler for every `show` command, returning the fixtures.
    static func withFixtures(_ path: String, limits: Limits = Limits()) -> ControlServer {
        let server = ControlServer(socketPath: path, logger: quietLogger, limits: limits)
        server.register(ControlCommands.showPorts) { _ in Fixtures.ports }
        server.register(ControlCommands.showLcores) { _ in Fixtures.lcores }
        server.register(ControlCommands.showStats) { _ in Fixtures.stats }
        server.register(ControlCommands.showRoutes) { _ in Fixtures.routes }
        server.register(ControlCommands.showNeighbors) { _ in Fixtures.neighbors }
        server.register(ControlCommands.showConfig) { _ in Fixtures.config }
        server.register(ControlCommands.showVersion) { _ in Fixtures.version }
        server.register(ControlCommands.showIPsecSAs) { _ in Fixtures.ipsecSAs }
        server.register(ControlCommands.showIPsecSPD) { _ in Fixtures.ipsecPolicies }
        server.register(ControlCommands.showIKESAs) { request in
            guard let id = request.arguments[IKEArguments.id] else { return Fixtures.ikeSAs }
            guard let sa = Fixtures.ikeSAs.first(where: { String($0.id) == id }) else {
                throw ControlError(.notFound, "no IKE SA \(id)")
            }
            return [sa]
        }
        server.register(ControlCommands.showIKEStats) { _ in Fixtures.ikeStats }
        server.register(ControlCommands.ikeInitiate) { request in
            let vpn = try request.requiredArgument(IKEArguments.vpn)
            guard vpn == "sites" || vpn == "hq" else { throw ControlError(.notFound, "no VPN named '\(vpn)'") }
            return IKEActionResult(message: "initiating VPN '\(vpn)' to \(request.arguments[IKEArguments.remote] ?? "203.0.113.9")")
        }
        server.register(ControlCommands.ikeTerminate) { request in
            let id = try request.requiredArgument(IKEArguments.id)
            guard Fixtures.ikeSAs.contains(where: { String($0.id) == id }) else { throw ControlError(.notFound, "no IKE SA \(id)") }
            return IKEActionResult(message: "deleting IKE SA \(id)")
        }
        return server
    }
}

/// A plain blocking Unix-socket connection, for sending what ControlClient never would.
final class RawConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(_ path: String, timeout: Int = 5) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes + [0]) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let e = errno
            close(fd)
            throw NSError(domain: NSPOSIXErrorDomain, code: Int(e))
        }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// The next line, or nil at EOF / timeout / error.
    func readLine() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            buffer += chunk[..<n]
        }
    }

    /// Reads until EOF; true if EOF came (false on timeout).
    func readsEOF() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }
}

/// A response line as a dictionary.
func parseResponse(_ line: String?, file: StaticString = #filePath, line l: UInt = #line) throws -> [String: Any] {
    let text = try XCTUnwrap(line, "no response line", file: file, line: l)
    let obj = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try XCTUnwrap(obj as? [String: Any], "response is not an object: \(text)", file: file, line: l)
}

func errorCode(_ response: [String: Any]) -> String? {
    (response["error"] as? [String: Any])?["code"] as? String
}

/// Runs `body`, expecting a ControlClientError, and returns it.
func clientError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> ControlClientError? {
    do {
        try body()
        XCTFail("expected a ControlClientError", file: file, line: line)
        return nil
    } catch let e as ControlClientError {
        return e
    } catch {
        XCTFail("expected a ControlClientError, got \(error)", file: file, line: line)
        return nil
    }
}

/// Error texts collected from several threads.
final class ErrorLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

import Foundation
import Logging
import StraitCore
@testable import StraitIKE
import StraitIKEService
import XCTest
#if canImport(Glibc)
import Glibc
#endif

let quietLogger = Logger(label: "strait.ike.test") { _ in SwiftLogNoOpLogHandler() }

/// A stand-in for the protocol engine: records what it is given, answers each message with
/// its bytes reversed (from the local endpoint it arrived on), and can be held (`gate`).
final class FakeEngine: IKEProtocolEngine, @unchecked Sendable {
    let bus = IKEEventBus()
    private let lock = NSLock()
    private var _counters = IKECounters()
    private var _received: [IKEDatagram] = []
    private var _ticks = 0
    private var _expired: [(UInt64, Bool)] = []
    private var _terminated: [UInt64] = []
    private var _shutdown = false
    private var _threads = Set<String>()
    private var _initiated: [(String, IPAddress?)] = []
    private var _entered = 0
    /// When set, `receive` waits on it (the engine loop is busy).
    var gate: DispatchSemaphore?
    var reportsToGive: [IKESAReport] = []
    /// What `shutdown` sends.
    var farewell: IKEDatagram?

    var counters: IKECounters { lock.withLock { _counters } }
    var received: [IKEDatagram] { lock.withLock { _received } }
    /// Calls of `receive` begun (they may wait at the gate).
    var entered: Int { lock.withLock { _entered } }
    var ticks: Int { lock.withLock { _ticks } }
    var expired: [(UInt64, Bool)] { lock.withLock { _expired } }
    var terminated: [UInt64] { lock.withLock { _terminated } }
    var didShutdown: Bool { lock.withLock { _shutdown } }
    var initiated: [(String, IPAddress?)] { lock.withLock { _initiated } }
    /// The threads the engine was called on (must be one).
    var threads: Set<String> { lock.withLock { _threads } }

    private func note() {
        let name = "\(pthread_self())"
        lock.withLock { _ = _threads.insert(name) }
    }

    func receive(_ datagram: IKEDatagram, now: IKETime) -> [IKEDatagram] {
        note()
        lock.withLock { _entered += 1 }
        gate?.wait()
        lock.withLock {
            _received.append(datagram)
            _counters.received += 1
            if datagram.bytes.first == 0xEE { _counters.malformed += 1 }
        }
        return [IKEDatagram(local: datagram.local, remote: datagram.remote, bytes: datagram.bytes.reversed())]
    }

    func tick(now: IKETime) -> [IKEDatagram] {
        note()
        lock.withLock { _ticks += 1 }
        return []
    }

    struct NoSuchVPN: Error {}

    func initiate(vpn: String, remote: IPAddress?, now: IKETime) throws -> [IKEDatagram] {
        note()
        guard vpn == "sites" else { throw NoSuchVPN() }
        lock.withLock { _initiated.append((vpn, remote)) }
        return []
    }

    func terminate(ikeSA id: UInt64, now: IKETime) -> [IKEDatagram] {
        note()
        lock.withLock { _terminated.append(id) }
        return []
    }

    func childSAExpired(cookie: UInt64, hard: Bool, now: IKETime) -> [IKEDatagram] {
        note()
        lock.withLock { _expired.append((cookie, hard)) }
        return []
    }

    func reports(now: IKETime) -> [IKESAReport] {
        note()
        return reportsToGive
    }

    func shutdown(now: IKETime) -> [IKEDatagram] {
        note()
        lock.withLock { _shutdown = true }
        return farewell.map { [$0] } ?? []
    }
}

/// A plain blocking UDP socket on 127.0.0.1 for the tests' peer side.
final class Peer {
    let fd: Int32
    let port: UInt16

    init(address: String = "127.0.0.1") throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, address, &sin.sin_addr)
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.port = UInt16(bigEndian: sin.sin_port)
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8], to address: String = "127.0.0.1", port: Int) {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, address, &sin.sin_addr)
        _ = bytes.withUnsafeBytes { b in
            withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// The next datagram and where it came from, or nil after the timeout.
    func receive() -> (bytes: [UInt8], from: String, port: Int)? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var sin = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = buffer.withUnsafeMutableBytes { b in
            withUnsafeMutablePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &len) }
            }
        }
        guard n >= 0 else { return nil }
        let address = IPv4Address(UInt32(bigEndian: sin.sin_addr.s_addr)).description
        return (Array(buffer[0..<n]), address, Int(UInt16(bigEndian: sin.sin_port)))
    }
}

/// A UDP port nobody uses now (bound on the wildcard, then released).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    _ = withUnsafePointer(to: &sin) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &sin) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: sin.sin_port))
}

/// Polls `condition` every 10 ms for up to `seconds`.
func eventually(_ seconds: Double = 3, _ condition: () -> Bool) -> Bool {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

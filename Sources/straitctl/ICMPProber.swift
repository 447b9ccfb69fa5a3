import Foundation
import StraitAPI

/// ICMP echo probes to a few IPv4 targets at a fixed interval, from a raw socket (root), with
/// the send and reply time of each: what `ha failover-test` measures the traffic gap from.
/// One thread sends, one receives; the arrays are shared under `lock`.
final class ICMPProber: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let targets: [String]
    let interval: Double
    private let addresses: [in_addr_t]
    private let fd: Int32
    /// Echo identifier: replies to other pings in the namespace carry another.
    private let ident = UInt16(truncatingIfNeeded: getpid())
    private let t0 = DispatchTime.now().uptimeNanoseconds
    private let lock = NSLock()
    private var sentAt: [[Double]]
    private var repliedAt: [[Double?]]
    private var sending = true
    private var receiving = true
    private let done = DispatchGroup()

    init(targets: [String], interval: Double) throws {
        self.targets = targets
        self.interval = interval
        addresses = try targets.map { t in
            var a = in_addr()
            guard inet_pton(AF_INET, t, &a) == 1 else { throw Failure(description: "--target \(t): not an IPv4 address") }
            return a.s_addr
        }
        fd = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_ICMP))
        guard fd >= 0 else {
            throw Failure(description: "cannot open a raw ICMP socket (\(String(cString: strerror(errno)))): run as root")
        }
        // Replies are read with a short timeout, so the receiver notices the end.
        var tv = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        sentAt = targets.map { _ in [] }
        repliedAt = targets.map { _ in [] }
    }

    deinit { close(fd) }

    /// Seconds since the prober was made (a monotonic clock).
    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }

    func start() {
        done.enter()
        Thread.detachNewThread { self.receiveLoop(); self.done.leave() }
        done.enter()
        Thread.detachNewThread { self.sendLoop(); self.done.leave() }
    }

    /// Stops sending, waits `replyWait` seconds for the last replies, and returns per target the
    /// send times and reply times (seconds since the first probe).
    func finish(replyWait: Double) -> [(sent: [Double], replied: [Double?])] {
        lock.withLock { sending = false }
        Thread.sleep(forTimeInterval: replyWait)
        lock.withLock { receiving = false }
        done.wait()
        return lock.withLock {
            let first = sentAt.compactMap(\.first).min() ?? 0
            return zip(sentAt, repliedAt).map { s, r in (s.map { $0 - first }, r.map { $0.map { $0 - first } }) }
        }
    }

    private func sendLoop() {
        var k = 0
        var due = now()
        while lock.withLock({ sending }) {
            let wait = due - now()
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            for (i, address) in addresses.enumerated() {
                // Recorded before the send, so a fast reply finds its probe.
                lock.withLock { sentAt[i].append(now()); repliedAt[i].append(nil) }
                send(to: address, seq: UInt16(truncatingIfNeeded: k))
            }
            k += 1
            // A late wake-up (a busy host) does not turn into a burst of probes.
            due = max(due + interval, now())
        }
    }

    private func send(to address: in_addr_t, seq: UInt16) {
        var packet = [UInt8](repeating: 0, count: 8 + 48)
        packet[0] = 8   // echo request
        packet[4] = UInt8(ident >> 8); packet[5] = UInt8(ident & 0xff)
        packet[6] = UInt8(seq >> 8); packet[7] = UInt8(seq & 0xff)
        for (i, b) in "strait failover-test".utf8.enumerated() { packet[8 + i] = b }
        let sum = Self.checksum(packet)
        packet[2] = UInt8(sum >> 8); packet[3] = UInt8(sum & 0xff)
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_addr.s_addr = address
        // A failed send (no route while the addresses move) is a lost probe, like any other.
        _ = withUnsafePointer(to: &to) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, packet, packet.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while lock.withLock({ receiving }) {
            var from = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
            }
            guard n > 20 else { continue }
            let at = now()
            let ihl = Int(buffer[0] & 0x0f) * 4
            guard n >= ihl + 8, buffer[ihl] == 0, buffer[ihl + 1] == 0,
                  UInt16(buffer[ihl + 4]) << 8 | UInt16(buffer[ihl + 5]) == ident,
                  let target = addresses.firstIndex(of: from.sin_addr.s_addr) else { continue }
            let seq = Int(UInt16(buffer[ihl + 6]) << 8 | UInt16(buffer[ihl + 7]))
            lock.withLock {
                // The newest probe with this 16-bit sequence number.
                let count = repliedAt[target].count
                guard count > 0 else { return }
                var index = ((count - 1) & ~0xffff) | seq
                if index > count - 1 { index -= 0x10000 }
                if index >= 0, repliedAt[target][index] == nil { repliedAt[target][index] = at }
            }
        }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

import Foundation
import NIOCore
import StraitIKE

/// What the I/O shell counted (the engine counts the rest, `IKECounters`).
public struct IKEServiceCounters: Sendable, Equatable {
    /// Datagrams read from the sockets, whatever they were.
    public var datagrams: UInt64 = 0
    /// IKE messages handed to the engine's queue.
    public var queued: UInt64 = 0
    /// IKE messages dropped because the queue held `limits.queue` already.
    public var queueDrops: UInt64 = 0
    /// IKE messages the engine took from the queue.
    public var delivered: UInt64 = 0
    /// NAT keepalives (one 0xFF byte on a NAT-T port): dropped, as they should be.
    public var natKeepalives: UInt64 = 0
    /// Datagrams on a NAT-T port without the non-ESP marker (ESP in UDP that reached the kernel).
    public var nonIKE: UInt64 = 0
    /// Datagrams too short to be anything (empty, or under the marker's four bytes).
    public var short: UInt64 = 0
    /// Datagrams from or to an address family IKE does not listen on (IPv6), or without a source.
    public var unsupportedAddress: UInt64 = 0
    /// Datagrams the engine asked to send, and those sent.
    public var sendRequests: UInt64 = 0
    public var sent: UInt64 = 0
    /// Sends that failed: no socket on the datagram's local port, or the kernel refused.
    public var sendNoSocket: UInt64 = 0
    public var sendErrors: UInt64 = 0
    /// Messages waiting now, and the most that ever waited.
    public var queueDepth: Int = 0
    public var queueHighWater: Int = 0

    public init() {}
}

/// The bounded queue between the socket reader (the I/O loop) and the engine (its own loop).
/// A full queue drops and counts, so a flood costs a bounded amount of memory; the engine
/// takes a batch at a time and yields, so timers and control requests keep their turn.
final class InboundQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var items: CircularBuffer<IKEDatagram>
    private var counters = IKEServiceCounters()
    private var drainScheduled = false
    let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
        items = CircularBuffer(initialCapacity: min(self.limit, 1024))
    }

    /// Counts a datagram that was read, whatever becomes of it.
    func count(_ update: (inout IKEServiceCounters) -> Void) {
        lock.lock()
        update(&counters)
        lock.unlock()
    }

    /// Queues an IKE message. Returns true when the caller must schedule a drain (none was).
    func push(_ datagram: IKEDatagram) -> (accepted: Bool, scheduleDrain: Bool) {
        lock.lock()
        defer { lock.unlock() }
        guard items.count < limit else {
            counters.queueDrops += 1
            return (false, false)
        }
        items.append(datagram)
        counters.queued += 1
        counters.queueHighWater = max(counters.queueHighWater, items.count)
        if drainScheduled { return (true, false) }
        drainScheduled = true
        return (true, true)
    }

    /// Takes up to `max` messages.
    func pop(max: Int) -> [IKEDatagram] {
        lock.lock()
        defer { lock.unlock() }
        var out: [IKEDatagram] = []
        out.reserveCapacity(Swift.min(max, items.count))
        while out.count < max, let d = items.popFirst() { out.append(d) }
        counters.delivered += UInt64(out.count)
        return out
    }

    /// After a batch: true when more wait (the drain stays scheduled); false clears the flag.
    func finishBatch() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if items.isEmpty {
            drainScheduled = false
            return false
        }
        return true
    }

    /// Drops what waits (at stop).
    func clear() {
        lock.lock()
        items.removeAll()
        drainScheduled = false
        lock.unlock()
    }

    var snapshot: IKEServiceCounters {
        lock.lock()
        defer { lock.unlock() }
        var c = counters
        c.queueDepth = items.count
        return c
    }
}

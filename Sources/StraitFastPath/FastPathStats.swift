import CFastPath
import StraitCore

/// Read-only views of the data plane's counters, for `show` commands and metrics.
extension FastPath {
    public struct PortStats: Sendable {
        public var handle: Int
        public var name, device, mirror: String
        public var mac: MACAddress
        public var linkUp: Bool
        public var speedMbps: UInt32
        public var mtu: Int
        public var rxQueues, txQueues: Int
        public var rxPackets, rxBytes, txPackets, txBytes, rxErrors, txErrors, rxMissed: UInt64
    }

    public struct WorkerStats: Sendable {
        public var index: Int
        public var lcore: Int
        public var cpu: Int
        public var rxQueues: [(port: Int, queue: Int)]
        public var txQueue: Int
        public var loops, busyLoops, cyclesTotal, cyclesBusy, rxPackets, txPackets: UInt64
    }

    public enum CounterKind: String, Sendable { case forward, exception, drop }

    public struct Counter: Sendable {
        public var name: String
        public var reason: String
        public var kind: CounterKind
        /// One value per worker, then the exception thread's.
        public var perLcore: [UInt64]
        public var total: UInt64 { perLcore.reduce(0, &+) }
    }

    public func portStats() -> [PortStats] {
        lock.withLock {
            (0..<Int(fp_port_count())).compactMap { h -> PortStats? in
                var i = fp_port_info_t()
                guard fp_port_info(Int32(h), &i) == 0 else { return nil }
                return PortStats(
                    handle: h, name: Self.string(i.name), device: Self.string(i.devargs), mirror: Self.string(i.mirror),
                    mac: MACAddress(withUnsafeBytes(of: i.mac) { Array($0) }), linkUp: i.link_up != 0,
                    speedMbps: i.speed_mbps, mtu: Int(i.mtu), rxQueues: Int(i.rx_queues), txQueues: Int(i.tx_queues),
                    rxPackets: i.rx_packets, rxBytes: i.rx_bytes, txPackets: i.tx_packets, txBytes: i.tx_bytes,
                    rxErrors: i.rx_errors, txErrors: i.tx_errors, rxMissed: i.rx_missed)
            }
        }
    }

    public func workerStats() -> [WorkerStats] {
        lock.lock()
        defer { lock.unlock() }
        var out: [WorkerStats] = []
        let count = Int(fp_worker_count())
        for w in 0..<count {
            var i = fp_lcore_info_t()
            guard fp_worker_info(Int32(w), &i) == 0 else { continue }
            var queues: [(port: Int, queue: Int)] = []
            let nrx = Int(i.n_rx)
            withUnsafeBytes(of: i.rx) { raw in
                let q = raw.bindMemory(to: UInt16.self)
                for n in 0..<nrx { queues.append((port: Int(q[2 * n]), queue: Int(q[2 * n + 1]))) }
            }
            out.append(WorkerStats(
                index: w, lcore: Int(i.lcore), cpu: Int(i.cpu), rxQueues: queues, txQueue: Int(i.tx_queue),
                loops: i.loops, busyLoops: i.busy_loops, cyclesTotal: i.cycles_total, cyclesBusy: i.cycles_busy,
                rxPackets: i.rx_packets, txPackets: i.tx_packets))
        }
        return out
    }

    public func counters() -> [Counter] {
        lock.withLock {
            let workers = Int(fp_worker_count())
            return (0..<Int(fp_counter_count())).map { c in
                let kind: CounterKind
                switch fp_counter_kind(Int32(c)) {
                case FP_COUNTER_FORWARD: kind = .forward
                case FP_COUNTER_EXCEPTION: kind = .exception
                default: kind = .drop
                }
                var values = (0..<workers).map { fp_counter_value(Int32(c), Int32($0)) }
                values.append(fp_counter_value(Int32(c), -1))
                return Counter(name: String(cString: fp_counter_name(Int32(c))),
                               reason: String(cString: fp_counter_reason(Int32(c))), kind: kind, perLcore: values)
            }
        }
    }

    public static var dpdkVersion: String { String(cString: fp_dpdk_version()) }
}

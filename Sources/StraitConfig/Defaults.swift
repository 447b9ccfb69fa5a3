/// The values a config gets for keys it leaves out, and the limits the loader enforces.
public enum Defaults {
    public static let instance = "strait"
    public static let controlCPU = 0
    public static let mbufs = 16384
    public static let mbufCache = 256
    public static let descriptors = 1024
    public static let hugepages = false
    public static let memoryMB = 512
    public static let pollMode = PollMode.adaptive
    public static let idleSleepMicroseconds = 200
    public static let logLevel = "info"
    public static let mtu = 1500

    /// `control.socket` when absent: `/run/strait/<instance>.sock`.
    public static func socketPath(instance: String) -> String { "/run/strait/\(instance).sock" }
}

/// Ranges and sizing rules, in one place so the docs and the checks agree.
public enum Limits {
    public static let mbufCache = 0...512
    public static let descriptors = 64...16384
    public static let idleSleepMicroseconds = 1...100_000
    public static let mtu = 68...9600
    public static let ipv6MinimumMTU = 1280
    public static let minimumMemoryMB = 64
    /// Mbufs kept for the exception path (packets punted to the kernel TAP mirrors).
    public static let exceptionMbufs = 1024
    /// Bytes per mbuf in the pool (2 KiB data room + headroom and header, rounded).
    public static let mbufBytes = 2560
    /// Memory the fast path's tables need besides the mbuf pool.
    public static let tableMemoryMB = 160
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error"]
    /// `sun_path` holds 108 bytes with the terminating NUL.
    public static let maxSocketPathBytes = 107

    /// The smallest mbuf pool the ports need: every worker polls every port, so each
    /// (port, worker) pair may hold a full RX ring and a full TX ring of mbufs; each lcore's
    /// mempool cache (workers and the control core) may hold `mbuf-cache` more; plus the exception path.
    public static func minimumMbufs(portDescriptors: [(rx: Int, tx: Int)], workers: Int, cache: Int) -> Int {
        let rings = portDescriptors.reduce(0) { $0 + $1.rx + $1.tx }
        return rings * workers + cache * (workers + 1) + exceptionMbufs
    }

    /// The smallest `memory-mb` for a pool of `mbufs`: `mbufs` x 2.5 KiB, rounded up to MiB, plus 160 MiB of tables.
    public static func minimumMemoryMB(mbufs: Int) -> Int {
        let poolBytes = max(0, mbufs) * mbufBytes
        return ((poolBytes + (1 << 20) - 1) >> 20) + tableMemoryMB
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import StraitCore
import StraitIKE

/// The engine's data plane for a load test: SPIs handed out in sequence, installs and
/// removals counted, nothing else (no ESP, no fast path).
final class NullDataPlane: IKEDataPlane {
    private var nextSPI: UInt32 = 0x1000_0000
    private var nextHandle = 1
    private(set) var allocated = 0
    private(set) var released = 0
    private(set) var installed = 0
    private(set) var removed = 0
    /// Called with each released SPI (an IKE_AUTH that failed gives its SPI back).
    var onRelease: ((UInt32) -> Void)?

    func allocateInboundSPI() throws -> UInt32 {
        allocated += 1
        nextSPI &+= 1
        return nextSPI
    }
    func releaseInboundSPI(_ spi: UInt32) {
        released += 1
        onRelease?(spi)
    }
    func install(_ child: ChildSAInstall) throws -> ChildSAHandle {
        installed += 1
        defer { nextHandle += 2 }
        return ChildSAHandle(inbound: nextHandle, outbound: nextHandle + 1, policies: [])
    }
    func remove(_ handle: ChildSAHandle) { removed += 1 }
    func query(_ handle: ChildSAHandle) -> ChildSAUsage? { nil }
    func updateEndpoints(_ handle: ChildSAHandle, local: IPAddress, remote: IPAddress,
                         udpEncapsulation: (local: UInt16, remote: UInt16)?) throws {}
    var live: Int { installed - removed }
}

/// Monotonic clock.
enum Clock {
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    static func now() -> IKETime { IKETime(nanoseconds: nanoseconds()) }
    static func seconds(_ from: UInt64, _ to: UInt64) -> Double { Double(to &- from) / 1e9 }
}

/// This process's resident memory and CPU time.
enum ProcessStats {
    /// VmRSS in KiB.
    static func rssKiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
    /// User + system CPU seconds.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }
}

/// The engine's log: lines at or above the level go to stderr, and every warning is handed
/// to `onWarning` (the engine reports failed initiations only there).
final class CaptureLog: LogHandler, @unchecked Sendable {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let printLevel: Logger.Level
    var onWarning: ((String) -> Void)?

    init(printLevel: Logger.Level) {
        self.printLevel = printLevel
        logLevel = min(printLevel, .warning)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let text = event.message.description
        if event.level >= .warning { onWarning?(text) }
        if event.level >= printLevel { FileHandle.standardError.write(Data("[\(event.level)] \(text)\n".utf8)) }
    }
}

func parseLevel(_ text: String) -> Logger.Level {
    Logger.Level(rawValue: text) ?? .warning
}

/// Percentile of sorted values (nearest rank).
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

func fmt(_ v: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", v) }


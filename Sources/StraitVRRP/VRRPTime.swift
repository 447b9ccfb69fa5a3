/// A point on a monotonic clock, in nanoseconds. The state machines never read a clock: the
/// I/O shell passes `now` in, and tests drive a manual one.
public struct VRRPInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: UInt64
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    public static func < (l: Self, r: Self) -> Bool { l.nanoseconds < r.nanoseconds }
    public static func + (l: Self, r: Centiseconds) -> Self { Self(nanoseconds: l.nanoseconds + UInt64(r.value) * 10_000_000) }
    public static func - (l: Self, r: Self) -> Centiseconds {
        Centiseconds(l.nanoseconds > r.nanoseconds ? UInt32((l.nanoseconds - r.nanoseconds) / 10_000_000) : 0)
    }
    public var description: String { "t+\(Double(nanoseconds) / 1e9)s" }
}

/// VRRP's unit of time (RFC 5798 expresses every interval in centiseconds).
public struct Centiseconds: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value }
    public static func < (l: Self, r: Self) -> Bool { l.value < r.value }
    public static func + (l: Self, r: Self) -> Self { Self(l.value + r.value) }
    public static func * (l: UInt32, r: Self) -> Self { Self(l * r.value) }
    public var description: String { "\(value)cs" }
}

/// RFC 5798 6.1: the timers a Backup derives from the Master's advertised interval and its own
/// priority. A higher priority waits less (less skew), so the best Backup takes over first.
public enum VRRPTiming {
    /// Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
    public static func skew(priority: UInt8, masterAdvertInterval: Centiseconds) -> Centiseconds {
        Centiseconds((256 - UInt32(priority)) * masterAdvertInterval.value / 256)
    }
    /// Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
    public static func masterDown(priority: UInt8, masterAdvertInterval: Centiseconds) -> Centiseconds {
        3 * masterAdvertInterval + skew(priority: priority, masterAdvertInterval: masterAdvertInterval)
    }
}

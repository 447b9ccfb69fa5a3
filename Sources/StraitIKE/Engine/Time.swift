/// The engine's clock: monotonic nanoseconds, injected by the caller (the I/O shell passes
/// the real monotonic clock, tests advance a number), so every timer is testable.
public struct IKETime: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: UInt64
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    public static func < (a: IKETime, b: IKETime) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (t: IKETime, d: Duration) -> IKETime {
        let (s, a) = d.components
        let ns = Int64(s) * 1_000_000_000 + a / 1_000_000_000
        return IKETime(nanoseconds: ns >= 0 ? t.nanoseconds &+ UInt64(ns) : t.nanoseconds &- UInt64(-ns))
    }
    public static func - (a: IKETime, b: IKETime) -> Duration {
        a >= b ? .nanoseconds(Int64(a.nanoseconds - b.nanoseconds)) : .nanoseconds(-Int64(b.nanoseconds - a.nanoseconds))
    }
    public static let zero = IKETime(nanoseconds: 0)
    public var description: String { "\(Double(nanoseconds) / 1e9)s" }
}

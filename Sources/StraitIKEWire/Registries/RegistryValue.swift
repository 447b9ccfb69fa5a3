/// An IANA IKEv2 registry value. Each registry is a struct around its raw number rather than an enum so
/// that values this code has no name for (new RFCs, private use) decode, compare and re-encode unchanged;
/// the static members only name the ones Strait uses or logs.
public protocol IKERegistryValue: RawRepresentable, Hashable, Sendable, CustomStringConvertible
where RawValue: FixedWidthInteger & Sendable {
    init(rawValue: RawValue)
    /// Names for logs, keyed by raw value.
    static var names: [RawValue: String] { get }
}

extension IKERegistryValue {
    public init(_ rawValue: RawValue) { self.init(rawValue: rawValue) }

    /// The IANA name, or `TYPE(n)` for a value without one here.
    public var description: String {
        Self.names[rawValue] ?? "\(String(describing: Self.self))(\(rawValue))"
    }
}

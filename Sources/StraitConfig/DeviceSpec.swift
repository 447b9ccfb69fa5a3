/// A port's `device` string, understood: a PCI address, or a DPDK virtual device
/// `net_<driver><n>[,key=value...]` of one of the drivers Strait supports.
public enum DeviceSpec: Sendable, Hashable {
    /// `dddd:bb:dd.f`, lowercased.
    case pci(address: String)
    /// `name` is the vdev name (`net_af_packet0`), `driver` its driver (`af_packet`).
    case virtual(name: String, driver: String, arguments: [Argument])

    public struct Argument: Sendable, Hashable {
        public var key: String
        public var value: String
    }

    /// The vdev drivers a port may use.
    public static let drivers = ["af_packet", "tap", "ring", "null", "memif", "virtio_user", "vhost", "pcap"]

    /// What identifies the device to DPDK: two ports may not share it.
    public var identity: String {
        switch self {
        case .pci(let address): return address
        case .virtual(let name, _, _): return name
        }
    }

    /// The value of argument `key`, e.g. `iface` of an af_packet device.
    public func argument(_ key: String) -> String? {
        guard case .virtual(_, _, let arguments) = self else { return nil }
        return arguments.first { $0.key == key }?.value
    }

    /// Parses `text`; the failure is a sentence for the operator.
    public static func parse(_ text: String) -> Result<DeviceSpec, ParseError> {
        if let address = pciAddress(text) { return .success(.pci(address: address)) }
        guard text.hasPrefix("net_") else {
            return .failure(ParseError("'\(text)' is neither a PCI address (dddd:bb:dd.f) nor a DPDK vdev net_<driver><n>[,key=value...]"))
        }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let name = parts[0]
        let stem = name.dropFirst("net_".count)
        let digits = stem.reversed().prefix { $0.isASCII && $0.isNumber }
        let driver = String(stem.dropLast(digits.count))
        guard drivers.contains(driver) else {
            var message = "unknown vdev driver '\(driver)' in '\(name)'; supported: \(drivers.joined(separator: ", "))"
            if let close = Suggestion.closest(to: driver, in: drivers) { message += "; did you mean '\(close)'?" }
            return .failure(ParseError(message))
        }
        guard !digits.isEmpty else {
            return .failure(ParseError("vdev name '\(name)' needs an instance number, e.g. net_\(driver)0"))
        }
        var arguments: [Argument] = []
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, isArgumentKey(pair[0]), !pair[1].isEmpty else {
                return .failure(ParseError("vdev argument '\(part)' is not key=value"))
            }
            arguments.append(Argument(key: String(pair[0]), value: String(pair[1])))
        }
        return .success(.virtual(name: name, driver: driver, arguments: arguments))
    }

    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// `dddd:bb:dd.f` with hex domain, bus and device (device < 0x20) and function 0-7.
    static func pciAddress(_ text: String) -> String? {
        let lower = text.lowercased()
        let fields = lower.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0].count == 4, fields[1].count == 2 else { return nil }
        let slot = fields[2].split(separator: ".", omittingEmptySubsequences: false)
        guard slot.count == 2, slot[0].count == 2, slot[1].count == 1,
              UInt16(fields[0], radix: 16) != nil, UInt8(fields[1], radix: 16) != nil,
              let device = UInt8(slot[0], radix: 16), device < 0x20,
              let function = UInt8(slot[1], radix: 8), function < 8,
              (fields[0] + fields[1] + slot[0]).allSatisfy({ $0.isHexDigit }) else { return nil }
        return lower
    }

    private static func isArgumentKey(_ key: Substring) -> Bool {
        guard let first = key.first, first == "_" || ("a"..."z").contains(first) else { return false }
        return key.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }
}

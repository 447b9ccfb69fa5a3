/// Value rules shared by several sections.
enum Rules {
    /// `[a-z0-9-]{1,24}`: names the DPDK file prefix and the default socket.
    static func isInstanceName(_ s: String) -> Bool {
        (1...24).contains(s.count) && s.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// `[a-z][a-z0-9_]{0,14}`: names the kernel TAP mirror (IFNAMSIZ leaves 15 characters).
    static func isPortName(_ s: String) -> Bool {
        guard let first = s.first, ("a"..."z").contains(first), s.count <= 15 else { return false }
        return s.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// `nb-rxd` / `nb-txd`: a power of two in 64...16384. Reports and returns nil otherwise.
    static func descriptors(_ r: MappingReader, _ name: String) -> Int? {
        guard let value = r.int(name) else { return nil }
        guard Limits.descriptors.contains(value.value) else {
            r.context.report(.outOfRange, at: value.location, key: value.key,
                             "\(value.value) is out of range \(Limits.descriptors.lowerBound)...\(Limits.descriptors.upperBound)")
            return nil
        }
        guard value.value & (value.value - 1) == 0 else {
            r.context.report(.invalidValue, at: value.location, key: value.key,
                             "\(value.value) is not a power of two (64, 128, 256, ... 16384)")
            return nil
        }
        return value.value
    }
}

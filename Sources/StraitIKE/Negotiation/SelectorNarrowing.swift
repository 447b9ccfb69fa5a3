import StraitConfig
import StraitCore
import StraitIKEWire

/// Traffic selector narrowing as a responder (RFC 7296 2.9): what the initiator proposes,
/// cut down to what a security policy allows. Addresses, protocol and ports are intersected;
/// the result is what both the reply's TS payloads and the fast path's policies carry.
enum SelectorNarrowing {
    /// 128-bit view of an address, so both families share the arithmetic.
    static func value(_ a: IPAddress) -> UInt128 {
        switch a {
        case .v4(let v): return UInt128(v.value)
        case .v6(let v): return UInt128(v.high) << 64 | UInt128(v.low)
        }
    }

    static func address(_ v: UInt128, v4: Bool) -> IPAddress {
        v4 ? .v4(IPv4Address(UInt32(truncatingIfNeeded: v)))
            : .v6(IPv6Address(high: UInt64(truncatingIfNeeded: v >> 64), low: UInt64(truncatingIfNeeded: v)))
    }

    /// The intersection of a proposed selector and a configured one, or nil.
    static func intersect(_ offered: AddressRangeSelector, _ allowed: ConfigTrafficSelector) -> AddressRangeSelector? {
        guard offered.startAddress.isIPv4 == allowed.prefix.isIPv4 else { return nil }
        let v4 = allowed.prefix.isIPv4
        let range = AddressRangeSelector(prefix: allowed.prefix.network)
        let lo = max(value(offered.startAddress), value(range.startAddress))
        let hi = min(value(offered.endAddress), value(range.endAddress))
        guard lo <= hi else { return nil }
        let allowedProto = allowed.proto.number
        let proto: UInt8
        if offered.ipProtocol == 0 { proto = allowedProto }
        else if allowedProto == 0 || allowedProto == offered.ipProtocol { proto = offered.ipProtocol }
        else { return nil }
        let pLo = max(Int(offered.startPort), allowed.ports.lowerBound), pHi = min(Int(offered.endPort), allowed.ports.upperBound)
        guard pLo <= pHi else { return nil }
        return AddressRangeSelector(ipProtocol: proto, startPort: UInt16(pLo), endPort: UInt16(pHi),
                                    startAddress: address(lo, v4: v4), endAddress: address(hi, v4: v4))
    }

    /// Every (offered, allowed) intersection.
    static func narrow(_ offered: [AddressRangeSelector], to allowed: [ConfigTrafficSelector]) -> [AddressRangeSelector] {
        var out: [AddressRangeSelector] = []
        for o in offered {
            for a in allowed {
                if let r = intersect(o, a), !out.contains(r) { out.append(r) }
            }
        }
        return out
    }

    /// The fewest prefixes covering exactly start...end (the fast path's SPD keys on prefixes).
    static func prefixes(of s: AddressRangeSelector) -> [IPPrefix] {
        let v4 = s.startAddress.isIPv4
        let bits = v4 ? 32 : 128
        var lo = value(s.startAddress)
        let hi = value(s.endAddress)
        var out: [IPPrefix] = []
        while lo <= hi, out.count < 64 {
            // The largest block aligned at lo that does not pass hi.
            var size = lo == 0 ? bits : min(bits, lo.trailingZeroBitCount)
            while size > 0 {
                let span = size >= 128 ? UInt128.max : (UInt128(1) << size) - 1
                if lo &+ span <= hi && lo &+ span >= lo { break }
                size -= 1
            }
            out.append(IPPrefix(address: address(lo, v4: v4), length: bits - size))
            let span = size >= 128 ? UInt128.max : (UInt128(1) << size) - 1
            if lo &+ span == (v4 ? UInt128(UInt32.max) : UInt128.max) { break }
            lo = lo &+ span &+ 1
        }
        return out
    }
}


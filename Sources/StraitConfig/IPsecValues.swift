import StraitCore

/// Value rules of the `ipsec` section: SA names, SPIs, hex keys, outer addresses, selectors.
enum IPsecValues {
    /// `[a-z0-9][a-z0-9_-]{0,31}`.
    static func isSAName(_ s: String) -> Bool {
        guard let first = s.utf8.first, isLowerOrDigit(first), s.utf8.count <= 32 else { return false }
        return s.utf8.allSatisfy { isLowerOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerOrDigit(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    enum SPIError: Error { case notANumber, outOfRange(String) }

    /// `0x00001001` (hex) or decimal, in 256...0xffffffff.
    static func spi(_ text: String) -> Result<UInt32, SPIError> {
        let value: UInt64?
        let utf8 = text.utf8
        if utf8.count > 2, utf8.first == UInt8(ascii: "0"), hasHexMarker(text) {
            let digits = utf8.dropFirst(2)
            guard digits.count <= 16, digits.allSatisfy({ nibble($0) != nil }) else { return .failure(.notANumber) }
            value = UInt64(Substring(digits), radix: 16)
        } else {
            guard NodeReader.isDecimalInteger(text), utf8.first != UInt8(ascii: "-") else { return .failure(.notANumber) }
            value = UInt64(text)
        }
        guard let value, value >= UInt64(IPsecDefaults.spiRange.lowerBound), value <= UInt64(IPsecDefaults.spiRange.upperBound) else {
            return .failure(.outOfRange(value.map(String.init) ?? text))
        }
        return .success(UInt32(value))
    }

    /// True when the second character is `x` or `X`.
    private static func hasHexMarker(_ text: String) -> Bool {
        let second = text.utf8.dropFirst().first
        return second == UInt8(ascii: "x") || second == UInt8(ascii: "X")
    }

    /// Hex bytes, with or without `0x`; nil when it is anything else (odd length included).
    static func hexBytes(_ text: String) -> [UInt8]? {
        var digits = Substring(text).utf8
        if digits.count >= 2, digits.first == UInt8(ascii: "0"), hasHexMarker(text) { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var high: UInt8?
        for c in digits {
            guard let nibble = nibble(c) else { return nil }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// An outer (tunnel) address: IPv4 only.
    static func outerAddress(_ text: Located<String>, context: LoadContext) -> Located<IPv4Address>? {
        guard let address = IPAddress(text.value) else {
            context.report(.invalidValue, at: text.location, key: text.key, "'\(text.value)' is not an IPv4 address")
            return nil
        }
        guard case .v4(let v4) = address else {
            context.report(.invalidValue, at: text.location, key: text.key,
                           "\(address) is IPv6; tunnel (outer) addresses are IPv4 only in this version")
            return nil
        }
        return Located(value: v4, location: text.location, key: text.key)
    }

    /// A network with its length and host bits zero (a traffic selector, a tunnel route's prefix).
    static func network(_ text: Located<String>, what: String, context: LoadContext) -> Located<IPPrefix>? {
        guard let prefix = prefixWithLength(text.value) else {
            context.report(.invalidValue, at: text.location, key: text.key,
                           "'\(text.value)' is not \(what) with a length (10.1.0.0/24, fd00:1::/64)")
            return nil
        }
        guard prefix.isNetwork else {
            context.report(.invalidValue, at: text.location, key: text.key,
                           "\(prefix) is not a network: it has host bits set; the network is \(prefix.network)")
            return nil
        }
        return Located(value: prefix, location: text.location, key: text.key)
    }

    /// `address/length`, the length required (IPPrefix's own parser takes a bare address too).
    static func prefixWithLength(_ text: String) -> IPPrefix? {
        guard let slash = text.utf8.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let lengthText = text[text.index(after: slash)...]
        guard let address = IPAddress(String(text[..<slash])), lengthText.utf8.first != UInt8(ascii: "+"),
              let length = Int(lengthText), (0...address.bitWidth).contains(length) else { return nil }
        return IPPrefix(address: address, length: length)
    }

    /// A required network value of `r`.
    static func requiredNetwork(_ r: MappingReader, _ name: String, what: String) -> Located<IPPrefix>? {
        guard let node = r.required(name), let text = r.reader.string(node, key: r.path(name)) else { return nil }
        return network(text, what: what, context: r.context)
    }

    /// Reports `remote` when its family differs from `local`'s; true when they agree.
    static func sameFamily(_ local: Located<IPPrefix>?, _ remote: Located<IPPrefix>?, context: LoadContext) -> Bool {
        guard let local, let remote else { return false }
        guard local.value.isIPv4 == remote.value.isIPv4 else {
            context.report(.conflict, at: remote.location, key: remote.key,
                           "\(remote.value) is \(family(remote.value)) but local-ts \(local.value) is \(family(local.value)); "
                           + "both selectors must be of one family")
            return false
        }
        return true
    }

    static func family(_ prefix: IPPrefix) -> String { prefix.isIPv4 ? "IPv4" : "IPv6" }

    /// The message for a name that names no SA, with a suggestion.
    static func unknownSAMessage(_ name: String, known: [String]) -> String {
        var message = "no SA is named '\(name)'"
        if let close = Suggestion.closest(to: name, in: known) {
            message += "; did you mean '\(close)'?"
        } else if !known.isEmpty, known.count <= 8 {
            message += " (SAs: \(known.joined(separator: ", ")))"
        }
        return message
    }
}

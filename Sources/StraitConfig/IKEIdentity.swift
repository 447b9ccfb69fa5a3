import StraitCore

/// An IKEv2 identity (RFC 7296 3.5), as `local-id`, `remote-id` and `psks.ids` write it.
///
/// Written forms: an IPv4 or IPv6 literal is an IP identity; text with `=` is a distinguished
/// name (`C=CH, O=Example, CN=gw`); text with `@` is an RFC 822 address; `keyid:` and hex is a
/// key ID; anything else is a FQDN. A prefix `fqdn:`, `email:`, `ip:`, `dn:` or `keyid:` says the
/// type outright. A remote identity may be `%any` or a pattern: in a FQDN and in the domain of an
/// RFC 822 address `*` matches any run of characters within one label (`*.sites.example.net`
/// matches `s1.sites.example.net`, not `a.s1.sites.example.net`); in an address's local part `*`
/// matches any run of characters; a DN attribute whose value is `*` matches any value.
/// FQDNs, addresses and DN values compare without regard to case.
public enum IKEIdentity: Sendable, Hashable, CustomStringConvertible {
    /// `%any`: any identity (a remote identity only).
    case any
    case ipv4(IPv4Address)
    case ipv6(IPv6Address)
    case fqdn(String)
    case rfc822(String)
    case distinguishedName([RDN])
    case keyID([UInt8])

    /// One attribute of a distinguished name, e.g. `CN=gw.example.net`.
    public struct RDN: Sendable, Hashable {
        /// The attribute's short name as Strait spells it: `C`, `ST`, `L`, `O`, `OU`, `CN`, `DC`, `E`, ...
        public var attribute: String
        public var value: String

        public init(attribute: String, value: String) {
            self.attribute = attribute
            self.value = value
        }
    }

    /// The ID Type of the Identification payload (IANA).
    public enum IDType: UInt8, Sendable {
        case ipv4Address = 1, fqdn = 2, rfc822Address = 3, ipv6Address = 5, derASN1DN = 9, keyID = 11
    }

    /// Why an identity was refused.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The DN attributes accepted, in their canonical spelling; lookup ignores case
    /// (`emailAddress` is `E`, `serialNumber` stays as written).
    public static let dnAttributes = ["C", "ST", "L", "O", "OU", "CN", "DC", "E", "SN", "GN", "T", "UID", "serialNumber"]

    /// The ID Type; nil for `%any`.
    public var type: IDType? {
        switch self {
        case .any: return nil
        case .ipv4: return .ipv4Address
        case .ipv6: return .ipv6Address
        case .fqdn: return .fqdn
        case .rfc822: return .rfc822Address
        case .distinguishedName: return .derASN1DN
        case .keyID: return .keyID
        }
    }

    /// True for `%any` and for identities with a `*`.
    public var isPattern: Bool {
        switch self {
        case .any: return true
        case .fqdn(let s), .rfc822(let s): return s.contains("*")
        case .distinguishedName(let rdns): return rdns.contains { $0.value == "*" }
        case .ipv4, .ipv6, .keyID: return false
        }
    }

    /// True when `identity` (a peer's, not a pattern) is this one or matches this pattern.
    public func matches(_ identity: IKEIdentity) -> Bool {
        switch (self, identity) {
        case (.any, _): return true
        case (.fqdn(let pattern), .fqdn(let name)): return Self.domainMatches(pattern, name)
        case (.rfc822(let pattern), .rfc822(let address)):
            guard let p = pattern.split(separator: "@", omittingEmptySubsequences: false).twoParts,
                  let a = address.split(separator: "@", omittingEmptySubsequences: false).twoParts else { return false }
            return Self.glob(p.0.lowercased(), a.0.lowercased()) && Self.domainMatches(p.1, a.1)
        case (.distinguishedName(let pattern), .distinguishedName(let name)):
            return pattern.count == name.count && zip(pattern, name).allSatisfy { p, n in
                p.attribute == n.attribute && (p.value == "*" || p.value.lowercased() == n.value.lowercased())
            }
        default: return self == identity
        }
    }

    /// The written form that parses back to this identity (`fqdn:` and `email:` only where needed).
    public var description: String {
        switch self {
        case .any: return "%any"
        case .ipv4(let a): return a.description
        case .ipv6(let a): return a.description
        case .fqdn(let s): return IPAddress(s) != nil || s.contains("=") || s.contains("@") ? "fqdn:" + s : s
        case .rfc822(let s): return s.contains("=") ? "email:" + s : s
        case .distinguishedName(let rdns):
            return rdns.map { "\($0.attribute)=\($0.value.replacingOccurrences(of: ",", with: "\\,"))" }
                .joined(separator: ", ")
        case .keyID(let bytes): return "keyid:" + bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        }
    }

    /// Parses a written identity. `allowPattern` permits `%any` and `*` (remote identities).
    public static func parse(_ text: String, allowPattern: Bool = false) -> Result<IKEIdentity, ParseError> {
        func fail(_ message: String) -> Result<IKEIdentity, ParseError> { .failure(ParseError(message: message)) }
        if text == "%any" {
            return allowPattern ? .success(.any) : fail("%any is only for remote identities; give this side's own identity")
        }
        if text.contains("*"), !allowPattern {
            return fail("'\(text)' is a pattern; '*' is only for remote identities")
        }
        for (prefix, parser) in prefixed where text.hasPrefix(prefix) {
            return parser(String(text.dropFirst(prefix.count)))
        }
        if let ip = IPAddress(text) { return .success(ip.identity) }
        if text.contains("=") { return parseDN(text) }
        if text.contains("@") { return parseRFC822(text) }
        if text.isEmpty { return fail("an identity cannot be empty") }
        return parseFQDN(text)
    }

    private static let prefixed: [(String, (String) -> Result<IKEIdentity, ParseError>)] = [
        ("fqdn:", parseFQDN), ("email:", parseRFC822), ("dn:", parseDN), ("keyid:", parseKeyID),
        ("ip:", { text in
            guard let ip = IPAddress(text) else { return .failure(ParseError(message: "'\(text)' after ip: is not an IP address")) }
            return .success(ip.identity)
        }),
    ]

    private static func parseFQDN(_ text: String) -> Result<IKEIdentity, ParseError> {
        if let problem = domainProblem(text) { return .failure(ParseError(message: "'\(text)' is not a FQDN: \(problem)")) }
        return .success(.fqdn(text))
    }

    private static func parseRFC822(_ text: String) -> Result<IKEIdentity, ParseError> {
        guard let (local, domain) = text.split(separator: "@", omittingEmptySubsequences: false).twoParts else {
            return .failure(ParseError(message: "'\(text)' is not an RFC 822 address: it needs exactly one '@'"))
        }
        guard !local.isEmpty, local.utf8.count <= 64, !local.contains(where: { $0 == " " || $0.isNewline }) else {
            return .failure(ParseError(message: "'\(text)' is not an RFC 822 address: the part before '@' must be 1 to 64 "
                                       + "characters without spaces (a FQDN is written without '@', or as fqdn:name)"))
        }
        if let problem = domainProblem(String(domain)) {
            return .failure(ParseError(message: "'\(text)' is not an RFC 822 address: after '@', \(problem)"))
        }
        return .success(.rfc822(text))
    }

    private static func parseDN(_ text: String) -> Result<IKEIdentity, ParseError> {
        var rdns: [RDN] = []
        for part in splitUnescaped(text) {
            let piece = part.trimmingBlanks
            guard let eq = piece.firstIndex(of: "=") else {
                return .failure(ParseError(message: "'\(piece)' in the DN '\(text)' is not attribute=value"))
            }
            let name = String(piece[..<eq]).trimmingBlanks, value = String(piece[piece.index(after: eq)...]).trimmingBlanks
            let lookup = name.lowercased() == "emailaddress" ? "E" : name
            guard let attribute = dnAttributes.first(where: { $0.lowercased() == lookup.lowercased() }) else {
                var message = "unknown DN attribute '\(name)' in '\(text)' (known: \(dnAttributes.joined(separator: ", ")))"
                if let close = Suggestion.closest(to: name, in: dnAttributes) { message += "; did you mean '\(close)'?" }
                return .failure(ParseError(message: message))
            }
            guard !value.isEmpty else { return .failure(ParseError(message: "\(attribute) has no value in the DN '\(text)'")) }
            if value.contains("*"), value != "*" {
                return .failure(ParseError(message: "'\(value)' in the DN '\(text)': a DN pattern is a whole value '*'"))
            }
            rdns.append(RDN(attribute: attribute, value: value))
        }
        return .success(.distinguishedName(rdns))
    }

    private static func parseKeyID(_ text: String) -> Result<IKEIdentity, ParseError> {
        guard let bytes = IPsecValues.hexBytes(text), (1...64).contains(bytes.count) else {
            return .failure(ParseError(message: "'\(text)' after keyid: is not 1 to 64 bytes of hex"))
        }
        return .success(.keyID(bytes))
    }

    /// Why `text` is not a domain name (labels of 1-63 of letters, digits, '-', '_', '*'), or nil.
    private static func domainProblem(_ text: String) -> String? {
        guard !text.isEmpty, text.utf8.count <= 253 else { return "a name has 1 to 253 characters" }
        for label in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63 else { return "a label (between dots) has 1 to 63 characters" }
            if let bad = label.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber)) && !"-_*".contains($0) }) {
                return "'\(bad)' is not allowed (a name has letters, digits, '-', '_' and '.')"
            }
        }
        return nil
    }

    /// FQDN pattern matching, label by label, ignoring case.
    private static func domainMatches<P: StringProtocol, N: StringProtocol>(_ pattern: P, _ name: N) -> Bool {
        let p = pattern.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        let n = name.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        return p.count == n.count && zip(p, n).allSatisfy { glob(String($0), String($1)) }
    }

    /// `*` matches any run of characters (including none); everything else matches itself.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] != "*", p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Splits at ',' not preceded by '\', and drops the escapes.
    private static func splitUnescaped(_ text: String) -> [String] {
        var parts: [String] = [], current = "", escaped = false
        for c in text {
            if escaped { current.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "," {
                parts.append(current); current = ""
            } else { current.append(c) }
        }
        parts.append(current)
        return parts
    }
}

extension IPAddress {
    /// This address as an IP identity.
    var identity: IKEIdentity {
        switch self {
        case .v4(let a): return .ipv4(a)
        case .v6(let a): return .ipv6(a)
        }
    }
}

extension Array where Element == Substring {
    /// The two parts of a split into exactly two, or nil.
    var twoParts: (Substring, Substring)? { count == 2 ? (self[0], self[1]) : nil }
}

extension StringProtocol {
    var trimmingBlanks: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    func leftPadded(to width: Int) -> String { String(repeating: "0", count: Swift.max(0, width - count)) + self }
}

import StraitCore

/// One item of `ike.vpns`: which peers it accepts (addresses and identities), how both sides
/// authenticate, which templates it uses, and the traffic it protects.
public struct VPNDefinition: Sendable, Equatable {
    public var name: String
    /// The name of an `IKEPolicyTemplate`.
    public var ikePolicy: String
    /// The name of the `IPsecPolicyTemplate` of the security policies that name none.
    public var ipsecPolicy: String?
    /// An address of a port (IPv4 in this version).
    public var localAddress: IPAddress
    public var remoteAddress: IKERemoteAddress
    /// Defaults to `localAddress` as an IP identity.
    public var localID: IKEIdentity
    /// May be a pattern (`%any`, `*.sites.example.net`).
    public var remoteID: IKEIdentity
    public var localAuth: IKELocalAuth
    public var remoteAuth: IKERemoteAuth
    /// The key for peers without a `psks` entry of their own; nil when every peer needs one.
    public var psk: PSK?
    public var allowWeakPSK: Bool
    /// Never empty.
    public var securityPolicies: [SecurityPolicy]
    public var location: SourceLocation

    public init(name: String, ikePolicy: String, ipsecPolicy: String? = nil, localAddress: IPAddress,
                remoteAddress: IKERemoteAddress, localID: IKEIdentity? = nil, remoteID: IKEIdentity,
                localAuth: IKELocalAuth, remoteAuth: IKERemoteAuth, psk: PSK? = nil, allowWeakPSK: Bool = false,
                securityPolicies: [SecurityPolicy], location: SourceLocation) {
        self.name = name
        self.ikePolicy = ikePolicy
        self.ipsecPolicy = ipsecPolicy
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.localID = localID ?? localAddress.identity
        self.remoteID = remoteID
        self.localAuth = localAuth
        self.remoteAuth = remoteAuth
        self.psk = psk
        self.allowWeakPSK = allowWeakPSK
        self.securityPolicies = securityPolicies
        self.location = location
    }

    /// True when either side authenticates with a pre-shared key.
    public var usesPSK: Bool { localAuth == .psk || remoteAuth == .psk }
}

/// `remote-address`: where the peers may be.
public enum IKERemoteAddress: Sendable, Hashable, CustomStringConvertible {
    /// Anywhere (`any`): the VPN only answers, it cannot initiate.
    case any
    /// One peer, to which the gateway may also initiate.
    case address(IPAddress)
    /// Peers from inside a network (host bits zero).
    case prefix(IPPrefix)

    public func contains(_ address: IPAddress) -> Bool {
        switch self {
        case .any: return true
        case .address(let a): return a == address
        case .prefix(let p): return p.contains(address)
        }
    }

    /// The single address the gateway may initiate to, if there is one.
    public var initiatorTarget: IPAddress? {
        if case .address(let a) = self { return a }
        return nil
    }

    public var description: String {
        switch self {
        case .any: return "any"
        case .address(let a): return a.description
        case .prefix(let p): return p.description
        }
    }
}

/// `local-auth`: how this gateway proves its identity.
public enum IKELocalAuth: Sendable, Hashable {
    case psk
    /// A certificate and its private key, as absolute paths of PEM files.
    case certificate(certificate: String, privateKey: String)

    public var method: String { self == .psk ? "psk" : "certificate" }
}

/// `remote-auth`: how the peer must prove its identity.
public enum IKERemoteAuth: Sendable, Hashable {
    case psk
    /// A certificate that chains to one of these CA certificates (absolute paths of PEM files).
    case certificate(ca: [String])

    public var method: String { self == .psk ? "psk" : "certificate" }
}

/// One item of a VPN's `security-policies`: a CHILD SA's traffic selectors (RFC 7296 2.9).
/// A peer may narrow them (propose a subset); a CHILD SA carries one pair of networks of one
/// family, so every family in `localTS` has a partner in `remoteTS` and the other way round.
public struct SecurityPolicy: Sendable, Equatable {
    public var name: String
    /// Never empty.
    public var localTS: [TrafficSelector]
    /// Never empty.
    public var remoteTS: [TrafficSelector]
    /// The `IPsecPolicyTemplate` this policy uses: its own `ipsec-policy`, else the VPN's.
    public var ipsecPolicy: String
    public var location: SourceLocation

    public init(name: String, localTS: [TrafficSelector], remoteTS: [TrafficSelector], ipsecPolicy: String,
                location: SourceLocation) {
        self.name = name
        self.localTS = localTS
        self.remoteTS = remoteTS
        self.ipsecPolicy = ipsecPolicy
        self.location = location
    }
}

/// A traffic selector: a network, optionally narrowed to a protocol and a port range.
/// Written `10.1.0.0/16`, `10.1.0.0/16[udp]`, `10.1.0.0/16[udp/53]`, `fd00::/64[tcp/8000-8080]`,
/// `10.1.0.0/16[47]` (strongSwan's form).
public struct TrafficSelector: Sendable, Hashable, CustomStringConvertible {
    public var prefix: IPPrefix
    public var proto: IPProtocolSelector
    /// `0...65535` is any port; only TCP and UDP have narrower ranges.
    public var ports: ClosedRange<Int>

    public static let anyPort = 0...65535

    public init(prefix: IPPrefix, proto: IPProtocolSelector = .any, ports: ClosedRange<Int> = TrafficSelector.anyPort) {
        self.prefix = prefix
        self.proto = proto
        self.ports = ports
    }

    public var isIPv4: Bool { prefix.isIPv4 }

    /// The written form.
    public var description: String {
        guard proto != .any else { return prefix.description }
        guard ports != Self.anyPort else { return "\(prefix)[\(proto)]" }
        let range = ports.lowerBound == ports.upperBound ? "\(ports.lowerBound)" : "\(ports.lowerBound)-\(ports.upperBound)"
        return "\(prefix)[\(proto)/\(range)]"
    }
}

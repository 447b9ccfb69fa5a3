// RFC 7296 sections 3.13.1 (traffic selector types) and 3.15 (configuration payload types and
// attributes), with RFC 5685-era additions to the attribute registry.

/// Traffic Selector Type.
public struct TrafficSelectorType: IKERegistryValue {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let ipv4AddressRange = Self(7)
    public static let ipv6AddressRange = Self(8)
    /// RFC 9478 security labels (not decoded here: kept as an opaque selector).
    public static let securityLabel = Self(10)

    public static let names: [UInt8: String] = [7: "TS_IPV4_ADDR_RANGE", 8: "TS_IPV6_ADDR_RANGE", 10: "TS_SECLABEL"]
}

/// Configuration payload CFG Type.
public struct ConfigurationType: IKERegistryValue {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let request = Self(1)
    public static let reply = Self(2)
    public static let set = Self(3)
    public static let ack = Self(4)

    public static let names: [UInt8: String] = [1: "CFG_REQUEST", 2: "CFG_REPLY", 3: "CFG_SET", 4: "CFG_ACK"]
}

/// Configuration Attribute Type (15 bits; the top bit of the field is reserved).
public struct ConfigurationAttributeType: IKERegistryValue {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let internalIP4Address = Self(1)
    public static let internalIP4Netmask = Self(2)
    public static let internalIP4DNS = Self(3)
    public static let internalIP4NBNS = Self(4)
    public static let internalIP4DHCP = Self(6)
    public static let applicationVersion = Self(7)
    public static let internalIP6Address = Self(8)
    public static let internalIP6DNS = Self(10)
    public static let internalIP6DHCP = Self(12)
    public static let internalIP4Subnet = Self(13)
    public static let supportedAttributes = Self(14)
    public static let internalIP6Subnet = Self(15)
    public static let internalDNSDomain = Self(25)

    public static let names: [UInt16: String] = [
        1: "INTERNAL_IP4_ADDRESS", 2: "INTERNAL_IP4_NETMASK", 3: "INTERNAL_IP4_DNS", 4: "INTERNAL_IP4_NBNS",
        6: "INTERNAL_IP4_DHCP", 7: "APPLICATION_VERSION", 8: "INTERNAL_IP6_ADDRESS", 10: "INTERNAL_IP6_DNS",
        12: "INTERNAL_IP6_DHCP", 13: "INTERNAL_IP4_SUBNET", 14: "SUPPORTED_ATTRIBUTES",
        15: "INTERNAL_IP6_SUBNET", 25: "INTERNAL_DNS_DOMAIN",
    ]
}

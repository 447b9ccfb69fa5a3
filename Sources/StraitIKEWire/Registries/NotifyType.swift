// Notify Message Types: RFC 7296 section 3.10.1, with RFC 4555 (MOBIKE), RFC 4478, RFC 4739,
// RFC 5685 (redirect), RFC 5998, RFC 6023, RFC 6311 (HA message ID sync), RFC 7383 (fragmentation), RFC 7427 (signature hashes),
// RFC 8784 (PPK) and RFC 9242 (intermediate). Numbers checked against the IANA registry as mirrored
// by strongSwan's notify_payload.h.

/// Notify Message Type: 1...16383 are errors, 16384 and above are status.
public struct NotifyType: IKERegistryValue {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Error types make an exchange fail (RFC 7296 section 3.10.1); status types only inform.
    public var isError: Bool { rawValue != 0 && rawValue < 16384 }

    // Errors.
    public static let unsupportedCriticalPayload = Self(1)
    public static let invalidIKESPI = Self(4)
    public static let invalidMajorVersion = Self(5)
    public static let invalidSyntax = Self(7)
    public static let invalidMessageID = Self(9)
    public static let invalidSPI = Self(11)
    public static let noProposalChosen = Self(14)
    public static let invalidKEPayload = Self(17)
    public static let authenticationFailed = Self(24)
    public static let singlePairRequired = Self(34)
    public static let noAdditionalSAs = Self(35)
    public static let internalAddressFailure = Self(36)
    public static let failedCPRequired = Self(37)
    public static let tsUnacceptable = Self(38)
    public static let invalidSelectors = Self(39)
    public static let unacceptableAddresses = Self(40)
    public static let unexpectedNATDetected = Self(41)
    public static let temporaryFailure = Self(43)
    public static let childSANotFound = Self(44)

    // Status.
    public static let initialContact = Self(16384)
    public static let setWindowSize = Self(16385)
    public static let additionalTSPossible = Self(16386)
    public static let ipcompSupported = Self(16387)
    public static let natDetectionSourceIP = Self(16388)
    public static let natDetectionDestinationIP = Self(16389)
    public static let cookie = Self(16390)
    public static let useTransportMode = Self(16391)
    public static let httpCertLookupSupported = Self(16392)
    public static let rekeySA = Self(16393)
    public static let espTFCPaddingNotSupported = Self(16394)
    public static let nonFirstFragmentsAlso = Self(16395)
    public static let mobikeSupported = Self(16396)
    public static let additionalIP4Address = Self(16397)
    public static let additionalIP6Address = Self(16398)
    public static let noAdditionalAddresses = Self(16399)
    public static let updateSAAddresses = Self(16400)
    public static let cookie2 = Self(16401)
    public static let noNATsAllowed = Self(16402)
    public static let authLifetime = Self(16403)
    public static let multipleAuthSupported = Self(16404)
    public static let anotherAuthFollows = Self(16405)
    public static let redirectSupported = Self(16406)
    public static let redirect = Self(16407)
    public static let redirectedFrom = Self(16408)
    public static let eapOnlyAuthentication = Self(16417)
    public static let childlessIKEv2Supported = Self(16418)
    public static let ikev2MessageIDSyncSupported = Self(16420)
    public static let ipsecReplayCounterSyncSupported = Self(16421)
    public static let ikev2MessageIDSync = Self(16422)
    public static let ipsecReplayCounterSync = Self(16423)
    public static let ikev2FragmentationSupported = Self(16430)
    public static let signatureHashAlgorithms = Self(16431)
    public static let usePPK = Self(16435)
    public static let ppkIdentity = Self(16436)
    public static let noPPKAuth = Self(16437)
    public static let intermediateExchangeSupported = Self(16438)

    public static let names: [UInt16: String] = [
        1: "UNSUPPORTED_CRITICAL_PAYLOAD",
        4: "INVALID_IKE_SPI",
        5: "INVALID_MAJOR_VERSION",
        7: "INVALID_SYNTAX",
        9: "INVALID_MESSAGE_ID",
        11: "INVALID_SPI",
        14: "NO_PROPOSAL_CHOSEN",
        17: "INVALID_KE_PAYLOAD",
        24: "AUTHENTICATION_FAILED",
        34: "SINGLE_PAIR_REQUIRED",
        35: "NO_ADDITIONAL_SAS",
        36: "INTERNAL_ADDRESS_FAILURE",
        37: "FAILED_CP_REQUIRED",
        38: "TS_UNACCEPTABLE",
        39: "INVALID_SELECTORS",
        40: "UNACCEPTABLE_ADDRESSES",
        41: "UNEXPECTED_NAT_DETECTED",
        43: "TEMPORARY_FAILURE",
        44: "CHILD_SA_NOT_FOUND",
        16384: "INITIAL_CONTACT",
        16385: "SET_WINDOW_SIZE",
        16386: "ADDITIONAL_TS_POSSIBLE",
        16387: "IPCOMP_SUPPORTED",
        16388: "NAT_DETECTION_SOURCE_IP",
        16389: "NAT_DETECTION_DESTINATION_IP",
        16390: "COOKIE",
        16391: "USE_TRANSPORT_MODE",
        16392: "HTTP_CERT_LOOKUP_SUPPORTED",
        16393: "REKEY_SA",
        16394: "ESP_TFC_PADDING_NOT_SUPPORTED",
        16395: "NON_FIRST_FRAGMENTS_ALSO",
        16396: "MOBIKE_SUPPORTED",
        16397: "ADDITIONAL_IP4_ADDRESS",
        16398: "ADDITIONAL_IP6_ADDRESS",
        16399: "NO_ADDITIONAL_ADDRESSES",
        16400: "UPDATE_SA_ADDRESSES",
        16401: "COOKIE2",
        16402: "NO_NATS_ALLOWED",
        16403: "AUTH_LIFETIME",
        16404: "MULTIPLE_AUTH_SUPPORTED",
        16405: "ANOTHER_AUTH_FOLLOWS",
        16406: "REDIRECT_SUPPORTED",
        16407: "REDIRECT",
        16408: "REDIRECTED_FROM",
        16417: "EAP_ONLY_AUTHENTICATION",
        16418: "CHILDLESS_IKEV2_SUPPORTED",
        16420: "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",
        16421: "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
        16422: "IKEV2_MESSAGE_ID_SYNC",
        16423: "IPSEC_REPLAY_COUNTER_SYNC",
        16430: "IKEV2_FRAGMENTATION_SUPPORTED",
        16431: "SIGNATURE_HASH_ALGORITHMS",
        16435: "USE_PPK",
        16436: "PPK_IDENTITY",
        16437: "NO_PPK_AUTH",
        16438: "INTERMEDIATE_EXCHANGE_SUPPORTED",
    ]
}

/// A proposal string in strongSwan's syntax: algorithm keywords joined by `-`, in any order,
/// several of a kind allowed (`aes128gcm16-aes256gcm16-prfsha256-x25519-ecp256`), each kind
/// kept in the order written (the order of preference).

/// An IKE SA proposal: ciphers, integrity algorithms (none with AEAD), PRFs and DH groups.
public struct IKEProposal: Sendable, Equatable, CustomStringConvertible {
    public var encryption: [IKEEncryptionAlgorithm]
    /// Empty with AEAD ciphers.
    public var integrity: [IKEIntegrityAlgorithm]
    /// Never empty: with CBC and no PRF written, the PRFs of the integrity algorithms (as strongSwan does).
    public var prf: [IKEPRFAlgorithm]
    /// Never empty.
    public var groups: [IKEDHGroup]

    public init(encryption: [IKEEncryptionAlgorithm], integrity: [IKEIntegrityAlgorithm] = [], prf: [IKEPRFAlgorithm],
                groups: [IKEDHGroup]) {
        self.encryption = encryption
        self.integrity = integrity
        self.prf = prf
        self.groups = groups
    }

    /// True when the ciphers are AEAD (a proposal is all AEAD or all not).
    public var isAEAD: Bool { encryption.first?.isAEAD ?? false }

    /// The canonical string: `aes128gcm16-prfsha256-x25519`.
    public var description: String {
        (encryption.map(\.description) + integrity.map(\.description) + prf.map(\.description) + groups.map(\.description))
            .joined(separator: "-")
    }

    /// Parses and checks `text` as strongSwan would; `allowMODP1024` accepts the weak group.
    public static func parse(_ text: String, allowMODP1024: Bool = false) -> Result<IKEProposal, ProposalError> {
        ProposalParser.parse(text, esp: false, allowMODP1024: allowMODP1024).map {
            let prf = $0.prf.isEmpty ? unique($0.integrity.map(\.matchingPRF)) : $0.prf
            return IKEProposal(encryption: $0.encryption, integrity: $0.integrity, prf: prf, groups: $0.groups)
        }
    }
}

/// An ESP (CHILD SA) proposal: AES-GCM ciphers, optional DH groups for PFS, ESN modes.
public struct ESPProposal: Sendable, Equatable, CustomStringConvertible {
    /// AES-GCM only (the fast path's ESP ciphers).
    public var encryption: [IKEEncryptionAlgorithm]
    /// Empty: AES-GCM needs none. Kept for when the fast path gains a non-AEAD cipher.
    public var integrity: [IKEIntegrityAlgorithm]
    /// Empty: no PFS (the CHILD SA's keys come from the IKE SA's); otherwise a CREATE_CHILD_SA
    /// rekey runs a new Diffie-Hellman exchange in one of these groups.
    public var groups: [IKEDHGroup]
    /// Never empty: `[.noESN]` when none is written; `[.esn, .noESN]` accepts either.
    public var esn: [ESNMode]

    public init(encryption: [IKEEncryptionAlgorithm], integrity: [IKEIntegrityAlgorithm] = [], groups: [IKEDHGroup] = [],
                esn: [ESNMode] = [.noESN]) {
        self.encryption = encryption
        self.integrity = integrity
        self.groups = groups
        self.esn = esn
    }

    /// The canonical string: `aes128gcm16-x25519-esn-noesn`.
    public var description: String {
        (encryption.map(\.description) + integrity.map(\.description) + groups.map(\.description) + esn.map(\.description))
            .joined(separator: "-")
    }

    /// Parses and checks `text`; `allowMODP1024` accepts the weak group for PFS.
    public static func parse(_ text: String, allowMODP1024: Bool = false) -> Result<ESPProposal, ProposalError> {
        ProposalParser.parse(text, esp: true, allowMODP1024: allowMODP1024).map {
            ESPProposal(encryption: $0.encryption, integrity: $0.integrity, groups: $0.groups,
                        esn: $0.esn.isEmpty ? [.noESN] : $0.esn)
        }
    }
}

/// Why a proposal string was refused, and where in it (1-based character position).
public struct ProposalError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A keyword that names no algorithm, or an empty one (`--`).
        case unknownKeyword
        /// A keyword twice.
        case duplicate
        /// A kind of algorithm the proposal must have (a cipher; integrity for CBC; a PRF and a group for IKE).
        case missing
        /// Algorithms that do not go together (AEAD with integrity, AEAD with CBC, a PRF in ESP, ESN in IKE).
        case conflict
        /// A weak algorithm without its `allow-*` opt-in.
        case weak
        /// Valid IKEv2, but not something this version can run (CBC for ESP).
        case unsupported
    }

    public var kind: Kind
    /// Where the offending keyword starts in the string, from 1.
    public var position: Int
    public var message: String

    public init(kind: Kind, position: Int, message: String) {
        self.kind = kind
        self.position = position
        self.message = message
    }

    public var description: String { message }
}

/// One pass over the keywords, then strongSwan's checks of what goes together.
enum ProposalParser {
    struct Parts {
        var encryption: [IKEEncryptionAlgorithm] = [], integrity: [IKEIntegrityAlgorithm] = []
        var prf: [IKEPRFAlgorithm] = [], groups: [IKEDHGroup] = [], esn: [ESNMode] = []
    }

    private struct Token {
        var text: String
        var position: Int
    }

    static func parse(_ text: String, esp: Bool, allowMODP1024: Bool) -> Result<Parts, ProposalError> {
        let tokens = split(text)
        var parts = Parts()
        var seen: [String: Int] = [:]
        var firstAEAD: Token?, firstCBC: Token?, firstIntegrity: Token?, firstPRF: Token?, firstESN: Token?, weak: Token?
        for token in tokens {
            guard !token.text.isEmpty else {
                return .failure(ProposalError(kind: .unknownKeyword, position: token.position,
                                              message: "empty keyword at position \(token.position) of '\(text)' "
                                              + "(a '-' at an end or two in a row)"))
            }
            if let earlier = seen[token.text] {
                return .failure(ProposalError(kind: .duplicate, position: token.position,
                                              message: "'\(token.text)' at position \(token.position) is already given at "
                                              + "position \(earlier) of '\(text)'"))
            }
            seen[token.text] = token.position
            if let e = IKEEncryptionAlgorithm.keywords[token.text] {
                if e.isAEAD { firstAEAD = firstAEAD ?? token } else { firstCBC = firstCBC ?? token }
                if !parts.encryption.contains(e) { parts.encryption.append(e) }
            } else if let i = IKEIntegrityAlgorithm.keywords[token.text] {
                firstIntegrity = firstIntegrity ?? token
                if !parts.integrity.contains(i) { parts.integrity.append(i) }
            } else if let p = IKEPRFAlgorithm.keywords[token.text] {
                firstPRF = firstPRF ?? token
                parts.prf.append(p)
            } else if let g = IKEDHGroup.keywords[token.text] {
                if g.isWeak { weak = weak ?? token }
                if !parts.groups.contains(g) { parts.groups.append(g) }
            } else if let n = ESNMode.keywords[token.text] {
                firstESN = firstESN ?? token
                parts.esn.append(n)
            } else {
                return .failure(unknown(token, in: text))
            }
        }
        let what = esp ? "an ESP proposal" : "an IKE proposal"
        func fail(_ kind: ProposalError.Kind, _ token: Token?, _ message: String) -> Result<Parts, ProposalError> {
            let at = token?.position ?? 1
            let place = token.map { "'\($0.text)' at position \($0.position): " } ?? ""
            return .failure(ProposalError(kind: kind, position: at, message: place + message + " (in '\(text)')"))
        }
        if let aead = firstAEAD, let cbc = firstCBC {
            let later = aead.position > cbc.position ? aead : cbc
            return fail(.conflict, later, "AEAD (\(aead.text)) and non-AEAD (\(cbc.text)) ciphers cannot share a proposal; "
                        + "write two proposals")
        }
        guard !parts.encryption.isEmpty else {
            return fail(.missing, nil, "\(what) needs a cipher: aes128gcm16, aes256gcm16, aes128 or aes256")
        }
        if esp, let cbc = firstCBC {
            return fail(.unsupported, cbc, "ESP here is AES-GCM only (the fast path's ciphers); use aes128gcm16 or aes256gcm16")
        }
        if let aead = firstAEAD, let integrity = firstIntegrity {
            return fail(.conflict, integrity, "an AEAD cipher (\(aead.text)) carries its own integrity check; remove it")
        }
        if let cbc = firstCBC, parts.integrity.isEmpty {
            return fail(.missing, cbc, "a CBC cipher needs an integrity algorithm (\(ProposalKeywords.integrities))")
        }
        if esp, let prf = firstPRF { return fail(.conflict, prf, "ESP proposals take no PRF") }
        if !esp, let esn = firstESN { return fail(.conflict, esn, "esn and noesn belong in ESP proposals, not IKE ones") }
        if !esp, let aead = firstAEAD, parts.prf.isEmpty {
            return fail(.missing, aead, "an IKE proposal with an AEAD cipher needs a PRF (\(ProposalKeywords.prfs))")
        }
        if !esp, parts.groups.isEmpty {
            return fail(.missing, nil, "an IKE proposal needs a Diffie-Hellman group (\(ProposalKeywords.strongGroups))")
        }
        if let weak, !allowMODP1024 {
            return fail(.weak, weak, "a 1024-bit MODP group is weak (RFC 8247: SHOULD NOT); "
                        + "set allow-modp1024: true in the template to accept it")
        }
        return .success(parts)
    }

    private static func unknown(_ token: Token, in text: String) -> ProposalError {
        var message = "unknown algorithm '\(token.text)' at position \(token.position) of '\(text)'"
        if ProposalKeywords.all.contains(token.text.lowercased()) {
            message += "; did you mean '\(token.text.lowercased())'? (keywords are lower case)"
        } else if let close = Suggestion.closest(to: token.text, in: ProposalKeywords.all) {
            message += "; did you mean '\(close)'?"
        }
        return ProposalError(kind: .unknownKeyword, position: token.position, message: message)
    }

    /// The `-`-separated pieces with their 1-based character positions.
    private static func split(_ text: String) -> [Token] {
        var tokens: [Token] = [], current = "", start = 1, position = 1
        for character in text {
            if character == "-" {
                tokens.append(Token(text: current, position: start))
                current = ""
                start = position + 1
            } else {
                current.append(character)
            }
            position += 1
        }
        tokens.append(Token(text: current, position: start))
        return tokens
    }
}

/// `values` without repeats, first occurrence kept.
func unique<T: Equatable>(_ values: [T]) -> [T] {
    values.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
}

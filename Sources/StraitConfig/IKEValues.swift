import Foundation
import Yams

/// Value rules of the `ike` section: names, durations, byte counts, decimals, proposals,
/// identities, pre-shared keys and file paths.
enum IKEValues {
    static let nameRule = "a-z or 0-9 first, then up to 31 of a-z, 0-9, '_' and '-'"

    /// A template, VPN or security policy name (the SA name rule); reports and returns nil otherwise.
    static func name(_ r: MappingReader, what: String) -> Located<String>? {
        guard let node = r.required("name"), let name = r.reader.string(node, key: r.path("name")) else { return nil }
        guard IPsecValues.isSAName(name.value) else {
            r.context.report(.invalidValue, at: name.location, key: name.key, "'\(name.value)' is not a valid \(what) name: \(nameRule)")
            return nil
        }
        return name
    }

    // MARK: Durations

    static let durationUnits: [(unit: String, milliseconds: Int64)] =
        [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]

    enum DurationError: Error, Equatable { case notADuration, tooLong }

    /// `90s`, `30m`, `4h`, `1d`, `500ms`, or plain seconds; whole numbers only, at most 10 years.
    static func duration(_ text: String) -> Result<Duration, DurationError> {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, digits == "0" || !digits.hasPrefix("0") else { return .failure(.notADuration) }
        let scale = unit.isEmpty ? 1000 : durationUnits.first { $0.unit == unit }?.milliseconds
        guard let scale else { return .failure(.notADuration) }
        guard let number = Int64(digits) else { return .failure(.tooLong) }
        let (ms, overflow) = number.multipliedReportingOverflow(by: scale)
        guard !overflow, Duration.milliseconds(ms) <= IKEDefaults.maxDuration else { return .failure(.tooLong) }
        return .success(.milliseconds(ms))
    }

    /// An optional duration key of `r`; reports what is wrong and returns nil.
    static func duration(_ r: MappingReader, _ name: String) -> Located<Duration>? {
        guard let text = r.string(name) else { return nil }
        switch duration(text.value) {
        case .success(let d): return Located(value: d, location: text.location, key: text.key)
        case .failure(.notADuration):
            r.context.report(.invalidValue, at: text.location, key: text.key,
                             "'\(text.value)' is not a duration: a whole number with ms, s, m, h or d (90s, 30m, 4h, 1d), or plain seconds")
        case .failure(.tooLong):
            r.context.report(.outOfRange, at: text.location, key: text.key, "\(text.value) is too long; at most 3650d")
        }
        return nil
    }

    /// `4h`, `90m`, `61s`, `1500ms`: the largest unit that divides it.
    static func text(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        guard ms != 0 else { return "0" }
        let unit = durationUnits.reversed().first { ms % $0.milliseconds == 0 } ?? durationUnits[0]
        return "\(ms / unit.milliseconds)\(unit.unit)"
    }

    // MARK: Byte counts

    static let byteUnits: [(unit: String, bytes: UInt64)] = [
        ("B", 1), ("kB", 1000), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
    ]

    enum ByteCountError: Error, Equatable {
        /// Not a count; the unit that was probably meant, if any.
        case notACount(suggestion: String?)
        case tooLarge
    }

    /// A byte count: a whole number, optionally with a unit: `B`, `kB`/`KB`, `MB`, `GB`, `TB`
    /// (powers of 1000), `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024).
    static func byteCount(_ text: String) -> Result<UInt64, ByteCountError> {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = String(text.dropFirst(digits.count))
        let scale = unit.isEmpty ? 1 : byteUnits.first { $0.unit == unit }?.bytes
        guard !digits.isEmpty, digits == "0" || !digits.hasPrefix("0"), let scale else {
            let units = byteUnits.map(\.unit)
            let close = digits.isEmpty || unit.isEmpty || !unit.allSatisfy(\.isLetter) ? nil
                : units.first { $0.lowercased() == unit.lowercased() } ?? Suggestion.closest(to: unit, in: units)
            return .failure(.notACount(suggestion: close.map { "\(digits)\($0)" }))
        }
        guard let number = UInt64(digits), case let (bytes, false) = number.multipliedReportingOverflow(by: scale) else {
            return .failure(.tooLarge)
        }
        return .success(bytes)
    }

    /// An optional byte-count key of `r`; reports what is wrong and returns nil.
    static func byteCount(_ r: MappingReader, _ name: String) -> Located<UInt64>? {
        guard let text = r.string(name) else { return nil }
        switch byteCount(text.value) {
        case .success(let bytes): return Located(value: bytes, location: text.location, key: text.key)
        case .failure(.notACount(let suggestion)):
            var message = "'\(text.value)' is not a byte count: a whole number, optionally with B, kB, MB, GB, TB "
                + "(powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)"
            if let suggestion { message += "; did you mean '\(suggestion)'?" }
            r.context.report(.invalidValue, at: text.location, key: text.key, message)
        case .failure(.tooLarge):
            r.context.report(.outOfRange, at: text.location, key: text.key, "\(text.value) is more than 2^64-1 bytes")
        }
        return nil
    }

    /// A packet count: a plain integer >= 0.
    static func packetCount(_ r: MappingReader, _ name: String) -> Located<UInt64>? {
        r.int(name, in: 0...Int.max).map { Located(value: UInt64($0.value), location: $0.location, key: $0.key) }
    }

    /// A plain decimal number (`1.8`, `2`) in `range`.
    static func decimal(_ r: MappingReader, _ name: String, in range: ClosedRange<Double>) -> Located<Double>? {
        guard let node = r.node(name) else { return nil }
        let key = r.path(name)
        guard let scalar = node.scalar, scalar.style == .plain || scalar.style == .any, isDecimal(scalar.string),
              let value = Double(scalar.string) else {
            return r.reader.typeError(node, key: key, expected: "a decimal number (1.8)")
        }
        let at = r.context.location(of: node)
        guard range.contains(value) else {
            r.context.report(.outOfRange, at: at, key: key, "\(scalar.string) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return Located(value: value, location: at, key: key)
    }

    private static func isDecimal(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    // MARK: Proposals

    /// The required `proposals` list of a template, each parsed by `parse`. Nil when any item fails.
    static func proposals<P: CustomStringConvertible>(_ r: MappingReader,
                                                      parse: (String) -> Result<P, ProposalError>) -> [P]? {
        guard let node = r.required("proposals"), let items = r.reader.list(node, key: r.path("proposals")) else { return nil }
        let context = r.context
        guard !items.isEmpty else {
            context.report(.invalidValue, at: context.location(of: node), key: r.path("proposals"), "at least one proposal is required")
            return nil
        }
        var proposals: [P] = [], seen: [String: Located<String>] = [:], failed = false
        for item in items {
            guard let text = r.reader.string(item.node, key: item.key) else { failed = true; continue }
            switch parse(text.value) {
            case .failure(let error):
                context.report(code(of: error.kind), at: location(of: error.position, in: item.node, context: context),
                               key: item.key, error.message)
                failed = true
            case .success(let proposal):
                if let earlier = seen[proposal.description] {
                    context.report(.duplicateValue, at: text.location, key: item.key,
                                   "'\(text.value)' is the same proposal as \(earlier.key) (line \(earlier.location.line))")
                    failed = true
                } else {
                    seen[proposal.description] = text
                    proposals.append(proposal)
                }
            }
        }
        return failed ? nil : proposals
    }

    static func code(of kind: ProposalError.Kind) -> ConfigError.Code {
        switch kind {
        case .unknownKeyword, .missing, .unsupported: return .invalidValue
        case .duplicate: return .duplicateValue
        case .conflict: return .conflict
        case .weak: return .weak
        }
    }

    /// Where character `position` (from 1) of a one-line scalar is in the file.
    static func location(of position: Int, in node: Node, context: LoadContext) -> SourceLocation {
        var at = context.location(of: node)
        guard let scalar = node.scalar, !scalar.string.contains("\n") else { return at }
        switch scalar.style {
        case .plain, .any: at.column += position - 1
        case .singleQuoted, .doubleQuoted: at.column += position
        default: break
        }
        return at
    }

    // MARK: Identities, keys, files

    /// An identity value; `remote` permits `%any` and patterns.
    static func identity(_ text: Located<String>, remote: Bool, context: LoadContext) -> Located<IKEIdentity>? {
        switch IKEIdentity.parse(text.value, allowPattern: remote) {
        case .success(let id): return Located(value: id, location: text.location, key: text.key)
        case .failure(let error):
            context.report(.invalidValue, at: text.location, key: text.key, error.message)
            return nil
        }
    }

    /// A pre-shared key: `0x` and hex, `0s` and base64 (strongSwan's forms), or the string's
    /// UTF-8 bytes. At least 16 bytes unless `allowWeak`. Errors never show the value.
    static func psk(_ text: Located<String>, allowWeak: Bool, context: LoadContext) -> PSK? {
        let value = text.value
        var bytes: [UInt8]
        if value.hasPrefix("0x") || value.hasPrefix("0X") {
            guard let hex = IPsecValues.hexBytes(String(value.dropFirst(2))) else {
                context.report(.invalidValue, at: text.location, key: text.key,
                               "the PSK is not hex after 0x (2 hex digits per byte)")
                return nil
            }
            bytes = hex
        } else if value.hasPrefix("0s") {
            guard let data = Data(base64Encoded: String(value.dropFirst(2))) else {
                context.report(.invalidValue, at: text.location, key: text.key, "the PSK is not base64 after 0s")
                return nil
            }
            bytes = Array(data)
        } else {
            bytes = Array(value.utf8)
        }
        guard !bytes.isEmpty else {
            context.report(.invalidValue, at: text.location, key: text.key, "the PSK is empty")
            return nil
        }
        guard bytes.count >= IKEDefaults.minimumPSKBytes || allowWeak else {
            context.report(.weak, at: text.location, key: text.key,
                           "the PSK has \(bytes.count) bytes; at least \(IKEDefaults.minimumPSKBytes) are required "
                           + "(allow-weak-psk: true accepts a shorter one)")
            return nil
        }
        return PSK(bytes: bytes)
    }

    /// An absolute path of a file this process can read; `what` names it in errors ("certificate").
    static func readableFile(_ text: Located<String>, what: String, context: LoadContext) -> String? {
        guard text.value.hasPrefix("/") else {
            context.report(.invalidValue, at: text.location, key: text.key, "'\(text.value)' is not an absolute path")
            return nil
        }
        switch context.facts.fileAccess(text.value) {
        case .readable: return text.value
        case .missing:
            context.report(.notFound, at: text.location, key: text.key, "\(what) file \(text.value) does not exist")
        case .notAFile:
            context.report(.invalidValue, at: text.location, key: text.key, "\(what) file \(text.value) is not a regular file")
        case .unreadable(let reason):
            context.report(.io, at: text.location, key: text.key, "cannot read \(what) file \(text.value): \(reason)")
        }
        return nil
    }
}

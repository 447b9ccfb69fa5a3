import Yams

/// Takes the ESP keys and the IKE pre-shared keys out of a config text, for `show config` and
/// anything else that shows it.
///
/// The value of every `key:` under `ipsec.sas`, `psk:` under `ike.vpns` and `secret:` under
/// `ike.psks` (plain, quoted or block, on one line or several) becomes `<redacted>`; lines keep
/// their numbers, so error lines still point at the right place. Then, as a safety net, any run
/// of 32 or more hex digits anywhere (a commented-out old key, a key under a misspelt name) is
/// replaced as well.
public enum Redaction {
    public static let placeholder = "<redacted>"
    /// Hex runs at least this long are taken for key material (the shortest key, aes128, is 40 digits).
    static let hexRunThreshold = 32

    /// Where a key's value is: the SA's mapping (a `{` there makes it a flow mapping), the
    /// `key` token (whose column is the mapping's indentation in a block mapping) and the value
    /// node, all as Yams marks (1-based line and character column).
    struct Site: Hashable {
        var mappingLine: Int, mappingColumn: Int
        var keyLine: Int, keyColumn: Int
        var valueLine: Int, valueColumn: Int
    }

    /// Parses `text` to find the keys. A text that is not YAML is redacted line by line
    /// (everything after a `key:`, `psk:` or `secret:` and the lines indented under it).
    public static func redact(_ text: String) -> String {
        let document: Node?
        do {
            document = try Yams.compose(yaml: text)
        } catch {
            return redact(text, sites: nil)
        }
        return redact(text, sites: document.map(sites(in:)) ?? [])
    }

    /// The secrets' places in a parsed document: `key` of `ipsec.sas`, `psk` of `ike.vpns`, `secret` of `ike.psks`.
    static func sites(in document: Node) -> [Site] {
        let top = document.mapping
        return sites(in: top?["ipsec"]?.mapping?["sas"], named: "key") + sites(in: top?["ike"]?.mapping?["vpns"], named: "psk")
            + sites(in: top?["ike"]?.mapping?["psks"], named: "secret") + haKeySite(top?["ha"])
    }

    /// `ha.key`, a plain mapping's value.
    private static func haKeySite(_ node: Node?) -> [Site] {
        guard let node, let mapping = node.mapping, let m = node.mark, let pair = mapping.first(where: { $0.key.scalar?.string == "key" }),
              let k = pair.key.mark, let v = pair.value.mark else { return [] }
        return [Site(mappingLine: m.line, mappingColumn: m.column, keyLine: k.line, keyColumn: k.column, valueLine: v.line, valueColumn: v.column)]
    }

    /// The values of `name` in the mappings of a list.
    private static func sites(in list: Node?, named name: String) -> [Site] {
        guard let items = list?.sequence else { return [] }
        return items.compactMap { item in
            guard let mapping = item.mapping, let m = item.mark, let pair = mapping.first(where: { $0.key.scalar?.string == name }),
                  let k = pair.key.mark, let v = pair.value.mark else { return nil }
            return Site(mappingLine: m.line, mappingColumn: m.column, keyLine: k.line, keyColumn: k.column,
                        valueLine: v.line, valueColumn: v.column)
        }
    }

    /// `text` with every run of 32 or more hex digits replaced (error messages and key paths).
    static func scrub(_ text: String) -> String {
        guard text.utf8.count >= hexRunThreshold else { return text }
        var scanner = TextScanner(text)
        scanner.replaceHexRuns(minimumLength: hexRunThreshold, with: Array(placeholder.utf8))
        return String(decoding: scanner.bytes, as: UTF8.self)
    }

    /// Redacts the values at `sites` (nil: not known, redact line by line), then hex runs.
    static func redact(_ text: String, sites: [Site]?) -> String {
        var scanner = TextScanner(text)
        let spans: [TextScanner.Span]
        if let sites {
            spans = Set(sites).sorted { ($0.valueLine, $0.valueColumn) < ($1.valueLine, $1.valueColumn) }
                .compactMap { scanner.valueSpan($0) }
        } else {
            spans = scanner.keyLineSpans()
        }
        scanner.replace(spans, with: Array(placeholder.utf8))
        scanner.replaceHexRuns(minimumLength: hexRunThreshold, with: Array(placeholder.utf8))
        return String(decoding: scanner.bytes, as: UTF8.self)
    }
}

import Yams

/// `ike.psks`: pre-shared keys per peer identity, so that each site of a wildcard VPN can
/// have its own. Identities are exact and appear once across the list. Secrets are never
/// echoed; where they are written is recorded for `redactedText`.
enum IKEPSKSection {
    static let name = "psks"
    static let keys = ["ids", "secret", "allow-weak-psk"]

    struct Table {
        var entries: [PSKEntry] = []
        /// False when an item or an identity could not be read (so "no psks entry covers" must stay quiet).
        var complete = true
        var secretSites: [Redaction.Site] = []

        /// True when some entry's identity is one a peer matching `remoteID` may have.
        func covers(_ remoteID: IKEIdentity) -> Bool {
            !complete || entries.contains { $0.ids.contains { remoteID.matches($0) } }
        }
    }

    static func read(_ parent: MappingReader) -> Table {
        var table = Table()
        guard let items = parent.list(name) else { return table }
        let context = parent.context
        var seen: [String: (key: String, line: Int)] = [:]
        for item in items {
            let errorsBefore = context.errors.count
            guard let r = MappingReader(item.node, key: item.key, known: keys, context: context) else {
                table.complete = false
                continue
            }
            var ids: [IKEIdentity] = []
            if let node = r.required("ids"), let list = r.reader.list(node, key: r.path("ids")) {
                if list.isEmpty {
                    context.report(.invalidValue, at: context.location(of: node), key: r.path("ids"), "at least one identity is required")
                }
                for element in list {
                    guard let text = r.reader.string(element.node, key: element.key),
                          let id = exactIdentity(text, context: context) else { continue }
                    let normal = id.value.description.lowercased()
                    if let earlier = seen[normal] {
                        context.report(.duplicateValue, at: id.location, key: id.key,
                                       "identity '\(text.value)' already has a secret in \(earlier.key) (line \(earlier.line))")
                        continue
                    }
                    seen[normal] = (item.key, r.location.line)
                    ids.append(id.value)
                }
            }
            let allowWeak = r.bool("allow-weak-psk")?.value ?? r.has("allow-weak-psk")
            var secret: PSK?
            if let node = r.required("secret") {
                if let site = Redaction.Site(mapping: item.node, keyAt: r.keyLocation("secret"), value: node) {
                    table.secretSites.append(site)
                }
                secret = r.reader.string(node, key: r.path("secret")).flatMap { IKEValues.psk($0, allowWeak: allowWeak, context: context) }
            }
            guard let secret, context.errors.count == errorsBefore else {
                table.complete = false
                continue
            }
            table.entries.append(PSKEntry(ids: ids, secret: secret, location: r.location))
        }
        return table
    }

    /// An identity of `psks`: exact, not `%any` or a pattern.
    private static func exactIdentity(_ text: Located<String>, context: LoadContext) -> Located<IKEIdentity>? {
        guard text.value != "%any", !text.value.contains("*") else {
            context.report(.invalidValue, at: text.location, key: text.key,
                           "'\(text.value)' is a pattern; psks ids are exact identities (the peers' own)")
            return nil
        }
        return IKEValues.identity(text, remote: false, context: context)
    }
}

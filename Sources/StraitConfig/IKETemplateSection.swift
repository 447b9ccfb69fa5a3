import Yams

/// `ike.ike-policy-templates` and `ike.ipsec-policy-templates`: named, reusable settings for
/// the two phases. Each list is read item by item, then names are checked for uniqueness;
/// VPNs refer to the names.
enum IKETemplateSection {
    static let ikeName = "ike-policy-templates"
    static let ipsecName = "ipsec-policy-templates"
    static let ikeKeys = ["name", "proposals", "unique-sa", "rekey-time", "reauth-time", "over-time", "rand-time", "mobike",
                          "fragmentation", "dpd", "allow-modp1024"]
    static let dpdKeys = ["interval", "timeout"]
    static let ipsecKeys = ["name", "proposals", "replay-window", "rekey-time", "life-time", "rand-time", "rekey-bytes",
                            "life-bytes", "rekey-packets", "life-packets", "start-action", "close-action", "dpd-action",
                            "encap", "allow-modp1024"]

    /// A template as read: its name even when another value has an error (`config` is nil then).
    struct Entry<Config> {
        var key: String
        var name: Located<String>?
        var config: Config?
        /// For CHILD SA templates: the first action that initiates to the peer (`start-action start`), if any.
        var initiatingAction: Located<String>?
    }

    /// The templates of one kind; `complete` is false when a name could not be read (so
    /// "no template is named" must stay quiet).
    struct Table<Config> {
        var what: String
        var entries: [Entry<Config>] = []
        var complete = true
        var byName: [String: Int] = [:]

        func entry(named name: String) -> Entry<Config>? { byName[name].map { entries[$0] } }

        /// The template that `reference` names; reports a name that names none (when all names are known).
        func resolve(_ reference: Located<String>, context: LoadContext) -> Entry<Config>? {
            if let entry = entry(named: reference.value) { return entry }
            guard complete else { return nil }
            let names = entries.compactMap { $0.name?.value }
            var message = "no \(what) is named '\(reference.value)'"
            if let close = Suggestion.closest(to: reference.value, in: names) {
                message += "; did you mean '\(close)'?"
            } else if names.isEmpty {
                message += " (there are none)"
            } else if names.count <= 8 {
                message += " (\(names.joined(separator: ", ")))"
            }
            context.report(.notFound, at: reference.location, key: reference.key, message)
            return nil
        }
    }

    static func readIKE(_ parent: MappingReader) -> Table<IKEPolicyTemplate> {
        readList(parent, name: ikeName, what: "ike-policy template", keys: ikeKeys) { r, entry in
            entry.config = readIKETemplate(r, name: entry.name?.value ?? "")
        }
    }

    static func readIPsec(_ parent: MappingReader) -> Table<IPsecPolicyTemplate> {
        readList(parent, name: ipsecName, what: "ipsec-policy template", keys: ipsecKeys) { r, entry in
            entry.config = readIPsecTemplate(r, name: entry.name?.value ?? "", entry: &entry)
        }
    }

    private static func readList<Config>(_ parent: MappingReader, name: String, what: String, keys: [String],
                                         read: (MappingReader, inout Entry<Config>) -> Void) -> Table<Config> {
        var table = Table<Config>(what: what)
        guard let items = parent.list(name) else { return table }
        let context = parent.context
        for item in items {
            let errorsBefore = context.errors.count
            guard let r = MappingReader(item.node, key: item.key, known: keys, context: context) else {
                table.complete = false
                continue
            }
            var entry = Entry<Config>(key: item.key, name: IKEValues.name(r, what: what))
            read(r, &entry)
            if context.errors.count != errorsBefore { entry.config = nil }
            if let name = entry.name {
                if let earlier = table.byName[name.value] {
                    context.report(.duplicateValue, at: name.location, key: name.key,
                                   "\(what) name '\(name.value)' is already used by \(table.entries[earlier].key) "
                                   + "(line \(table.entries[earlier].name?.location.line ?? 0))")
                } else {
                    table.byName[name.value] = table.entries.count
                }
            } else {
                table.complete = false
            }
            table.entries.append(entry)
        }
        return table
    }

    private static func readIKETemplate(_ r: MappingReader, name: String) -> IKEPolicyTemplate? {
        let allow = allowMODP1024(r)
        let proposals = IKEValues.proposals(r) { IKEProposal.parse($0, allowMODP1024: allow) }
        let unique = r.choice("unique-sa", of: IKEUniqueSAPolicy.allCases.map(\.rawValue)).flatMap { IKEUniqueSAPolicy(rawValue: $0.value) }
        let rekey = IKEValues.duration(r, "rekey-time"), reauth = IKEValues.duration(r, "reauth-time")
        let over = IKEValues.duration(r, "over-time"), rand = IKEValues.duration(r, "rand-time")
        let mobike = r.bool("mobike"), fragmentation = r.bool("fragmentation")
        let dpd = readDPD(r)
        if let rand, rand.value > .zero {
            for (limit, limitName) in [(rekey?.value ?? (r.has("rekey-time") ? nil : IKEDefaults.ikeRekeyTime), "rekey-time"),
                                       (reauth?.value, "reauth-time")] {
                guard let limit, limit > .zero, rand.value >= limit else { continue }
                r.context.report(.conflict, at: rand.location, key: rand.key,
                                 "rand-time \(IKEValues.text(rand.value)) must be below \(limitName) \(IKEValues.text(limit)) "
                                 + "(the random part is taken off \(limitName))")
                break
            }
        }
        guard let proposals else { return nil }
        return IKEPolicyTemplate(name: name, proposals: proposals, uniqueSA: unique ?? .replace,
                                 rekeyTime: rekey?.value ?? IKEDefaults.ikeRekeyTime, reauthTime: reauth?.value ?? .zero,
                                 overTime: over?.value, randTime: rand?.value, mobike: mobike?.value ?? true,
                                 fragmentation: fragmentation?.value ?? true, dpd: dpd ?? IKEDPD(), allowMODP1024: allow,
                                 location: r.location)
    }

    /// `dpd: {interval, timeout}`; interval 0 turns DPD off; the timeout is above 0.
    private static func readDPD(_ r: MappingReader) -> IKEDPD? {
        guard r.has("dpd") else { return IKEDPD() }
        guard let m = r.mapping("dpd", known: dpdKeys) else { return nil }
        let interval = IKEValues.duration(m, "interval"), timeout = IKEValues.duration(m, "timeout")
        if let timeout, timeout.value == .zero {
            m.context.report(.outOfRange, at: timeout.location, key: timeout.key,
                             "the DPD timeout must be above 0 (interval: 0 turns DPD off)")
            return nil
        }
        return IKEDPD(interval: interval?.value ?? IKEDefaults.dpdInterval, timeout: timeout?.value ?? IKEDefaults.dpdTimeout)
    }

    private static func readIPsecTemplate(_ r: MappingReader, name: String, entry: inout Entry<IPsecPolicyTemplate>) -> IPsecPolicyTemplate? {
        let allow = allowMODP1024(r)
        let proposals = IKEValues.proposals(r) { ESPProposal.parse($0, allowMODP1024: allow) }
        let window = readReplayWindow(r)
        let rekey = IKEValues.duration(r, "rekey-time"), life = IKEValues.duration(r, "life-time")
        let rand = IKEValues.duration(r, "rand-time")
        let rekeyTime = rekey?.value ?? (r.has("rekey-time") ? nil : IKEDefaults.childRekeyTime)
        checkBelow(rand, rekeyTime.map { Located(value: $0, location: r.location, key: "rekey-time") }, r: r,
                   why: "the random part is taken off rekey-time", show: IKEValues.text)
        checkAbove(life, rekeyTime, zero: .zero, r: r, show: IKEValues.text)
        let rekeyBytes = IKEValues.byteCount(r, "rekey-bytes"), lifeBytes = IKEValues.byteCount(r, "life-bytes")
        checkAbove(lifeBytes, rekeyBytes?.value, zero: 0, r: r, show: { "\($0)" })
        let rekeyPackets = IKEValues.packetCount(r, "rekey-packets"), lifePackets = IKEValues.packetCount(r, "life-packets")
        checkAbove(lifePackets, rekeyPackets?.value, zero: 0, r: r, show: { "\($0)" })
        let start = action(r, "start-action", ChildSAAction.self), close = action(r, "close-action", ChildSAAction.self)
        let dpd = action(r, "dpd-action", DPDAction.self)
        let encap = r.choice("encap", of: IPsecEncapsulationMode.allCases.map(\.rawValue)).flatMap { IPsecEncapsulationMode(rawValue: $0.value) }
        entry.initiatingAction = [start.flatMap { $0.value == .none ? nil : $0.map { $0.rawValue } },
                                  close.flatMap { $0.value == .none ? nil : $0.map { $0.rawValue } },
                                  dpd.flatMap { $0.value == .clear ? nil : $0.map { $0.rawValue } }]
            .compactMap { $0 }.first.map { Located(value: "\(r.keyName($0.key)) \($0.value)", location: $0.location, key: $0.key) }
        guard let proposals, let window else { return nil }
        func nonZero<T: Equatable & ExpressibleByIntegerLiteral>(_ v: Located<T>?) -> T? { v?.value == 0 ? nil : v?.value }
        return IPsecPolicyTemplate(name: name, proposals: proposals, replayWindow: window, rekeyTime: rekeyTime ?? .zero,
                                   lifeTime: life?.value == .zero ? nil : life?.value, randTime: rand?.value,
                                   rekeyBytes: rekeyBytes?.value ?? 0, lifeBytes: nonZero(lifeBytes),
                                   rekeyPackets: rekeyPackets?.value ?? 0, lifePackets: nonZero(lifePackets),
                                   startAction: start?.value ?? .none, closeAction: close?.value ?? .none,
                                   dpdAction: dpd?.value ?? .clear, encapsulation: encap ?? .auto, allowMODP1024: allow,
                                   location: r.location)
    }

    /// `allow-modp1024`; a broken value counts as true, so the proposals stay quiet about it.
    private static func allowMODP1024(_ r: MappingReader) -> Bool {
        r.bool("allow-modp1024")?.value ?? r.has("allow-modp1024")
    }

    /// 0 (off) or a multiple of 64 up to 4096; 1024 when absent.
    private static func readReplayWindow(_ r: MappingReader) -> Int? {
        guard r.has("replay-window") else { return IKEDefaults.replayWindow }
        guard let window = r.int("replay-window", in: 0...IKEDefaults.maxReplayWindow) else { return nil }
        guard window.value % IPsecDefaults.replayWindowGranule == 0 else {
            r.context.report(.invalidValue, at: window.location, key: window.key,
                             "\(window.value) is not a multiple of 64 (64, 128, ... 4096; 0 disables the check)")
            return nil
        }
        return window.value
    }

    private static func action<A: RawRepresentable & CaseIterable>(_ r: MappingReader, _ name: String, _: A.Type) -> Located<A>?
    where A.RawValue == String {
        guard let text = r.choice(name, of: A.allCases.map(\.rawValue)), let value = A(rawValue: text.value) else { return nil }
        return Located(value: value, location: text.location, key: text.key)
    }

    /// A hard limit (`life-*`), when given and not 0, must be above the soft one (`rekey-*`) when that is not 0.
    private static func checkAbove<T: Comparable>(_ hard: Located<T>?, _ soft: T?, zero: T, r: MappingReader,
                                                  show: (T) -> String) {
        guard let hard, let soft, hard.value != zero, soft != zero, hard.value <= soft else { return }
        let hardName = r.keyName(hard.key), softName = hardName.replacingOccurrences(of: "life-", with: "rekey-")
        r.context.report(.conflict, at: hard.location, key: hard.key,
                         "\(hardName) \(show(hard.value)) must be above \(softName) \(show(soft)): "
                         + "the SA would be deleted before it is rekeyed")
    }

    private static func checkBelow(_ value: Located<Duration>?, _ limit: Located<Duration>?, r: MappingReader, why: String,
                                   show: (Duration) -> String) {
        guard let value, let limit, value.value > .zero, limit.value > .zero, value.value >= limit.value else { return }
        r.context.report(.conflict, at: value.location, key: value.key,
                         "\(r.keyName(value.key)) \(show(value.value)) must be below \(limit.key) \(show(limit.value)) (\(why))")
    }
}

extension Located {
    func map<T>(_ transform: (Value) -> T) -> Located<T> { Located<T>(value: transform(value), location: location, key: key) }
}

extension MappingReader {
    /// The last component of a key path of this mapping: `rekey-time` for `ike.x[0].rekey-time`.
    func keyName(_ path: String) -> String {
        path.split(separator: ".").last.map(String.init) ?? path
    }
}
